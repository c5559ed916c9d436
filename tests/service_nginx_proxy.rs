//! The nginx example really passes megabyte URLs to skvoz over TLS: nginx is started with the shipped
//! config (ports changed to free ones), and a 900 KB proxy lead goes through it. Skipped, with a note,
//! where nginx or the snakeoil certificate is not installed (CI installs both, and fails the test
//! without them through `SKVOZ_REQUIRE_TOOLS=1`).

#[path = "support/tools.rs"]
mod tools;

#[path = "support/service.rs"]
mod service;

use service::{LOGIN, start, token};
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_900_kb_lead_passes_through_the_nginx_example() {
    let nginx_ok = Command::new("nginx").arg("-v").output().is_ok_and(|o| o.status.success());
    if !nginx_ok || !std::path::Path::new("/etc/ssl/certs/ssl-cert-snakeoil.pem").exists() {
        tools::missing("nginx or the snakeoil certificate is missing here");
        return;
    }
    let service = start().await;
    let conf_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/nginx/skvoz.conf")).unwrap();
    let proxy_port = free_port();
    let prefix = tempfile::tempdir().unwrap();
    let pid = prefix.path().join("nginx.pid");
    let conf_text = conf_text
        .replace("server 127.0.0.1:8085;", &format!("server {};", service.handle.local_addr()))
        // Plain HTTP on a free port: what is tested is the proxying of long URLs, not TLS.
        .replace("listen 8443 ssl;", &format!("listen 127.0.0.1:{proxy_port};"))
        .replace("pid /tmp/skvoz-nginx.pid;", &format!("pid {};", pid.display()));
    assert!(conf_text.contains(&format!("listen 127.0.0.1:{proxy_port};")), "the example's listen line changed");
    let conf = prefix.path().join("skvoz.conf");
    std::fs::write(&conf, conf_text).unwrap();
    for dir in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"] {
        std::fs::create_dir_all(prefix.path().join(dir)).unwrap();
    }
    let mut nginx = Command::new("nginx")
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let path = "/crm_httpAnalytics/hs/analytics";
    // nginx needs a moment to bind; bounded retries.
    let mut alive = false;
    for _ in 0..50 {
        if let Some((status, body)) = raw_get(proxy_port, &format!("{path}?user={LOGIN}&token={}", token())).await {
            alive = status == 200 && body == "OK";
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 150,000 × «Я» = 300,000 bytes of UTF-8, 900,000 bytes percent-encoded.
    let text = "Я".repeat(150_000);
    let encoded: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
    let target = format!("{path}?user={LOGIN}&token={}&action=lead&id=nginx-1&title=big&text={encoded}", token());
    let answer = raw_get(proxy_port, &target).await;
    let _ = nginx.kill();
    let _ = nginx.wait();
    assert!(alive, "nginx did not answer OK for the bare URL");
    let (status, body) = answer.expect("no answer through nginx");
    assert_eq!(status, 200, "{}", body.chars().take(300).collect::<String>());
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok", "{json}");
    assert!(target.len() > 890_000);
    let lead = service.store.lead_by_roistat_id("nginx-1").unwrap().unwrap();
    assert_eq!(lead.text, text, "the text arrived cut or changed");
}

/// A GET written by hand: reqwest cannot hold URLs over 64 KB, Roistat's can.
async fn raw_get(port: u16, target: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let head = format!("GET {target} HTTP/1.1\r\nHost: crm.example.ru\r\nConnection: close\r\n\r\n");
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
