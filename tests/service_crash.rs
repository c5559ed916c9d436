//! Crash: the real `skvoz serve` is killed with SIGKILL while a client sends leads; every lead that
//! was answered `ok` must be in the store after the process died.

#[path = "support/service.rs"]
mod service;

use service::{LOGIN, PASSWORD, enc, token};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_leads_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    {
        // The password is set up front, as an admin would on the settings screen.
        let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
        let mut settings = store.service_settings().await.unwrap();
        settings.password = skvoz::domain::Secret::new(PASSWORD);
        store.put_service_settings(settings).await.unwrap();
        store.close().await.unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}")).to_string();
    let base = format!("http://{addr}/crm_httpAnalytics/hs/analytics?user={LOGIN}&token={}", token());

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut senders = Vec::new();
    for worker in 0..8 {
        let (client, base, acked_tx) = (client.clone(), base.clone(), acked_tx.clone());
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                let rid = format!("crash-{worker}-{i}");
                let url = format!("{base}&action=lead&id={rid}&title={}", enc("Заявка до сбоя"));
                match client.get(url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let Ok(v) = r.json::<serde_json::Value>().await else { break };
                        if v["status"] == "ok" {
                            let _ = acked_tx.send((rid, v["order_id"].as_str().unwrap_or("").to_string()));
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    drop(acked_tx);
    // Let some leads through, then kill the process without warning.
    let mut acked = Vec::new();
    while acked.len() < 200 {
        match tokio::time::timeout(Duration::from_secs(60), acked_rx.recv()).await {
            Ok(Some(a)) => acked.push(a),
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for s in senders {
        let _ = s.await;
    }
    while let Ok(a) = acked_rx.try_recv() {
        acked.push(a);
    }
    assert!(acked.len() >= 200, "only {} leads were acknowledged", acked.len());

    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    for (rid, order_id) in &acked {
        let lead =
            store.lead_by_roistat_id(rid).await.unwrap().unwrap_or_else(|| panic!("acknowledged lead {rid} lost"));
        assert_eq!(lead.id.to_string(), *order_id);
    }
    // The log output never shows the password or the token.
    let mut stderr = String::new();
    use std::io::Read;
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stderr.contains(PASSWORD) && !stderr.contains(&token()), "{stderr}");
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SKVOZ_HTTP_PASSWORD", "env-pass")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap().to_string();
    let url = format!(
        "http://{addr}/crm_httpAnalytics/hs/analytics?user={LOGIN}&token={}&action=lead&id=T1",
        skvoz::service::auth::token(LOGIN, "env-pass")
    );
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    use std::io::Read;
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stderr.contains("env-pass"), "{stderr}");
    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    assert!(store.lead_by_roistat_id("T1").await.unwrap().is_some());
    assert!(store.exchange_count().await.unwrap() >= 1);
    // `skvoz log` prints it, with the token masked.
    drop(store);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skvoz"));
    cmd.arg("--data-dir").arg(dir.path()).args(["log", "--tail", "5"]);
    let out = out_output(&mut cmd);
    assert!(out.contains("lead") && out.contains("token=***"), "{out}");
}

fn out_output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
