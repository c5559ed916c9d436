//! `skvoz serve` on a team database, as Roistat meets it: a lead it acknowledges is in the database
//! for every other process at once; while the database is down it answers 503 with `Retry-After`
//! (never `ok` for what is not committed) and takes the resent lead once the database is back; the
//! CLI works on the same database beside it. Its own test binary: it stops the harness's server.
#![cfg(unix)]

#[path = "support/pg.rs"]
mod pg;

use skvoz::domain::Secret;
use skvoz::store::{Database, Store, StoreEvent};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const LOGIN: &str = "httpService";
const PASSWORD: &str = "s3cret-Test-Pass";
const PATH: &str = "/crm_httpAnalytics/hs/analytics";

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_a_team_database_answers_503_while_it_is_down_and_recovers_by_itself() {
    let Some(config) = pg::fresh_database().await else { return };
    let url = pg::url(&config);
    let window = Store::open_postgres(&Database::from_config(config)).await.unwrap();
    let mut settings = window.service_settings().await.unwrap();
    settings.password = Secret::new(PASSWORD);
    settings.login = LOGIN.into();
    window.put_service_settings(settings).await.unwrap();
    let mut feed = window.subscribe();

    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .args(["--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
        .env_remove("SKVOZ_DATA_DIR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _serve = Killed(child);
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}")).to_string();
    let token = skvoz::service::auth::token(LOGIN, PASSWORD);
    let lead_url = |id: &str| format!("http://{addr}{PATH}?user={LOGIN}&token={token}&action=lead&id={id}&title=Окна");
    let client = reqwest::Client::new();

    let answer = client.get(lead_url("T-1")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let first = window.lead_by_roistat_id("T-1").await.unwrap().expect("the acknowledged lead is in the database");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, feed.next()).await.expect("the window hears of the lead");
        if event == Some(StoreEvent::LeadsChanged(vec![first.id])) {
            break;
        }
    }

    // The CLI works on the same database while the service runs.
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .args(["--database-url", &url, "log", "--tail", "5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lead"), "{}", String::from_utf8_lossy(&out.stdout));

    if !pg::stop() {
        eprintln!("сервер PostgreSQL задан через PGHOST: остановка базы пропущена");
        return;
    }
    let answer = client.get(lead_url("T-2")).send().await.unwrap();
    let status = answer.status().as_u16();
    let retry = answer.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_string());
    let body = answer.text().await.unwrap();
    pg::start();
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok()), "Retry-After is missing");
    assert!(body.contains("Нет связи с базой данных"), "{body}");

    // Roistat resends; the service is back without a restart.
    let mut resent = 0;
    let stored = loop {
        let answer = client.get(lead_url("T-2")).send().await.unwrap();
        if answer.status().as_u16() == 200 {
            break window.lead_by_roistat_id("T-2").await.unwrap();
        }
        resent += 1;
        assert!(resent < 100, "the service did not recover: {}", answer.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(stored.is_some(), "the resent lead is in the database");
    assert_eq!(window.lead_count().await.unwrap(), 2);
}
