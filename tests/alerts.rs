//! Alerts end to end: delivery to local fakes of Telegram's Bot API, an SMTP server and a webhook;
//! the sender's memory across a restart; `skvoz alerts` on a small embedded store.

#[cfg(unix)]
#[path = "support/serve.rs"]
mod serve;

#[path = "support/pg.rs"]
mod pg;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jiff::{SignedDuration, Timestamp};
use skvoz::app::alerts;
use skvoz::domain::{Alert, AlertKind, AlertSettings, Lead, Secret, WorkingHours};
use skvoz::notify::{self, Channel};
use skvoz::store::Store;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const TOKEN: &str = "123456:ABC-secret-token";

fn alert(n: u64) -> Alert {
    Alert {
        kind: AlertKind::LeadNotTaken,
        key: format!("lead_not_taken:{n}"),
        title: format!("Заявка № {n} не взята в работу"),
        details: "«Окна» ждёт 45 мин".into(),
        since: Timestamp::UNIX_EPOCH,
        lead: Some(n),
    }
}

/// What a fake HTTP server received: the path and the JSON body of each request.
type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A fake of Telegram's Bot API (`/bot{token}/sendMessage`) and of a webhook (`/hook`, answering
/// `hook_status`), on a loopback port.
async fn fake_http(hook_status: Arc<Mutex<u16>>) -> (String, Received) {
    let (base, received, _) = fake_http_told(hook_status).await;
    (base, received)
}

/// [`fake_http`] that also tells of each webhook call it received.
async fn fake_http_told(hook_status: Arc<Mutex<u16>>) -> (String, Received, Arc<tokio::sync::Notify>) {
    let received: Received = Arc::default();
    let told = Arc::new(tokio::sync::Notify::new());
    #[derive(Clone)]
    struct Fake {
        received: Received,
        hook_status: Arc<Mutex<u16>>,
        told: Arc<tokio::sync::Notify>,
    }
    async fn telegram(
        State(fake): State<Fake>,
        Path((bot, method)): Path<(String, String)>,
        Json(body): Json<serde_json::Value>,
    ) -> (StatusCode, Json<serde_json::Value>) {
        fake.received.lock().unwrap().push((format!("/{bot}/{method}"), body));
        if bot != format!("bot{TOKEN}") || method != "sendMessage" {
            return (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
            );
        }
        (StatusCode::OK, Json(serde_json::json!({"ok": true, "result": {"message_id": 1}})))
    }
    async fn hook(State(fake): State<Fake>, Json(body): Json<serde_json::Value>) -> StatusCode {
        fake.received.lock().unwrap().push(("/hook".into(), body));
        fake.told.notify_one();
        StatusCode::from_u16(*fake.hook_status.lock().unwrap()).unwrap()
    }
    let app = axum::Router::new()
        .route("/{bot}/{method}", post(telegram))
        .route("/hook", post(hook))
        .with_state(Fake { received: received.clone(), hook_status, told: told.clone() });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received, told)
}

#[tokio::test]
async fn telegram_gets_the_text_at_the_bots_path_and_a_refusal_never_shows_the_token() {
    let (base, received) = fake_http(Arc::new(Mutex::new(200))).await;
    let settings = AlertSettings {
        telegram_enabled: true,
        telegram_api_base: format!("{base}/"),
        telegram_token: Secret::new(TOKEN),
        telegram_chat_id: "-100200300".into(),
        ..AlertSettings::default()
    };
    notify::send(Channel::Telegram, &settings, &[alert(7)]).await.unwrap();
    {
        let got = received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, format!("/bot{TOKEN}/sendMessage"));
        assert_eq!(got[0].1["chat_id"], "-100200300");
        let text = got[0].1["text"].as_str().unwrap();
        assert!(text.contains("Заявка № 7 не взята в работу") && text.contains("ждёт 45 мин"), "{text}");
    }
    let wrong = AlertSettings { telegram_token: Secret::new("999:wrong-token-xyz"), ..settings };
    let err = notify::send(Channel::Telegram, &wrong, &[alert(7)]).await.unwrap_err().to_string();
    assert!(err.contains("Unauthorized") && err.contains("токен"), "{err}");
    assert!(!err.contains("wrong-token") && !err.contains(TOKEN), "{err}");
    // Nobody listens: the reqwest error names no URL (it holds the token).
    let closed = AlertSettings { telegram_api_base: "http://127.0.0.1:9".into(), ..wrong };
    let err = notify::send(Channel::Telegram, &closed, &[alert(7)]).await.unwrap_err().to_string();
    assert!(err.contains("нет связи") && !err.contains("wrong-token"), "{err}");
}

