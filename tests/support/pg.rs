//! A PostgreSQL server for tests. With `PGHOST` set, that server is used (`PGPORT`, `PGUSER`,
//! `PGPASSWORD` as usual). Otherwise, when `initdb` and `pg_ctl` are installed (on the PATH or in
//! Debian's `/usr/lib/postgresql/<v>/bin`), a throw-away cluster is started once per test binary in
//! a temporary folder, on a Unix socket, with `fsync=off` (as root, it runs as the `postgres` user);
//! a watchdog stops and removes it when the test process ends. Every test gets a database of its own.
//! Without PostgreSQL the tests that need it say so in one line and pass, unless
//! `SKVOZ_REQUIRE_TOOLS` is set (CI), where that is a failure.
#![allow(dead_code)]

#[path = "pg_tools.rs"]
mod pg_tools;

use pg_tools::{find_tool, is_root, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Server {
    config: tokio_postgres::Config,
    tls: Option<TlsServer>,
    local: Option<Local>,
}

/// The same server over TCP with TLS, and the CA that signed its certificate.
pub struct TlsServer {
    pub port: u16,
    pub ca: PathBuf,
    /// A CA that signed nothing here: trusting only it must fail.
    pub other_ca: PathBuf,
}

static SERVER: OnceLock<Option<Server>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

fn required() -> bool {
    std::env::var_os("SKVOZ_REQUIRE_TOOLS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn from_env() -> Option<tokio_postgres::Config> {
    let host = std::env::var("PGHOST").ok()?;
    let mut config = tokio_postgres::Config::new();
    config.host(&host);
    if let Some(port) = std::env::var("PGPORT").ok().and_then(|p| p.parse().ok()) {
        config.port(port);
    }
    config.user(std::env::var("PGUSER").unwrap_or_else(|_| "postgres".into()));
    if let Ok(password) = std::env::var("PGPASSWORD") {
        config.password(password);
    }
    Some(config)
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// A CA and a certificate for localhost signed by it, and a second, unrelated CA.
pub fn make_certificates(dir: &Path) -> Result<(), String> {
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").map_err(|e| e.to_string())?;
    for ca in ["ca", "other_ca"] {
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=skvoz test CA",
                "-keyout",
                &key,
                "-out",
                &pem,
            ],
        )?;
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "san.ext",
        ],
    )
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// A cluster this harness started: `pg_ctl`, the data folder, the server's options and its log.
struct Local {
    pg_ctl: PathBuf,
    data: String,
    options: String,
    log: String,
}

fn start_local() -> Result<(tokio_postgres::Config, Option<TlsServer>, Option<Local>), String> {
    let initdb = find_tool("initdb").ok_or("initdb не найден")?;
    let pg_ctl = find_tool("pg_ctl").ok_or("pg_ctl не найден")?;
    let dir = tempfile::Builder::new().prefix("skvoz-pg-").tempdir().map_err(|e| e.to_string())?.keep();
    let root = is_root();
    if root {
        let chown = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        if !chown.is_ok_and(|s| s.success()) {
            return Err("chown postgres не удался".into());
        }
    }
    // TLS over TCP too, where openssl can make the certificates.
    let tls = make_certificates(&dir).ok().map(|_| dir.clone());
    if tls.is_some() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600));
    }
    if root {
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
    }
    let port = free_port()?;
    let data = dir.join("data");
    let (dir_s, data_s) = (dir.to_string_lossy().to_string(), data.to_string_lossy().to_string());
    run(&initdb, &["-D", &data_s, "-U", "skvoz", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])?;
    // The harness's own login is trusted; every other login (the people of a team database)
    // proves its password, as on a real server.
    let hba = "local all skvoz trust\nhost all skvoz 127.0.0.1/32 trust\nhost all skvoz ::1/128 trust\n\
               local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n";
    std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| format!("pg_hba.conf: {e}"))?;
    let mut options = format!(
        "-k {dir_s} -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    );
    match &tls {
        Some(certs) => options.push_str(&format!(
            " -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key",
            certs.display()
        )),
        None => options.push_str(" -c listen_addresses=''"),
    }
    let log = format!("{dir_s}/server.log");
    run(&pg_ctl, &["-D", &data_s, "-o", &options, "-l", &log, "-w", "-t", "60", "start"])?;
    // Stops and removes the cluster once this test process is gone, however it ends.
    let pid = std::process::id();
    let stop = if root {
        format!("runuser -u postgres -- {} -D {data_s} stop -m immediate", pg_ctl.display())
    } else {
        format!("{} -D {data_s} stop -m immediate", pg_ctl.display())
    };
    let watchdog = format!("while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir_s}");
    Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut config = tokio_postgres::Config::new();
    config.host_path(&dir).port(port).user("skvoz");
    let tls = tls.map(|certs| TlsServer { port, ca: certs.join("ca.pem"), other_ca: certs.join("other_ca.pem") });
    Ok((config, tls, Some(Local { pg_ctl, data: data_s, options, log })))
}

fn server() -> Option<&'static Server> {
    SERVER
        .get_or_init(|| {
            let config = match from_env() {
                Some(config) => Ok((config, None, None)),
                None => start_local(),
            };
            match config {
                Ok((config, tls, local)) => Some(Server { config, tls, local }),
                Err(why) if required() => panic!("PostgreSQL нужен для тестов (SKVOZ_REQUIRE_TOOLS), но: {why}"),
                Err(why) => {
                    eprintln!("PostgreSQL недоступен ({why}): тесты на PostgreSQL пропущены");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether the server checks passwords of logins other than the harness's (on a server given by
/// `PGHOST` that is its own configuration's business).
pub fn checks_passwords() -> bool {
    server().is_some_and(|s| s.local.is_some())
}

/// A fresh, empty database of its own, or `None` (after one line saying so) without PostgreSQL.
pub async fn fresh_database() -> Option<tokio_postgres::Config> {
    let server = server()?;
    let mut admin = server.config.clone();
    admin.dbname("postgres");
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await.expect("connect to the test server");
    tokio::spawn(connection);
    let name = format!("t_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    let mut config = server.config.clone();
    config.dbname(&name);
    Some(config)
}

/// The test server over TCP with TLS; `None` without PostgreSQL or openssl, or on a given server.
pub fn tls_server() -> Option<&'static TlsServer> {
    server()?.tls.as_ref()
}

/// A fresh database's name on the test server (for connection strings written by hand).
pub async fn fresh_database_name() -> Option<String> {
    fresh_database().await.and_then(|c| c.get_dbname().map(str::to_string))
}

/// Restarts the harness's own server (fast shutdown, as an admin or a crash would), waiting until
/// it accepts connections again; `false` when the server is not ours to restart.
pub fn restart() -> bool {
    stop() && start()
}

/// Stops the harness's own server; `false` when it is not ours.
pub fn stop() -> bool {
    let Some(local) = server().and_then(|s| s.local.as_ref()) else { return false };
    run(&local.pg_ctl, &["-D", &local.data, "-m", "fast", "-w", "-t", "60", "stop"]).expect("the test server stops");
    true
}

/// Starts the harness's own server again after [`stop`].
pub fn start() -> bool {
    let Some(local) = server().and_then(|s| s.local.as_ref()) else { return false };
    let args = ["-D", &local.data, "-o", &local.options, "-l", &local.log, "-w", "-t", "60", "start"];
    run(&local.pg_ctl, &args).expect("the test server starts");
    true
}

/// A connection string of `config` for the command line (`key=value` words).
pub fn url(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or("postgres");
    format!("host={host} port={port} user={user} dbname={db} sslmode=disable")
}
