//! E-mail over SMTP: a plain dialogue (EHLO, STARTTLS whenever the server offers it, AUTH PLAIN or
//! LOGIN, MAIL, RCPT, DATA). Port 465 speaks TLS from the first byte. The body travels in base64,
//! so no line of it can end the message early and any server takes the UTF-8 text.

use super::NotifyError;
use crate::domain::{Alert, AlertSettings, alerts};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

/// The port where the server expects TLS at once (SMTPS).
const IMPLICIT_TLS_PORT: u16 = 465;
/// A reply line longer than this is not SMTP.
const MAX_LINE: usize = 4096;

pub(super) async fn send(settings: &AlertSettings, found: &[Alert]) -> Result<(), NotifyError> {
    let host = settings.smtp_host.trim();
    if host.is_empty() {
        return Err(NotifyError::NotSetUp("почтовый сервер (SMTP)"));
    }
    let from = settings.email_from.trim();
    if from.is_empty() {
        return Err(NotifyError::NotSetUp("адрес отправителя"));
    }
    let to = settings.email_recipients();
    if to.is_empty() {
        return Err(NotifyError::NotSetUp("адрес получателя"));
    }
    let message = compose(from, &to, &alerts::message_subject(found), &alerts::message_text(found));
    let port = settings.smtp_port;
    let tcp = TcpStream::connect((host, port)).await.map_err(|e| NotifyError::Connect {
        what: format!("почтовым сервером {host}:{port}"),
        reason: e.to_string(),
    })?;
    let letter = Letter { settings, from, to: &to, message: &message };
    if port == IMPLICIT_TLS_PORT {
        let mut session = Session::new(tls(host, tcp).await?);
        session.expect(&[220], "подключение").await?;
        let capabilities = session.ehlo().await?;
        return session.deliver(&capabilities, &letter).await;
    }
    let mut session = Session::new(tcp);
    session.expect(&[220], "подключение").await?;
    let capabilities = session.ehlo().await?;
    if capabilities.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")) {
        session.command("STARTTLS", &[220], "STARTTLS").await?;
        let mut session = Session::new(tls(host, session.stream.into_inner()).await?);
        let capabilities = session.ehlo().await?;
        return session.deliver(&capabilities, &letter).await;
    }
    session.deliver(&capabilities, &letter).await
}

struct Letter<'a> {
    settings: &'a AlertSettings,
    from: &'a str,
    to: &'a [String],
    message: &'a str,
}

struct Session<S> {
    stream: BufStream<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    fn new(stream: S) -> Self {
        Session { stream: BufStream::new(stream) }
    }

