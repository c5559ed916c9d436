//! Where a store lives: the embedded store in a data folder, or a team database given by a
//! PostgreSQL connection string (`postgresql://user@host:5432/db?sslmode=verify-full`, or
//! `host=… dbname=…`). The password may come from the string, `PGPASSWORD` or a `.pgpass` file;
//! it is never shown: [`Database::describe`] leaves it out.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the connection is protected, as libpq's `sslmode` says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    /// TLS when the server offers it, without checking the certificate.
    #[default]
    Prefer,
    /// TLS always, without checking the certificate.
    Require,
    /// TLS always; the certificate is checked against the trusted roots and the host name.
    VerifyFull,
}

impl TlsMode {
    pub const ALL: [TlsMode; 4] = [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require, TlsMode::VerifyFull];

    /// libpq's name: `disable`, `prefer`, `require`, `verify-full`.
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    /// A libpq `sslmode` (`allow` and `verify-ca` as their nearest mode).
    pub fn from_name(name: &str) -> Result<TlsMode, LocationError> {
        match name {
            "disable" => Ok(TlsMode::Disable),
            "allow" | "prefer" => Ok(TlsMode::Prefer),
            "require" | "verify-ca" => Ok(TlsMode::Require),
            "verify-full" => Ok(TlsMode::VerifyFull),
            other => Err(LocationError::SslMode(other.to_string())),
        }
    }
}

/// A team database field by field, as the window's «Подключение» dialog has it; no password.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatabaseParts {
    /// A server name or address, or a Unix socket folder (starting with `/`).
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub tls: TlsMode,
    pub root_cert: Option<PathBuf>,
}

/// A team database to connect to.
#[derive(Clone, Debug)]
pub struct Database {
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: TlsMode,
    /// `sslrootcert`: the CA certificates (PEM) to trust instead of the system's.
    pub(super) root_cert: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error(
        "Адрес базы данных не понят: {0}. Ожидается вид postgresql://пользователь@сервер:5432/база?sslmode=verify-full"
    )]
    Syntax(String),
    #[error("Неизвестный sslmode «{0}»: допустимы disable, prefer, require, verify-full")]
    SslMode(String),
    #[error("Не указано: {0}")]
    Missing(&'static str),
    #[error("Сертификат {path} (sslrootcert) не прочитан: {reason}")]
    RootCert { path: PathBuf, reason: String },
}

impl Database {
    /// Parses a connection string; `sslmode` and `sslrootcert` are taken out here (the driver knows
    /// only part of them), the password is looked up in `PGPASSWORD` and `.pgpass` when missing.
    pub fn parse(text: &str) -> Result<Database, LocationError> {
        let (rest, tls, root_cert) = take_tls_options(text.trim())?;
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|e: tokio_postgres::Error| LocationError::Syntax(e.to_string()))?;
        config.ssl_mode(match tls {
            TlsMode::Disable => tokio_postgres::config::SslMode::Disable,
            TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        });
        if config.get_hosts().is_empty() {
            config.host("localhost");
        }
        if config.get_user().is_none() {
            config
                .user(std::env::var("PGUSER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "postgres".into()));
        }
        fill_password(&mut config);
        Ok(Database { config, tls, root_cert })
    }

    /// A database from the dialog's fields and the password typed there, if any (else
    /// `PGPASSWORD` or `.pgpass`, as for a connection string).
    pub fn from_parts(parts: &DatabaseParts, password: Option<&str>) -> Result<Database, LocationError> {
        let host = parts.host.trim();
        if host.is_empty() {
            return Err(LocationError::Missing("сервер"));
        }
        if parts.database.trim().is_empty() {
            return Err(LocationError::Missing("база данных"));
        }
        if parts.user.trim().is_empty() {
            return Err(LocationError::Missing("логин"));
        }
        let mut config = tokio_postgres::Config::new();
        config.host(host).port(parts.port).dbname(parts.database.trim()).user(parts.user.trim());
        config.ssl_mode(match parts.tls {
            TlsMode::Disable => tokio_postgres::config::SslMode::Disable,
            TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        });
        match password.filter(|p| !p.is_empty()) {
            Some(password) => {
                config.password(password);
            }
            None => fill_password(&mut config),
        }
        let root_cert = if parts.tls == TlsMode::VerifyFull { parts.root_cert.clone() } else { None };
        Ok(Database { config, tls: parts.tls, root_cert })
    }

    /// The fields of this database (a connection string shown in the dialog); no password.
    pub fn parts(&self) -> DatabaseParts {
        DatabaseParts {
            host: match self.config.get_hosts().first() {
                Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
                Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
                None => "localhost".into(),
            },
            port: self.config.get_ports().first().copied().unwrap_or(5432),
            database: self.config.get_dbname().or(self.config.get_user()).unwrap_or_default().to_string(),
            user: self.config.get_user().unwrap_or_default().to_string(),
            tls: self.tls,
            root_cert: self.root_cert.clone(),
        }
    }

    /// A database given by its driver configuration (tests), without TLS.
    pub fn from_config(config: tokio_postgres::Config) -> Database {
        Database { config, tls: TlsMode::Disable, root_cert: None }
    }

    /// The server, port, user and database, for people and logs: never the password.
    pub fn describe(&self) -> String {
        super::postgres::describe(&self.config)
    }

    /// The TLS connector for this database's mode.
    pub(super) fn connector(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect, LocationError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| LocationError::Syntax(e.to_string()))?;
        let config = match self.tls {
            TlsMode::VerifyFull => {
                let mut roots = rustls::RootCertStore::empty();
                match &self.root_cert {
                    Some(path) => {
                        use rustls::pki_types::pem::PemObject;
                        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
                            .map_err(|e| LocationError::RootCert { path: path.clone(), reason: e.to_string() })?;
                        for cert in certs {
                            let cert = cert
                                .map_err(|e| LocationError::RootCert { path: path.clone(), reason: e.to_string() })?;
                            roots
                                .add(cert)
                                .map_err(|e| LocationError::RootCert { path: path.clone(), reason: e.to_string() })?;
                        }
                    }
                    None => {
                        for cert in rustls_native_certs::load_native_certs().certs {
                            let _ = roots.add(cert);
                        }
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            _ => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(unchecked::AnyCertificate))
                .with_no_client_auth(),
        };
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query or a key=value string.
fn take_tls_options(text: &str) -> Result<(String, TlsMode, Option<PathBuf>), LocationError> {
    let mut mode = None;
    let mut root = None;
    let mut take = |key: &str, value: &str| -> Result<bool, LocationError> {
        match key {
            "sslmode" => {
                mode = Some(TlsMode::from_name(value)?);
                Ok(true)
            }
            "sslrootcert" => {
                root = Some(PathBuf::from(value));
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    let rest = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        match text.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(key, &percent_decode(value))? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) }
            }
            None => text.to_string(),
        }
    } else {
        let mut kept = Vec::new();
        for pair in text.split_whitespace() {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key, value.trim_matches('\''))? {
                kept.push(pair);
            }
        }
        kept.join(" ")
    };
    Ok((rest, mode.unwrap_or_default(), root))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A password from `PGPASSWORD` or `.pgpass` when the connection has none.
fn fill_password(config: &mut tokio_postgres::Config) {
    if config.get_password().is_some() {
        return;
    }
    if let Some(password) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        config.password(password);
    } else if let Some(password) = pgpass_password(config) {
        config.password(password);
    }
}

/// The password for this host, port, database and user from `PGPASSFILE` or `~/.pgpass`
/// (`host:port:database:user:password`, `*` matches anything, `\:` is a colon).
fn pgpass_password(config: &tokio_postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(name) => name.clone(),
        tokio_postgres::config::Host::Unix(_) => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, db, user])
}

fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5 && fields[..4].iter().zip(wanted).all(|(have, want)| have == "*" || have == want) {
            return Some(fields[4].clone());
        }
    }
    None
}

/// `require` and `prefer` encrypt without checking whom they talk to, as libpq does.
mod unchecked {
    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    pub struct AnyCertificate;

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
            rustls::crypto::verify_tls12_signature(message, cert, dss, &algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            let algorithms = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
            rustls::crypto::verify_tls13_signature(message, cert, dss, &algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_are_taken_out_and_the_password_never_described() {
        let db = Database::parse(
            "postgresql://marketer:s%3Dcret@db.example.ru:6432/skvoz?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(db.tls, TlsMode::VerifyFull);
        assert_eq!(db.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(db.config.get_password(), Some(&b"s=cret"[..]));
        assert_eq!(db.config.get_connect_timeout(), Some(&std::time::Duration::from_secs(5)));
        let shown = db.describe();
        assert_eq!(shown, "postgresql://marketer@db.example.ru:6432/skvoz");
        assert!(!shown.contains("cret"));
        let kv = Database::parse("host=db dbname=skvoz user=admin sslmode=disable").unwrap();
        assert_eq!((kv.tls, kv.config.get_dbname()), (TlsMode::Disable, Some("skvoz")));
        assert!(
            matches!(Database::parse("postgresql://x/db?sslmode=maybe"), Err(LocationError::SslMode(m)) if m == "maybe")
        );
    }

    #[test]
    fn fields_make_the_same_database_as_a_connection_string() {
        let parts = DatabaseParts {
            host: "db.example.ru".into(),
            port: 6432,
            database: "skvoz".into(),
            user: "marketer".into(),
            tls: TlsMode::VerifyFull,
            root_cert: Some("/etc/ca.pem".into()),
        };
        let db = Database::from_parts(&parts, Some("secret")).unwrap();
        assert_eq!(db.describe(), "postgresql://marketer@db.example.ru:6432/skvoz");
        assert_eq!(db.config.get_password(), Some(&b"secret"[..]));
        assert_eq!(db.parts(), parts);
        let url = Database::parse(
            "postgresql://marketer@db.example.ru:6432/skvoz?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
        assert_eq!(url.parts(), parts);
        let blank = DatabaseParts { host: " ".into(), ..parts };
        assert!(matches!(Database::from_parts(&blank, None), Err(LocationError::Missing("сервер"))));
        for mode in TlsMode::ALL {
            assert_eq!(TlsMode::from_name(mode.name()).unwrap(), mode);
        }
    }

    #[test]
    fn pgpass_lines_match_by_field_with_wildcards_and_escapes() {
        let text = "# comment\nother:5432:*:admin:wrong\ndb.example.ru:*:skvoz:admin:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(pgpass_lookup(text, ["db.example.ru", "6432", "skvoz", "admin"]).as_deref(), Some("pa:ss"));
        assert_eq!(pgpass_lookup(text, ["elsewhere", "5432", "x", "y"]).as_deref(), Some("fallback"));
        assert_eq!(pgpass_lookup("a:1:b:c:d\n", ["a", "2", "b", "c"]), None);
    }
}
