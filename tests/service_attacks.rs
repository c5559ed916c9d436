//! Attacks on the real `skvoz serve` process, each asserting what Roistat experiences meanwhile:
//! its valid leads still get `ok`. Framing tricks smuggle no request, HEAD runs no action, wrong
//! tokens lock out only the address that sends them, and connections and buffers stay within caps.

#[path = "support/serve_process.rs"]
mod serve_process;

use serve_process::{PATH, exchange, header, serve, serve_in_shell, status_and_body, target};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_framing_is_refused_and_smuggles_no_lead() {
    let s = serve(|_| {});
    // Each body is a complete second request: a proxy that framed the first one differently
    // would have sent it on as part of a body, and we must never run it as a request of its own.
    let cases: &[(&str, u16)] = &[
        ("Content-Length: +0", 400),
        ("Content-Length: -1", 400),
        ("Content-Length: 0x1", 400),
        ("Content-Length: 1 1", 400),
        ("Content-Length: 1,1", 400),
        ("Content-Length: 0\r\nContent-Length: 5", 400),
        ("Transfer-Encoding: gzip", 501),
        ("Transfer-Encoding: chunked, gzip", 501),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity", 501),
        ("Transfer-Encoding: chunked\r\nContent-Length: 0", 400),
        ("Content-Length: 0\r\nTransfer-Encoding: gzip", 400),
        ("Transfer-Encoding: chunked", 411),
    ];
    for (i, (framing, expected)) in cases.iter().enumerate() {
        let smuggled = format!("GET {} HTTP/1.1\r\nHost: crm\r\n\r\n", target(&format!("action=lead&id=SMUGGLED-{i}")));
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: crm\r\n{framing}\r\n\r\n{smuggled}",
            target(&format!("action=lead&id=OUTER-{i}"))
        );
        let answer = s.request_from("127.0.0.1", request.as_bytes()).await;
        let (status, body) = status_and_body(&answer);
        assert_eq!(status, *expected, "{framing}: {answer}");
        assert_eq!(header(&answer, "connection"), Some("close"), "{framing}: {answer}");
        // One answer only: the smuggled request was not run.
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{framing}: {answer}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["status"], "error");
        assert!(s.roistat_lead("127.0.0.1", &format!("ROISTAT-{i}")).await, "Roistat's lead after {framing}");
    }
    let (_dir, store, _) = s.stop();
    assert_eq!(store.lead_count().await.unwrap(), cases.len(), "only Roistat's leads exist");
    for i in 0..cases.len() {
        assert!(store.lead_by_roistat_id(&format!("SMUGGLED-{i}")).await.unwrap().is_none());
        assert!(store.lead_by_roistat_id(&format!("OUTER-{i}")).await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_runs_no_action() {
    let s = serve(|_| {});
    // The published-check still answers, with the length and without a body.
    let answer =
        s.request_from("127.0.0.1", format!("HEAD {} HTTP/1.1\r\nHost: crm\r\n\r\n", target("")).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(header(&answer, "content-length"), Some("2"));
    assert!(answer.ends_with("\r\n\r\n"), "a HEAD answer has no body: {answer}");
    // An action, even with the right token, is refused.
    let head = format!("HEAD {} HTTP/1.1\r\nHost: crm\r\nConnection: close\r\n\r\n", target("action=lead&id=HEAD-1"));
    let answer = s.request_from("127.0.0.1", head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert_eq!(header(&answer, "allow"), Some("GET, POST"));
    assert!(s.roistat_lead("127.0.0.1", "GET-1").await);
    let (_dir, store, _) = s.stop();
    assert!(store.lead_by_roistat_id("HEAD-1").await.unwrap().is_none(), "HEAD created a lead");
    assert!(store.lead_by_roistat_id("GET-1").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_lock_out_only_the_address_that_sends_them() {
    // The default: loopback is a trusted proxy, so X-Forwarded-For names the client, as behind nginx.
    let s = serve(|_| {});
    let attacker = "X-Forwarded-For: 198.51.100.7\r\n";
    let roistat = "X-Forwarded-For: 203.0.113.9\r\n";
    let bad = format!("{PATH}?user=httpService&token=0123456789abcdef0123456789abcdef&action=export");
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..25 {
        let request = format!("GET {bad} HTTP/1.1\r\nHost: crm\r\nConnection: close\r\n{attacker}\r\n");
        let answer = s.request_from("127.0.0.1", request.as_bytes()).await;
        statuses.push(status_and_body(&answer).0);
        retry_after = header(&answer, "retry-after").map(str::to_string).or(retry_after);
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let seconds: u64 = retry_after.expect("429 without Retry-After").parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    // Roistat, behind the same proxy, is not affected.
    for i in 0..5 {
        let (status, body) = s.get("127.0.0.1", &target(&format!("action=lead&id=R-{i}")), roistat).await;
        assert_eq!(status, 200, "{body}");
    }
    // A correct login passes even from the blocked address.
    let (status, body) = s.get("127.0.0.1", &target("action=lead&id=FROM-BLOCKED"), attacker).await;
    assert_eq!(status, 200, "{body}");
    // The attacker cannot name itself Roistat: what it writes left of the proxy's entry is ignored.
    let forged = "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\n";
    let (status, _) = s.get("127.0.0.1", &bad, forged).await;
    assert_eq!(status, 429);
    let (_dir, store, stderr) = s.stop();
    // stderr says each failure until the block, then once that it started; not a line per attempt.
    assert_eq!(stderr.matches("неудачный вход в HTTP-сервис").count(), 20, "{stderr}");
    assert_eq!(stderr.matches("адрес заблокирован").count(), 1, "{stderr}");
    assert!(stderr.contains("198.51.100.7"), "{stderr}");
    let log = store.exchange_newest(100).await.unwrap();
    assert!(log.iter().any(|e| e.remote == "198.51.100.7"), "the log names the client, not the proxy");
    assert!(log.iter().any(|e| e.remote == "203.0.113.9"));
    assert_eq!(store.lead_count().await.unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_from_an_untrusted_peer_are_ignored() {
    // Nothing is trusted: every connection is its own client, whatever it writes in its headers.
    let s = serve(|settings| settings.trusted_proxies = Vec::new());
    let bad = format!("{PATH}?user=httpService&token=0123456789abcdef0123456789abcdef&action=export");
    for i in 0..21 {
        // A different forged address each time would escape the throttle if headers were believed.
        let (status, _) = s.get("127.0.0.2", &bad, &format!("X-Forwarded-For: 192.0.2.{i}\r\n")).await;
        assert_eq!(status, if i < 20 { 401 } else { 429 }, "attempt {i}");
    }
    assert!(s.roistat_lead("127.0.0.3", "R-1").await);
    let (_dir, store, _) = s.stop();
    let log = store.exchange_newest(100).await.unwrap();
    assert!(log.iter().all(|e| !e.remote.starts_with("192.0.2.")), "forged addresses reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let s = serve(|settings| {
        settings.trusted_proxies = Vec::new();
        settings.max_connections_per_address = 8;
    });
    // Idle keep-alive sockets from one address: the first 8 are admitted, the rest refused at once.
    let mut idle = Vec::new();
    for _ in 0..8 {
        let mut sock = s.connect_from("127.0.0.2").await.unwrap();
        let request = format!("GET {} HTTP/1.1\r\nHost: crm\r\n\r\n", target(""));
        sock.write_all(request.as_bytes()).await.unwrap();
        idle.push(sock);
    }
    for sock in &mut idle {
        // Each admitted one got its answer and stays open.
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read(sock, &mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
    let mut ninth = s.connect_from("127.0.0.2").await.unwrap();
    let answer = exchange(&mut ninth, format!("GET {} HTTP/1.1\r\nHost: crm\r\n\r\n", target("")).as_bytes()).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 503"), "{answer}");
    // Roistat, from another address, is served.
    assert!(s.roistat_lead("127.0.0.3", "R-1").await);
    // Closing them gives the places back.
    drop(idle);
    let mut served = false;
    for _ in 0..50 {
        let (status, _) = s.get("127.0.0.2", &target(""), "").await;
        if status == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the address stayed refused after closing its connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_make_room_under_pressure() {
    let s = serve(|settings| {
        settings.trusted_proxies = Vec::new();
        settings.max_connections = 20;
        settings.max_connections_per_address = 8;
    });
    // 16 idle keep-alive sockets from two addresses: over half the cap of 20.
    let mut idle = Vec::new();
    for from in ["127.0.0.2", "127.0.0.4"] {
        for _ in 0..8 {
            let mut sock = s.connect_from(from).await.unwrap();
            let request = format!("GET {} HTTP/1.1\r\nHost: crm\r\n\r\n", target(""));
            sock.write_all(request.as_bytes()).await.unwrap();
            idle.push(sock);
        }
    }
    // The server closes them after the short idle timeout (seconds), not after 75 s.
    for sock in &mut idle {
        let answer = tokio::time::timeout(Duration::from_secs(30), async {
            let mut out = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(sock, &mut out).await;
            out
        })
        .await
        .expect("an idle connection was kept open under pressure");
        assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    }
    assert!(s.roistat_lead("127.0.0.3", "R-1").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_heads_stay_within_the_buffer_budget() {
    let s = serve(|settings| {
        settings.trusted_proxies = Vec::new();
        settings.max_request_bytes = 1_000_000;
        settings.max_buffered_bytes = 8 << 20;
    });
    let before = s.rss_kib();
    // 40 connections from 5 addresses each send 900 KB of a head that never ends: 36 MB if all
    // were held. The budget (8 MiB) refuses most of them with 503.
    let chunk = format!("GET {}&text={} HTTP/1.1\r\n", PATH, "A".repeat(900_000));
    let mut attackers = Vec::new();
    let mut refused = 0;
    for i in 0..40 {
        let mut sock = s.connect_from(&format!("127.0.0.{}", 10 + i % 5)).await.unwrap();
        if sock.write_all(chunk.as_bytes()).await.is_err() {
            refused += 1;
            continue;
        }
        attackers.push(sock);
    }
    for sock in &mut attackers {
        let mut buf = [0u8; 256];
        // Admitted ones wait (no answer yet); refused ones read a 503 or a closed socket.
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(200), tokio::io::AsyncReadExt::read(sock, &mut buf)).await
        {
            let text = String::from_utf8_lossy(&buf[..n]);
            assert!(n == 0 || text.starts_with("HTTP/1.1 503"), "{text}");
            refused += 1;
        }
    }
    assert!(refused >= 25, "only {refused} of 40 refused");
    let grown_mib = s.rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 30, "the process grew by {grown_mib} MiB");
    // Roistat's lead still passes.
    assert!(s.roistat_lead("127.0.0.3", "R-1").await);
}

#[test]
fn serve_raises_its_open_files_limit() {
    // Started with the usual soft limit of 1,024 below a higher hard limit.
    let s = serve_in_shell(|_| {}, "ulimit -Hn 65536 2>/dev/null; ulimit -Sn 1024");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", s.pid())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (soft, hard) = (fields[3], fields[4]);
    assert_eq!(soft, hard, "the soft limit was not raised to the hard one: {line}");
    if hard != "1024" {
        assert_ne!(soft, "1024", "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_of_a_flood_of_long_heads_goes_back_to_the_system() {
    let s = serve(|settings| settings.trusted_proxies = Vec::new());
    assert!(s.roistat_lead("127.0.0.3", "R-0").await);
    let before = s.rss_kib();
    // 80 connections from 4 addresses each send 900 KB of a head that never ends (within every cap).
    let chunk = format!("GET {}&text={} HTTP/1.1\r\n", PATH, "A".repeat(900_000));
    let mut attackers = Vec::new();
    for i in 0..80 {
        let mut sock = s.connect_from(&format!("127.0.0.{}", 10 + i % 4)).await.unwrap();
        sock.write_all(chunk.as_bytes()).await.unwrap();
        attackers.push(sock);
    }
    // The server holds them: wait until its memory shows it.
    let mut peak = 0;
    for _ in 0..100 {
        peak = s.rss_kib();
        if peak > before + 60 * 1024 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(peak > before + 60 * 1024, "the flood did not reach the server: {before} → {peak} KiB");
    drop(attackers);
    // Once they are gone, the memory goes back to the system within seconds.
    let mut after = peak;
    for _ in 0..150 {
        after = s.rss_kib();
        if after < before + 20 * 1024 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after < before + 20 * 1024, "memory kept after the peak: {before} → {peak} → {after} KiB");
    assert!(s.roistat_lead("127.0.0.3", "R-1").await);
}