#[tokio::test]
async fn the_webhook_gets_the_alerts_as_json_and_an_error_status_is_a_failure() {
    let status = Arc::new(Mutex::new(200));
    let (base, received) = fake_http(status.clone()).await;
    let settings =
        AlertSettings { webhook_enabled: true, webhook_url: format!("{base}/hook"), ..AlertSettings::default() };
    notify::send(Channel::Webhook, &settings, &[alert(1), alert(2)]).await.unwrap();
    {
        let got = received.lock().unwrap();
        let body = &got[0].1;
        assert_eq!(body["test"], false);
        assert_eq!(body["alerts"].as_array().unwrap().len(), 2);
        assert_eq!(body["alerts"][1]["key"], "lead_not_taken:2");
        assert_eq!(body["alerts"][0]["kind"], "lead_not_taken");
        assert!(body["text"].as_str().unwrap().contains("оповещений — 2"));
    }
    *status.lock().unwrap() = 500;
    let err = notify::send(Channel::Webhook, &settings, &[alert(1)]).await.unwrap_err().to_string();
    assert!(err.contains("HTTP 500"), "{err}");
}

/// What the fake SMTP server saw: the commands, and the message after DATA.
#[derive(Default, Debug)]
struct Transcript {
    commands: Vec<String>,
    message: String,
}

/// A fake SMTP server for one session; it offers `auth` («PLAIN LOGIN» or «LOGIN») and accepts
/// `login`/`password`, and records what the client said.
async fn fake_smtp(
    auth: &'static str,
    login: &'static str,
    password: &'static str,
) -> (u16, tokio::task::JoinHandle<Transcript>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"220 fake.smtp ESMTP ready\r\n").await.unwrap();
        let mut transcript = Transcript::default();
        smtp_dialogue(socket, auth, login, password, &mut transcript).await;
        transcript
    });
    (port, task)
}

/// A fake SMTP server as on port 587: it offers STARTTLS and nothing else until the client has
/// switched to TLS with the certificate in `cert_dir` (server.pem, server.key); the session then
/// goes on as [`fake_smtp`]'s. `<TLS>` in the transcript marks the switch.
async fn fake_smtp_starttls(
    cert_dir: &std::path::Path,
    login: &'static str,
    password: &'static str,
) -> (u16, tokio::task::JoinHandle<Transcript>) {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(cert_dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(cert_dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut transcript = Transcript::default();
        socket.write_all(b"220 fake.smtp ESMTP ready\r\n").await.unwrap();
        let mut reader = BufReader::new(socket);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap() == 0 {
                return transcript;
            }
            let line = line.trim_end().to_string();
            transcript.commands.push(line.clone());
            let reply: &[u8] = match line.to_uppercase().as_str() {
                l if l.starts_with("EHLO") => b"250-fake.smtp\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                "STARTTLS" => b"220 2.0.0 Ready to start TLS\r\n",
                _ => b"530 5.7.0 Must issue a STARTTLS command first\r\n",
            };
            reader.get_mut().write_all(reply).await.unwrap();
            if line.eq_ignore_ascii_case("STARTTLS") {
                break;
            }
        }
        assert!(reader.buffer().is_empty(), "nothing is sent before the handshake");
        let Ok(tls) = acceptor.accept(reader.into_inner()).await else { return transcript };
        transcript.commands.push("<TLS>".into());
        smtp_dialogue(tls, "PLAIN LOGIN", login, password, &mut transcript).await;
        transcript
    });
    (port, task)
}

