//! `skvoz report --format json` prints exactly what the report module computes on the same store.

use skvoz::report::{Grouping, Query};
use skvoz::store::Store;
use std::process::Command;

fn skvoz(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz")).arg("--data-dir").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[tokio::test]
async fn json_report_equals_the_module() {
    let dir = tempfile::tempdir().unwrap();
    skvoz(dir.path(), &["demo"]);
    let (_, last) = {
        let store = Store::open_embedded(dir.path()).await.unwrap();
        store.fact_date_span().await.unwrap().unwrap()
    };
    let from = last.checked_sub(jiff::ToSpan::days(29)).unwrap();
    for (group, grouping, channel) in [
        ("channel", Grouping::Channel, None),
        ("source", Grouping::Source, None),
        ("day", Grouping::Day, Some("direct")),
    ] {
        let (f, t) = (from.to_string(), last.to_string());
        let mut args = vec!["report", "--from", &f, "--to", &t, "--group", group, "--format", "json"];
        if let Some(c) = channel {
            args.extend(["--channel", c]);
        }
        let out = skvoz(dir.path(), &args);
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

        let store = Store::open_embedded(dir.path()).await.unwrap();
        let query = Query { channel: channel.map(String::from), ..Query::new(from, last, grouping) };
        let report = skvoz::app::control::report(&store, &query).await.unwrap();
        drop(store);
        // Through the same text so floats compare exactly.
        let expected: serde_json::Value = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(printed, expected, "group {group}");
        // Money in roubles, exactly as the dashboard counts it: 11000.75, not 1100075 kopecks.
        let figures = &report.totals.figures;
        let rubles = |v: &serde_json::Value| skvoz::domain::Money::from_json(v);
        assert_eq!(rubles(&printed["totals"]["figures"]["revenue"]), Some(figures.revenue));
        assert_eq!(rubles(&printed["totals"]["figures"]["cost"]), Some(figures.cost));
        assert_eq!(rubles(&printed["totals"]["metrics"]["profit"]), Some(figures.profit()));
        assert_eq!(rubles(&printed["totals"]["metrics"]["cpl"]), figures.cpl());
        let revenue = printed["totals"]["figures"]["revenue"].as_f64().unwrap();
        assert_eq!(revenue, figures.revenue.kopecks() as f64 / 100.0, "roubles, not kopecks");
        assert!(report.totals.figures.visits > 0);
    }
}

#[tokio::test]
async fn table_and_csv_formats() {
    let dir = tempfile::tempdir().unwrap();
    skvoz(dir.path(), &["demo"]);
    let store = Store::open_embedded(dir.path()).await.unwrap();
    let (_, last) = store.fact_date_span().await.unwrap().unwrap();
    drop(store);
    let t = last.to_string();
    let table = String::from_utf8(skvoz(dir.path(), &["report", "--from", &t, "--to", &t]).stdout).unwrap();
    assert!(table.contains("Итого") && table.contains("Яндекс.Директ"), "{table}");
    let csv =
        String::from_utf8(skvoz(dir.path(), &["report", "--from", &t, "--to", &t, "--format", "csv"]).stdout).unwrap();
    assert!(csv.starts_with("\u{feff}Уровень;Канал;Источник;Кампания;Визиты"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("1;Яндекс.Директ;;;")), "a channel line says its level");
    let bad = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["report", "--from", "2026-02-10", "--to", "2026-02-01"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("позже"));
}
