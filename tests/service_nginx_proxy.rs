//! The nginx example really passes megabyte URLs to skvoz and tells it who the client is: nginx is
//! started with the shipped config (ports changed to free ones); a 900 KB proxy lead goes through it,
//! and wrong tokens from one client do not block another. Skipped, with a note,
//! where nginx or the snakeoil certificate is not installed (CI installs both, and fails the test
//! without them through `SKVOZ_REQUIRE_TOOLS=1`).

#[path = "support/tools.rs"]
mod tools;

#[path = "support/service.rs"]
mod service;

use service::{LOGIN, start, start_with, token};
use skvoz::service::ServiceOptions;
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx with the shipped config, proxying to `upstream` on a free plain-HTTP port.
struct Nginx {
    child: std::process::Child,
    port: u16,
    _prefix: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// None, with a note, where nginx or the snakeoil certificate is not installed.
async fn start_nginx(upstream: std::net::SocketAddr) -> Option<Nginx> {
    let nginx_ok = Command::new("nginx").arg("-v").output().is_ok_and(|o| o.status.success());
    if !nginx_ok || !std::path::Path::new("/etc/ssl/certs/ssl-cert-snakeoil.pem").exists() {
        tools::missing("nginx or the snakeoil certificate is missing here");
        return None;
    }
    let conf_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/nginx/skvoz.conf")).unwrap();
    let port = free_port();
    let prefix = tempfile::tempdir().unwrap();
    let pid = prefix.path().join("nginx.pid");
    let conf_text = conf_text
        .replace("server 127.0.0.1:8085;", &format!("server {upstream};"))
        // Plain HTTP on a free port: what is tested is the proxying, not TLS.
        .replace("listen 8443 ssl;", &format!("listen 127.0.0.1:{port};"))
        .replace("pid /tmp/skvoz-nginx.pid;", &format!("pid {};", pid.display()));
    assert!(conf_text.contains(&format!("listen 127.0.0.1:{port};")), "the example's listen line changed");
    let conf = prefix.path().join("skvoz.conf");
    std::fs::write(&conf, conf_text).unwrap();
    for dir in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"] {
        std::fs::create_dir_all(prefix.path().join(dir)).unwrap();
    }
    let child = Command::new("nginx")
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let nginx = Nginx { child, port, _prefix: prefix };
    // nginx needs a moment to bind; bounded retries.
    for _ in 0..50 {
        if let Some((status, body)) = raw_get(port, &format!("{PATH}?user={LOGIN}&token={}", token())).await {
            assert!(status == 200 && body == "OK", "nginx did not answer OK for the bare URL: {status} {body}");
            return Some(nginx);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nginx did not start");
}

const PATH: &str = "/crm_httpAnalytics/hs/analytics";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_900_kb_lead_passes_through_the_nginx_example() {
    let service = start().await;
    let Some(nginx) = start_nginx(service.handle.local_addr()).await else { return };
    // 150,000 × «Я» = 300,000 bytes of UTF-8, 900,000 bytes percent-encoded.
    let text = "Я".repeat(150_000);
    let encoded: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
    let target = format!("{PATH}?user={LOGIN}&token={}&action=lead&id=nginx-1&title=big&text={encoded}", token());
    let answer = raw_get(nginx.port, &target).await;
    drop(nginx);
    let (status, body) = answer.expect("no answer through nginx");
    assert_eq!(status, 200, "{}", body.chars().take(300).collect::<String>());
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok", "{json}");
    assert!(target.len() > 890_000);
    let lead = service.store.lead_by_roistat_id("nginx-1").await.unwrap().unwrap();
    assert_eq!(lead.text, text, "the text arrived cut or changed");
}

/// Every request reaches skvoz from nginx's address; the example's X-Forwarded-For tells the clients
/// apart, so wrong tokens from one client block neither Roistat nor anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_tokens_through_nginx_do_not_block_roistat() {
    // Only nginx's own address is trusted, so the loopback addresses the clients connect from are clients.
    let service = start_with(ServiceOptions::default(), |s| s.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let Some(nginx) = start_nginx(service.handle.local_addr()).await else { return };
    let bad = format!("{PATH}?user={LOGIN}&token=0123456789abcdef0123456789abcdef&action=export");
    let mut statuses = Vec::new();
    for _ in 0..25 {
        // The attacker also forges X-Forwarded-For naming Roistat's address: nginx appends the real one.
        let answer = raw_get_from("127.0.0.2", nginx.port, &bad, "X-Forwarded-For: 127.0.0.3\r\n").await;
        statuses.push(answer.expect("no answer through nginx").0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 20, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5, "{statuses:?}");
    for i in 0..5 {
        let target = format!("{PATH}?user={LOGIN}&token={}&action=lead&id=roistat-{i}&title=x", token());
        let (status, body) = raw_get_from("127.0.0.3", nginx.port, &target, "").await.expect("no answer");
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["status"], "ok", "{json}");
    }
    drop(nginx);
    let (_dir, store) = service.stop().await;
    assert_eq!(store.lead_count().await.unwrap(), 5);
    let log = store.exchange_newest(100).await.unwrap();
    assert!(log.iter().any(|e| e.remote == "127.0.0.2"), "the log names the client behind nginx");
}

/// A GET written by hand: reqwest cannot hold URLs over 64 KB, Roistat's can.
async fn raw_get(port: u16, target: &str) -> Option<(u16, String)> {
    raw_get_from("127.0.0.1", port, target, "").await
}

/// The same from a loopback address of our choice, with extra header lines.
async fn raw_get_from(from: &str, port: u16, target: &str, headers: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(std::net::SocketAddr::new(from.parse().ok()?, 0)).ok()?;
    let mut sock = socket.connect(([127, 0, 0, 1], port).into()).await.ok()?;
    let head = format!("GET {target} HTTP/1.1\r\nHost: crm.example.ru\r\nConnection: close\r\n{headers}\r\n");
    sock.write_all(head.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    sock.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    let (headers, body) = text.split_once("\r\n\r\n")?;
    let body = if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
