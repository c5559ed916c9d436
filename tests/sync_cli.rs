//! `skvoz sync` and `skvoz sources` as a person runs them, against the fake Roistat.

mod support;

use std::process::{Command, Output};
use support::fake_roistat::{KEY, PROJECT, expected_facts};
use support::*;

async fn skvoz(dir: &std::path::Path, args: &[&str], key_env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skvoz"));
    cmd.arg("--data-dir").arg(dir).args(args).env_remove("SKVOZ_ROISTAT_API_KEY").env_remove("SKVOZ_DATA_DIR");
    if let Some(key) = key_env {
        cmd.env("SKVOZ_ROISTAT_API_KEY", key);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_from_the_command_line_creates_a_source_and_reports_errors_in_russian() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (days_before(today(), 40).to_string(), today().to_string());
    let base = fake.url.clone();
    let args = ["sync", "--api-base", &base, "--project", PROJECT, "--from", &from, "--to", &to];

    let out = skvoz(dir.path(), &args, Some(KEY)).await;
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Загружено фактов аналитики"), "{}", text(&out.stdout));

    // A second run reuses the same source.
    let out = skvoz(dir.path(), &args, Some(KEY)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = skvoz(dir.path(), &["sources"], None).await;
    let listing = text(&out.stdout);
    assert!(out.status.success());
    assert_eq!(listing.matches("Проект Roistat 12345").count(), 1, "{listing}");
    assert!(listing.contains("загружено фактов") && !listing.contains(KEY), "{listing}");

    // By name, with the key taken from the saved source.
    let out =
        skvoz(dir.path(), &["sync", "--source", "проект roistat 12345", "--from", &from, "--to", &to], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let wrong = "wrong-cli-key-5551234";
    fake.state.set(|s| s.echo_key = true);
    let out = skvoz(dir.path(), &["sync", "--api-base", &base, "--project", PROJECT, "--api-key", wrong], None).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("API-ключ") && !err.contains(wrong), "{err}");
    let out = skvoz(dir.path(), &["sources"], None).await;
    let listing = text(&out.stdout);
    assert!(listing.contains("ошибка:") && !listing.contains(wrong), "{listing}");

    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    let source = store.list::<skvoz::domain::AnalyticsSource>().await.unwrap().remove(0);
    let (f, t) = (days_before(today(), 40), today());
    assert_eq!(stored_facts(&store, source.id, f, t).await, expected_facts(&fake.state.config, false, f, t));
}