/// The rest of a session after the greeting: EHLO, AUTH, MAIL, RCPT, DATA, QUIT.
async fn smtp_dialogue<S: tokio::io::AsyncRead + tokio::io::AsyncWrite>(
    stream: S,
    auth: &str,
    login: &str,
    password: &str,
    transcript: &mut Transcript,
) {
    let (read, write) = tokio::io::split(stream);
    let mut write = Box::pin(write);
    let mut lines = BufReader::new(read).lines();
    let plain = format!("\0{login}\0{password}");
    while let Some(line) = lines.next_line().await.unwrap() {
        transcript.commands.push(line.clone());
        let upper = line.to_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            format!("250-fake.smtp\r\n250-AUTH {auth}\r\n250 8BITMIME\r\n")
        } else if let Some(token) = line.strip_prefix("AUTH PLAIN ") {
            let ok = BASE64.decode(token).unwrap() == plain.as_bytes();
            if ok { "235 2.7.0 Accepted\r\n".into() } else { "535 5.7.8 Authentication failed\r\n".into() }
        } else if upper == "AUTH LOGIN" {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await.unwrap();
            let user = lines.next_line().await.unwrap().unwrap();
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await.unwrap();
            let pass = lines.next_line().await.unwrap().unwrap();
            let ok =
                BASE64.decode(user).unwrap() == login.as_bytes() && BASE64.decode(pass).unwrap() == password.as_bytes();
            if ok { "235 2.7.0 Accepted\r\n".into() } else { "535 5.7.8 Authentication failed\r\n".into() }
        } else if upper.starts_with("MAIL FROM") || upper.starts_with("RCPT TO") {
            "250 OK\r\n".into()
        } else if upper == "DATA" {
            write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.unwrap();
            while let Some(data) = lines.next_line().await.unwrap() {
                if data == "." {
                    break;
                }
                transcript.message.push_str(&data);
                transcript.message.push('\n');
            }
            "250 2.0.0 queued\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await.unwrap();
            let _ = write.shutdown().await;
            break;
        } else {
            "502 unknown\r\n".into()
        };
        write.write_all(reply.as_bytes()).await.unwrap();
    }
}

fn smtp_settings(port: u16, password: &str) -> AlertSettings {
    AlertSettings {
        email_enabled: true,
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_login: "alerts@example.ru".into(),
        smtp_password: Secret::new(password),
        email_from: "alerts@example.ru".into(),
        email_to: "boss@example.ru, marketer@example.ru".into(),
        ..AlertSettings::default()
    }
}