    /// One reply, all its lines: the code and the texts after it.
    async fn reply(&mut self) -> Result<(u16, Vec<String>), NotifyError> {
        let mut texts = Vec::new();
        loop {
            let mut line = String::new();
            let read = AsyncReadExt::take(&mut self.stream, MAX_LINE as u64).read_line(&mut line).await;
            match read {
                Ok(0) => return Err(NotifyError::Smtp("сервер закрыл соединение".into())),
                Ok(_) => {}
                Err(e) => return Err(NotifyError::Smtp(e.to_string())),
            }
            let line = line.trim_end();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(NotifyError::Smtp(format!("непонятный ответ «{}»", crate::domain::cut(line, 200))));
            };
            texts.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, texts));
            }
        }
    }

    async fn expect(&mut self, codes: &[u16], step: &'static str) -> Result<Vec<String>, NotifyError> {
        let (code, texts) = self.reply().await?;
        if codes.contains(&code) {
            Ok(texts)
        } else {
            Err(NotifyError::SmtpRefused {
                step,
                reply: crate::domain::cut(&format!("{code} {}", texts.join(" ")), 300),
            })
        }
    }

    async fn write(&mut self, text: &str) -> Result<(), NotifyError> {
        let sent = async {
            self.stream.write_all(text.as_bytes()).await?;
            self.stream.flush().await
        };
        sent.await.map_err(|e| NotifyError::Smtp(e.to_string()))
    }

    /// A command line (never logged: AUTH carries the password) and the reply it must get.
    async fn command(&mut self, line: &str, codes: &[u16], step: &'static str) -> Result<Vec<String>, NotifyError> {
        self.write(&format!("{line}\r\n")).await?;
        self.expect(codes, step).await
    }

    /// EHLO: the server's capabilities, one per line (`STARTTLS`, `AUTH PLAIN LOGIN`).
    async fn ehlo(&mut self) -> Result<Vec<String>, NotifyError> {
        let texts = self.command("EHLO skvoz", &[250], "EHLO").await?;
        Ok(texts.into_iter().skip(1).map(|t| t.trim().to_string()).collect())
    }

    async fn deliver(&mut self, capabilities: &[String], letter: &Letter<'_>) -> Result<(), NotifyError> {
        let settings = letter.settings;
        let login = settings.smtp_login.trim();
        if !login.is_empty() {
            let methods: Vec<String> = capabilities
                .iter()
                .filter_map(|c| c.strip_prefix("AUTH").map(|m| m.trim_start_matches([' ', '=']).to_uppercase()))
                .flat_map(|m| m.split_whitespace().map(String::from).collect::<Vec<_>>())
                .collect();
            let password = settings.smtp_password.expose();
            if methods.iter().any(|m| m == "PLAIN") || !methods.iter().any(|m| m == "LOGIN") {
                let token = BASE64.encode(format!("\0{login}\0{password}"));
                self.command(&format!("AUTH PLAIN {token}"), &[235], "вход (AUTH PLAIN): проверьте логин и пароль")
                    .await?;
            } else {
                self.command("AUTH LOGIN", &[334], "вход (AUTH LOGIN)").await?;
                self.command(&BASE64.encode(login), &[334], "логин (AUTH LOGIN)").await?;
                self.command(&BASE64.encode(password), &[235], "пароль (AUTH LOGIN): проверьте логин и пароль").await?;
            }
        }
        self.command(&format!("MAIL FROM:<{}>", letter.from), &[250], "адрес отправителя").await?;
        for to in letter.to {
            self.command(&format!("RCPT TO:<{to}>"), &[250, 251], "адрес получателя").await?;
        }
        self.command("DATA", &[354], "DATA").await?;
        self.write(letter.message).await?;
        self.command(".", &[250], "письмо").await?;
        // The message is accepted; a rude goodbye changes nothing.
        let _ = self.command("QUIT", &[221], "QUIT").await;
        Ok(())
    }
}

/// The message: headers, a blank line, the body in base64 lines (none starts with a dot), CRLF.
fn compose(from: &str, to: &[String], subject: &str, text: &str) -> String {
    let date =
        jiff::fmt::rfc2822::to_string(&jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC)).unwrap_or_default();
    let mut message = format!(
        "From: {from}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        to.join(", "),
        encoded_words(subject)
    );
    let body = BASE64.encode(text.replace("\r\n", "\n").replace('\n', "\r\n"));
    for chunk in body.as_bytes().chunks(76) {
        message.push_str(&String::from_utf8_lossy(chunk));
        message.push_str("\r\n");
    }
    message
}

/// A header value as RFC 2047 encoded words of at most 45 bytes of text each, folded.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", BASE64.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", BASE64.encode(&chunk)));
    }
    words.join("\r\n ")
}

async fn tls(host: &str, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, NotifyError> {
    let failed = |reason: String| NotifyError::Connect {
        what: format!("почтовым сервером {host} (TLS)"), reason
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| failed(e.to_string()))?;
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| {
        let certificate = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match certificate {
            Some(rustls::Error::InvalidCertificate(why)) => failed(format!(
                "сертификат сервера не принят ({why:?}): проверьте, что адрес сервера — имя из его сертификата, \
                 а сертификат выдан центром, которому доверяет система"
            )),
            _ => failed(e.to_string()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_russian_subject_is_folded_into_encoded_words_that_decode_back() {
        let subject = "Сквозная аналитика: Заявка № 123 не взята в работу";
        let header = encoded_words(subject);
        let decoded: String = header
            .split("\r\n ")
            .map(|w| {
                let b64 = w.strip_prefix("=?UTF-8?B?").unwrap().strip_suffix("?=").unwrap();
                String::from_utf8(BASE64.decode(b64).unwrap()).unwrap()
            })
            .collect();
        assert_eq!(decoded, subject);
        assert!(header.split("\r\n ").all(|w| w.len() <= 75), "{header}");
    }
}
