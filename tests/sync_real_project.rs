//! The analytics load against a project as Roistat really has them: without call tracking, with opaque
//! and empty level values.

mod support;

use skvoz::domain::AnalyticsSource;
use skvoz::roistat::{Cancel, run_sync};
use std::process::Command;
use support::fake_roistat::{self, FakeConfig, KEY, PROJECT, expected_facts};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_without_calls_loads_and_says_calls_are_not_in_the_project() {
    let fake = fake_roistat::start(FakeConfig { today: today(), has_calls: false, ..FakeConfig::default() }).await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    let (from, to) = (days_before(today(), 9), today());
    let options = skvoz::roistat::SyncOptions { range: Some((from, to)), ..fast_options() };
    let report = run_sync(&store, source.id, &options, &Cancel::new(), &quiet).await.unwrap();
    assert_eq!(report.missing_metrics, ["Звонки"]);
    let mut expected = expected_facts(&fake.state.config, false, from, to);
    for f in &mut expected {
        f.calls = 0;
    }
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected);
    // Direct visits (an empty level value) are facts like any other.
    assert!(expected.iter().any(|f| f.path.channel.value.is_empty() && f.path.channel.title == "Прямые визиты"));
    let saved = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    assert_eq!((saved.missing_metrics.as_slice(), saved.last_error.as_deref()), (&["Звонки".to_string()][..], None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_sources_print_what_the_project_lacks() {
    let fake = fake_roistat::start(FakeConfig { today: today(), has_calls: false, ..FakeConfig::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (days_before(today(), 3).to_string(), today().to_string());
    let run = |args: Vec<String>| {
        let dir = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_skvoz"))
                .arg("--data-dir")
                .arg(dir)
                .args(args)
                .env_remove("SKVOZ_DATA_DIR")
                .env("SKVOZ_ROISTAT_API_KEY", KEY)
                .output()
                .unwrap()
        })
    };
    let args = ["sync", "--api-base", &fake.url, "--project", PROJECT, "--from", &from, "--to", &to];
    let out = run(args.iter().map(|a| a.to_string()).collect()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Нет в проекте (считаются нулём): Звонки"), "{stdout}");
    let out = run(vec!["sources".into()]).await.unwrap();
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listing.contains("нет в проекте: Звонки") && !listing.contains("ошибка"), "{listing}");
}

/// Roistat counts days in the zone of the period it is sent: the same project loaded as a Moscow
/// project and as a London one puts the same rows on different days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_load_in_two_zones_puts_rows_on_different_days() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let moscow = add_source(&store, &fake, false).await;
    let mut london = add_source(&store, &fake, false).await;
    london.time_zone = "Europe/London".into();
    let london = store.put(london).await.unwrap();
    let (from, to) = (days_before(today(), 6), today());
    let options = skvoz::roistat::SyncOptions { range: Some((from, to)), ..fast_options() };
    run_sync(&store, moscow.id, &options, &Cancel::new(), &quiet).await.unwrap();
    let moscow_periods = fake.state.data_periods();
    run_sync(&store, london.id, &options, &Cancel::new(), &quiet).await.unwrap();
    let london_periods = fake.state.data_periods().split_off(moscow_periods.len());

    // Periods go out in each project's zone, with its offset.
    assert_eq!(moscow_periods[0].0, format!("{from}T00:00:00+0300"));
    assert_eq!(moscow_periods[0].1, format!("{to}T23:59:59+0300"));
    let london_offset = london_periods[0].0.get(19..).unwrap().to_string();
    assert!(["+0000", "+0100"].contains(&london_offset.as_str()), "{london_periods:?}");

    let config = &fake.state.config;
    assert_eq!(stored_facts(&store, moscow.id, from, to).await, expected_facts(config, false, from, to));
    // London's day d holds Moscow's rows of d + 1 (they happen at 01:30 Moscow, 22:30 London).
    let mut shifted = expected_facts(config, false, days_before(from, -1), days_before(to, -1));
    for f in &mut shifted {
        f.date = days_before(f.date, 1);
    }
    let in_london = stored_facts(&store, london.id, from, to).await;
    assert_eq!(in_london, shifted);
    assert_ne!(in_london, stored_facts(&store, moscow.id, from, to).await, "the day buckets moved");
}

#[tokio::test]
async fn an_unknown_zone_stops_the_load_with_a_russian_message() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let mut source = add_source(&store, &fake, false).await;
    source.time_zone = "Moscow Time".into();
    let source = store.put(source).await.unwrap();
    let e = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap_err();
    assert!(e.to_string().contains("Часовой пояс проекта «Moscow Time»"), "{e}");
    assert!(fake.state.data_periods().is_empty(), "nothing asked in a zone we do not know");
}

/// What the real project's channels look like in `skvoz report`: titles as Roistat gave them, the
/// empty value (direct visits) a channel of its own, a channel found by its title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_shows_titles_of_opaque_and_empty_channels() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let store = skvoz::store::Store::open_embedded(dir.path()).await.unwrap();
    let source = add_source(&store, &fake, false).await;
    let (from, to) = (days_before(today(), 6), today());
    let options = skvoz::roistat::SyncOptions { range: Some((from, to)), ..fast_options() };
    run_sync(&store, source.id, &options, &Cancel::new(), &quiet).await.unwrap();
    drop(store);
    let (f, t) = (from.to_string(), to.to_string());
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "--from", &f, "--to", &t];
        args.extend(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(&args)
            .env_remove("SKVOZ_DATA_DIR")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, table, err) = report(&[]);
    assert!(ok, "{err}");
    for title in ["Прямые визиты", "Google\u{a0}Ads\u{a0}1", "Яндекс.Директ"] {
        assert!(table.contains(title), "{title} missing:\n{table}");
    }
    let (_, csv, _) = report(&["--format", "csv", "--group", "source"]);
    assert!(csv.lines().any(|l| l.starts_with("1;Прямые визиты / (без значения);")), "{csv}");
    assert!(csv.contains("Google\u{a0}Ads\u{a0}1 / Источник 0;"), "{csv}");

    // By title with ordinary spaces, and by the empty value itself.
    let (ok, json, err) = report(&["--format", "json", "--channel", "Google Ads 1"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["query"]["channel"], "g");
    assert!(v["rows"].as_array().unwrap().iter().all(|r| r["key"] == "g"));
    let (ok, json, _) = report(&["--format", "json", "--channel", ""]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rows"][0]["title"], "Прямые визиты");
    let (ok, _, err) = report(&["--channel", "Нет такого"]);
    assert!(!ok && err.contains("Прямые визиты"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_lists_what_the_key_sees_and_refuses_a_wrong_key_in_russian() {
    let fake = fake().await;
    let run = |key: &str| {
        let (url, key) = (fake.url.clone(), key.to_string());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_skvoz"))
                .args(["projects", "--api-base", &url])
                .env_remove("SKVOZ_DATA_DIR")
                .env("SKVOZ_ROISTAT_API_KEY", key)
                .output()
                .unwrap()
        })
    };
    let out = run(KEY).await.unwrap();
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{listing}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(lines[1].starts_with(PROJECT) && lines[1].contains("RUB") && lines[1].ends_with("Тестовый\u{a0}проект"));
    assert!(lines[2].starts_with("777") && lines[2].contains("USD"), "{listing}");

    let wrong = "wrong-projects-key-42";
    fake.state.set(|s| s.echo_key = true);
    let out = run(wrong).await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success() && err.contains("API-ключ") && !err.contains(wrong), "{err}");
}