/// The subject and the body of a message the fake received, decoded.
fn decode_message(message: &str) -> (String, String) {
    let (head, body) = message.split_once("\n\n").unwrap();
    let subject: String = head
        .lines()
        .skip_while(|l| !l.starts_with("Subject:"))
        .take_while(|l| l.starts_with("Subject:") || l.starts_with(' '))
        .map(|l| l.trim_start_matches("Subject:").trim())
        .map(|w| {
            String::from_utf8(BASE64.decode(w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=")).unwrap())
                .unwrap()
        })
        .collect();
    let body = String::from_utf8(BASE64.decode(body.replace('\n', "")).unwrap()).unwrap();
    (subject, body)
}

#[tokio::test]
async fn smtp_logs_in_with_plain_and_the_message_arrives_with_its_subject_and_body() {
    let (port, server) = fake_smtp("PLAIN LOGIN", "alerts@example.ru", "p@ss-w0rd").await;
    notify::send(Channel::Email, &smtp_settings(port, "p@ss-w0rd"), &[alert(12)]).await.unwrap();
    let transcript = server.await.unwrap();
    assert!(transcript.commands.iter().any(|c| c.starts_with("AUTH PLAIN ")), "{transcript:?}");
    assert!(transcript.commands.contains(&"MAIL FROM:<alerts@example.ru>".to_string()));
    assert!(transcript.commands.contains(&"RCPT TO:<boss@example.ru>".to_string()));
    assert!(transcript.commands.contains(&"RCPT TO:<marketer@example.ru>".to_string()));
    assert!(transcript.message.contains("To: boss@example.ru, marketer@example.ru"), "{}", transcript.message);
    let (subject, body) = decode_message(&transcript.message);
    assert_eq!(subject, "Сквозная аналитика: Заявка № 12 не взята в работу");
    assert!(body.contains("Заявка № 12 не взята в работу") && body.contains("ждёт 45 мин"), "{body}");
}

#[tokio::test]
async fn smtp_logs_in_with_login_when_only_that_is_offered_and_a_wrong_password_is_named_not_shown() {
    let (port, server) = fake_smtp("LOGIN", "alerts@example.ru", "right-pass").await;
    notify::send(Channel::Email, &smtp_settings(port, "right-pass"), &[]).await.unwrap();
    let transcript = server.await.unwrap();
    assert!(transcript.commands.contains(&"AUTH LOGIN".to_string()), "{transcript:?}");
    let (subject, body) = decode_message(&transcript.message);
    assert_eq!(subject, "Сквозная аналитика: проверка оповещений");
    assert!(body.contains("проверка"), "{body}");

    let (port, _server) = fake_smtp("PLAIN", "alerts@example.ru", "right-pass").await;
    let err = notify::send(Channel::Email, &smtp_settings(port, "wrong-pass-42"), &[alert(1)]).await.unwrap_err();
    let err = err.to_string();
    assert!(err.contains("535") && err.contains("логин и пароль"), "{err}");
    assert!(!err.contains("wrong-pass-42"), "{err}");
}

/// A store with one lead that has waited two hours, rules counting all hours of the week.
async fn store_with_a_waiting_lead(dir: &std::path::Path, webhook: Option<String>) -> Store {
    let store = Store::open_embedded(dir).await.unwrap();
    let now = Timestamp::now();
    let arrived = now - SignedDuration::from_hours(2);
    store
        .add_lead(Lead { title: "Окна".into(), created: arrived, received: Some(arrived), ..Lead::default() })
        .await
        .unwrap();
    let mut settings = AlertSettings {
        working_hours: WorkingHours { days: (1..=7).collect(), start_hour: 0, end_hour: 24, ..WorkingHours::default() },
        rules: skvoz::domain::AlertRules::all_on(),
        ..AlertSettings::default()
    };
    if let Some(url) = webhook {
        settings.webhook_enabled = true;
        settings.webhook_url = url;
    }
    store.put_alert_settings(settings).await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_alert_is_sent_once_a_restart_sends_nothing_again_and_a_failure_is_retried() {
    let status = Arc::new(Mutex::new(500));
    let (base, received) = fake_http(status.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_waiting_lead(dir.path(), Some(format!("{base}/hook"))).await;
    let round = alerts::send_round(&store, Timestamp::now()).await.unwrap();
    assert!(round.sent.is_empty());
    assert_eq!(round.failed.len(), 1, "{round:?}");
    assert!(round.failed[0].1.contains("HTTP 500"), "{round:?}");
    *status.lock().unwrap() = 200;
    let round = alerts::send_round(&store, Timestamp::now()).await.unwrap();
    assert_eq!(round.sent, [(Channel::Webhook, vec!["lead_not_taken:1".to_string()])], "retried");
    let round = alerts::send_round(&store, Timestamp::now()).await.unwrap();
    assert!(round.sent.is_empty() && round.failed.is_empty(), "{round:?}");
    store.close().await.unwrap();
    drop(store);

    let store = Store::open_embedded(dir.path()).await.unwrap();
    let round = alerts::send_round(&store, Timestamp::now()).await.unwrap();
    assert!(round.sent.is_empty(), "a restart sends nothing again: {round:?}");
    let delivered: Vec<_> = received.lock().unwrap().iter().filter(|(_, b)| b["test"] == false).cloned().collect();
    assert_eq!(delivered.len(), 2, "one failed attempt and one delivery");
    assert_eq!(store.alerts_sent().await.unwrap(), ["webhook/lead_not_taken:1"]);
}

fn skvoz(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_skvoz")).arg("--data-dir").arg(dir).args(args).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skvoz_alerts_lists_the_current_alerts_as_json_and_sends_a_test_message() {
    let (base, received) = fake_http(Arc::new(Mutex::new(200))).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_waiting_lead(dir.path(), Some(format!("{base}/hook"))).await;
    store.close().await.unwrap();
    drop(store);
    let path = dir.path().to_path_buf();
    let (ok, out, err) =
        tokio::task::spawn_blocking(move || skvoz(&path, &["alerts", "--format", "json"])).await.unwrap();
    assert!(ok, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{out}");
    assert_eq!(list[0]["kind"], "lead_not_taken");
    assert_eq!(list[0]["key"], "lead_not_taken:1");
    assert!(list[0]["title"].as_str().unwrap().contains("не взята в работу"));

    let path = dir.path().to_path_buf();
    let (ok, out, err) = tokio::task::spawn_blocking(move || skvoz(&path, &["alerts"])).await.unwrap();
    assert!(ok && out.contains("не взята в работу"), "{out}{err}");

    let path = dir.path().to_path_buf();
    let (ok, out, err) = tokio::task::spawn_blocking(move || skvoz(&path, &["alerts", "--send"])).await.unwrap();
    assert!(ok, "{out}{err}");
    assert!(out.contains("Webhook: проверочное сообщение отправлено"), "{out}");
    let got = received.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1["test"], true);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skvoz_serve_sends_a_new_alert_and_skvoz_alerts_asks_it_while_it_runs() {
    let (base, received, told) = fake_http_told(Arc::new(Mutex::new(200))).await;
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_waiting_lead(dir.path(), Some(format!("{base}/hook"))).await;
    store.close().await.unwrap();
    drop(store);
    let running = serve::Serve::start(dir.path());
    // The first round runs as the service starts; the guard only keeps a broken build from hanging.
    tokio::time::timeout(std::time::Duration::from_secs(60), told.notified()).await.expect("no alert was sent");
    {
        let got = received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1["alerts"][0]["key"], "lead_not_taken:1");
    }
    // The store is held by serve: the command asks it through the control socket.
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || serve::run_ok(&path, &["alerts", "--format", "json"])).await.unwrap();
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["key"], "lead_not_taken:1", "{out}");
    let log = running.stop();
    assert!(!log.contains("не отправлено"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_switches_to_tls_when_offered_logs_in_only_then_and_refuses_a_certificate_it_does_not_trust() {
    let certs = tempfile::tempdir().unwrap();
    if let Err(e) = pg::make_certificates(certs.path()) {
        assert!(std::env::var_os("SKVOZ_REQUIRE_TOOLS").is_none(), "openssl is needed: {e}");
        eprintln!("skipped: openssl made no certificates ({e})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let send = |port: u16, ca: &str| {
        let (dir, ca) = (dir.path().to_path_buf(), certs.path().join(ca));
        async move {
            let store = Store::open_embedded(&dir).await.unwrap();
            // «localhost», the name the certificate is for.
            let settings = AlertSettings { smtp_host: "localhost".into(), ..smtp_settings(port, "p@ss-w0rd") };
            store.put_alert_settings(settings).await.unwrap();
            store.close().await.unwrap();
            drop(store);
            tokio::task::spawn_blocking(move || {
                // The system's roots, as the client reads them, are this test's CA alone.
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_skvoz"))
                    .arg("--data-dir")
                    .arg(&dir)
                    .args(["alerts", "--send"])
                    .env("SSL_CERT_FILE", ca)
                    .output()
                    .unwrap();
                (out.status.success(), String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap())
            })
            .await
            .unwrap()
        }
    };

    let (port, server) = fake_smtp_starttls(certs.path(), "alerts@example.ru", "p@ss-w0rd").await;
    let (ok, out) = send(port, "ca.pem").await;
    assert!(ok && out.contains("E-mail: проверочное сообщение отправлено"), "{out}");
    let transcript = server.await.unwrap();
    let tls = transcript.commands.iter().position(|c| c == "<TLS>").expect("the session switched to TLS");
    let auth = transcript.commands.iter().position(|c| c.starts_with("AUTH PLAIN ")).expect("it logged in");
    assert!(tls < auth, "the password travels only inside TLS: {:?}", transcript.commands);
    assert!(transcript.commands[tls + 1].starts_with("EHLO"), "EHLO again after the switch");
    assert!(transcript.message.contains("To: boss@example.ru, marketer@example.ru"), "{}", transcript.message);

    // A server whose certificate no trusted CA signed gets no password.
    let (port, server) = fake_smtp_starttls(certs.path(), "alerts@example.ru", "p@ss-w0rd").await;
    let (_, out) = send(port, "other_ca.pem").await;
    assert!(out.contains("E-mail") && out.contains("(TLS)") && out.contains("сертификат сервера не принят"), "{out}");
    assert!(!out.contains("p@ss-w0rd"), "{out}");
    let transcript = server.await.unwrap();
    assert!(!transcript.commands.iter().any(|c| c.starts_with("AUTH")), "{:?}", transcript.commands);
}
