//! `skvoz plan`: setting a channel's monthly plan, listing plans, and what a mistake says.

use skvoz::domain::{HistoryFilter, Money, Plan};
use skvoz::store::Store;
use std::process::Command;

fn skvoz(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz")).arg("--data-dir").arg(dir).args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn plan_set_stores_the_plan_and_plan_list_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let set = [
        "plan",
        "set",
        "--month",
        "2026-12",
        "--channel",
        "direct",
        "--budget",
        "150 000",
        "--leads",
        "120",
        "--sales",
        "30",
        "--revenue",
        "900000,50",
    ];
    let (code, out, err) = skvoz(dir.path(), &set);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("План записан") && out.contains("direct"), "{out}");
    // A second set changes only what it names.
    let (code, _, err) =
        skvoz(dir.path(), &["plan", "set", "--month", "2026-12", "--channel", "direct", "--leads", "140"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = skvoz(dir.path(), &["plan", "set", "--month", "2027-01", "--channel", "seo", "--sales", "5"]);
    assert_eq!(code, Some(0), "{err}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (plans, history) = runtime.block_on(async {
        let store = Store::open_embedded(dir.path()).await.unwrap();
        let plans = store.plans(Some("2026-12".parse().unwrap())).await.unwrap();
        let history = store.history(HistoryFilter { kind: Some("plan".into()), ..HistoryFilter::default() }).await;
        store.close().await.unwrap();
        (plans, history.unwrap())
    });
    drop(runtime);
    assert_eq!(
        plans,
        [Plan {
            budget: Money::from_rubles(150_000),
            leads: 140,
            sales: 30,
            revenue: Money(90_000_050),
            ..Plan::new("2026-12".parse().unwrap(), "direct")
        }]
    );
    assert_eq!(history.len(), 3);
    assert_eq!(history[1].origin, "командная строка");

    let (code, out, _) = skvoz(dir.path(), &["plan", "list", "--month", "2026-12"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("direct") && out.contains("140") && !out.contains("seo"), "{out}");
    let (_, out, _) = skvoz(dir.path(), &["plan", "list"]);
    assert!(out.contains("direct") && out.contains("seo"), "{out}");

    let (code, out, err) = skvoz(dir.path(), &["plan", "delete", "--month", "2027-01", "--channel", "seo"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("удалён"), "{out}");
    let (_, out, _) = skvoz(dir.path(), &["plan", "list", "--month", "2027-01"]);
    assert!(out.starts_with("Планов нет"), "{out}");
}

#[test]
fn a_month_or_a_sum_that_is_none_is_named_in_russian() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = skvoz(dir.path(), &["plan", "set", "--month", "2026-13", "--channel", "direct"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("неверное значение «2026-13» параметра --month") && err.contains("ГГГГ-ММ"), "{err}");
    let (code, _, err) =
        skvoz(dir.path(), &["plan", "set", "--month", "2026-12", "--channel", "direct", "--budget", "много"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("сумма «много» не распознана"), "{err}");
    let (code, _, err) = skvoz(dir.path(), &["plan", "set", "--month", "2026-12", "--channel", " "]);
    assert_eq!(code, Some(1));
    assert!(err.contains("не указан канал"), "{err}");

    let help = Command::new(env!("CARGO_BIN_EXE_skvoz")).args(["plan", "set", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("Запуск: skvoz plan set [ПАРАМЕТРЫ]") && help.contains("Месяц, ГГГГ-ММ"), "{help}");
    assert!(!help.contains("Usage:") && !help.contains("[possible values:"), "{help}");
}
