//! Attack: unauthenticated requests with huge parameter names and values used to fill the disk through
//! the exchange log (200 of them added 485 MB). Against a real `skvoz serve`: the store grows by a
//! small bounded amount, `skvoz log` prints a bounded amount, and Roistat's valid leads still get `ok`.

#[path = "support/serve.rs"]
mod serve;

use serve::{Serve, run_ok, set_password, size_of};

/// A GET over a fresh connection from `from` (127.0.0.2 is loopback too: the attacker sits on another
/// address than Roistat, so the throttle of failed logins meets the attacker only). Raw, because HTTP
/// client libraries refuse URLs this long. The status and the body.
async fn raw_get(from: &str, addr: &str, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unauthenticated_floods_do_not_fill_the_disk_and_leads_still_get_ok() {
    let dir = tempfile::tempdir().unwrap();
    set_password(dir.path());
    let serve = Serve::start(dir.path());
    let before = size_of(dir.path());
    let roistat = reqwest::Client::new();
    let lead = |id: &str| serve.url(&format!("action=lead&id={id}&title=t"));
    let ok = |v: serde_json::Value| v["status"] == "ok";
    assert!(ok(roistat.get(lead("before")).send().await.unwrap().json().await.unwrap()));

    // 200 requests without a token, each with a 400 KB parameter name and a 400 KB value.
    let path = "/crm_httpAnalytics/hs/analytics";
    let (name, value) = ("n".repeat(400_000), "v".repeat(400_000));
    let flood = std::sync::Arc::new(format!("{path}?action=lead&user=x&{name}={value}"));
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (addr, flood) = (serve.addr.clone(), flood.clone());
            sends.spawn(async move { raw_get("127.0.0.2", &addr, &flood).await.0 });
        }
        while let Some(status) = sends.join_next().await {
            statuses.push(status.unwrap());
        }
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    // An authenticated lead with a huge parameter is logged, cut to the entry's cap.
    let token = skvoz::service::auth::token(serve::LOGIN, serve::PASSWORD);
    let big = format!("{path}?user={}&token={token}&action=lead&id=huge&title=t&{name}={value}", serve::LOGIN);
    let (status, body) = raw_get("127.0.0.1", &serve.addr, &big).await;
    assert_eq!(status, 200, "{}", skvoz::domain::cut(&body, 300));
    assert!(ok(serde_json::from_str(&body).unwrap()));
    assert!(ok(roistat.get(lead("after")).send().await.unwrap().json().await.unwrap()));
    serve.stop();

    let grown = size_of(dir.path()).saturating_sub(before);
    assert!(grown < 4 * 1024 * 1024, "the store grew by {grown} bytes");
    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    assert!(store.lead_by_roistat_id("after").await.unwrap().is_some());
    let entries = store.exchange_newest(300).await.unwrap();
    let refused: Vec<_> = entries.iter().filter(|e| e.http_status == 401 || e.http_status == 429).collect();
    assert_eq!(refused.len(), 200, "each refused request is one entry");
    for e in &refused {
        assert!(e.params.is_empty() && e.answer.is_empty(), "{e:?}");
        assert!(e.request_bytes > 800_000, "the size is kept: {}", e.request_bytes);
    }
    let bytes = store.exchange_bytes().await.unwrap();
    assert!(bytes < 200 * 512 + 3 * skvoz::domain::limits::ENTRY as u64, "{bytes}");
    drop(store);

    let tail = run_ok(dir.path(), &["log", "--tail", "3"]);
    assert_eq!(tail.lines().count(), 3, "{tail}");
    assert!(tail.len() < 3 * 4 * 1024, "`skvoz log --tail 3` printed {} bytes", tail.len());
    assert!(tail.contains("huge") && tail.contains("after"), "{tail}");
}
