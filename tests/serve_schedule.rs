//! `skvoz serve` runs the scheduled analytics load beside the HTTP service, and SIGTERM stops both
//! with the store flushed.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_loads_due_sources_and_stops_cleanly() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let source_id = {
        let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
        let source = add_source(&store, &fake, true).await;
        store.close().await.unwrap();
        source.id
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("SKVOZ_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("listening on "), "{first}");

    // The first run loads the whole history depth (180 days) in periods of at most 31 days.
    let (from, to) = history();
    let planned = skvoz::roistat::plan_periods(from, to, 31).len();
    let mut periods = 0;
    for _ in 0..1200 {
        periods = fake.state.data_requests().len();
        if periods >= planned {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(periods, planned, "serve made {periods} analytics requests");
    // The last period's write takes milliseconds; then stop the way systemd does.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "serve exited with {status}");

    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    let source = store.get::<skvoz::domain::AnalyticsSource>(source_id).await.unwrap().unwrap();
    assert!(source.last_start.is_some(), "the schedule never started the load");
    assert!(source.last_success.is_some(), "the load did not finish: {:?}", source.last_error);
    assert_eq!(
        stored_facts(&store, source_id, from, to).await,
        support::fake_roistat::expected_facts(&fake.state.config, false, from, to)
    );
}
