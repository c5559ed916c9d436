//! `skvoz report --view V` on a small store built through the store API, on both backends: the
//! figures printed with `--format json` are the ones counted by hand; table and CSV say the basis.

#[path = "support/backends.rs"]
mod backends;

use backends::Fixture;
use skvoz::domain::{Attraction, Contact, Lead, LeadEdit, LeadValue, Money, Responsible, StatusGroup};
use std::process::Command;

fn skvoz(fixture: &Fixture, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_skvoz"));
    match fixture {
        Fixture::Embedded(dir) => command.arg("--data-dir").arg(dir.path()),
        Fixture::Postgres(config) => command.args(["--database-url", &backends::pg::url(config)]),
    };
    let out = command.args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Four leads of three clients, made today: Иван's lead taken into work and paid, then his second
/// lead paid at once; Мария's cancelled; Пётр's untouched. Иван's leads are the admin's.
async fn fill(fixture: &Fixture) {
    let store = fixture.open().await;
    store.ensure_schema().await.unwrap();
    let admin = store.ensure_admin().await.unwrap();
    let statuses = store.statuses().await.unwrap();
    let entry = statuses[0].id;
    let work = statuses.iter().find(|s| s.group == StatusGroup::InWork && s.id != entry).unwrap().id;
    let paid = statuses.iter().find(|s| s.group == StatusGroup::Paid).unwrap().id;
    let cancelled = statuses.iter().find(|s| s.group == StatusGroup::Cancelled).unwrap().id;
    let now = jiff::Timestamp::now();
    let lead = |n: u64, channel: &str, source: &str, rubles: i64, name: &str, phone: &str| {
        let lead = Lead {
            created: now,
            updated: now,
            status_id: Some(entry),
            price: Money::from_rubles(rubles),
            roistat_lead_id: Some(format!("t{n}")),
            attraction: Attraction { channel: channel.into(), source: source.into(), campaign: String::new() },
            responsible: (name == "Иван").then_some(Responsible::User(admin.id)),
            ..Lead::default()
        };
        (lead, Contact { name: name.into(), phone: phone.into(), email: String::new() })
    };
    let intakes = store
        .intake_leads(vec![
            lead(1, "direct", "brand", 1_000, "Иван", "79990000001"),
            lead(2, "seo", "yandex", 0, "Мария", "79990000002"),
            lead(3, "seo", "yandex", 0, "Пётр", "79990000003"),
            lead(4, "direct", "search", 500, "Иван", "79990000001"),
        ])
        .await
        .unwrap();
    let ids: Vec<u64> = intakes.iter().map(|i| i.lead.id).collect();
    for (id, to) in [(ids[0], work), (ids[0], paid), (ids[3], paid), (ids[1], cancelled)] {
        let before = store.lead(id).await.unwrap().unwrap();
        store.change_lead(id, None, vec![LeadEdit::set(&before, LeadValue::Status(Some(to)))], "Петров").await.unwrap();
    }
    store.close().await.unwrap();
}

fn json(fixture: &Fixture, view: &str, basis: &str) -> serde_json::Value {
    let today = jiff::Zoned::now().date();
    let (from, to) = (today.yesterday().unwrap().to_string(), today.tomorrow().unwrap().to_string());
    let args = ["report", "--from", &from, "--to", &to, "--view", view, "--basis", basis, "--format", "json"];
    serde_json::from_str(&skvoz(fixture, &args)).unwrap()
}

async fn views_print_hand_counted_figures(fixture: &Fixture) {
    fill(fixture).await;
    for basis in ["lead", "sale"] {
        let funnel = json(fixture, "funnel", basis);
        assert_eq!(
            funnel["totals"]["figures"],
            serde_json::json!({"leads": 4, "in_work": 3, "paid": 2, "cancelled": 1, "revenue": 1500}),
            "{basis}"
        );
        assert_eq!(funnel["basis"], basis);
        let direct = funnel["rows"].as_array().unwrap().iter().find(|r| r["key"] == "direct").unwrap();
        assert_eq!(direct["figures"]["paid"], 2);

        let clients = json(fixture, "clients", basis);
        assert_eq!(
            clients["totals"]["figures"],
            serde_json::json!({"new_clients": 3, "new_sales": 1, "repeat_sales": 1, "new_revenue": 1000,
                               "repeat_revenue": 500}),
            "Иван's first sale is new, his second a repeat"
        );

        let managers = json(fixture, "managers", basis);
        let rows = managers["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        let admin = rows.iter().find(|r| r["title"] == "Администратор").unwrap();
        assert_eq!((admin["figures"]["leads"].as_u64(), admin["figures"]["sales"].as_u64()), (Some(2), Some(2)));
        assert_eq!(admin["figures"]["revenue"], 1500);
        assert!(admin["figures"]["median_first_action_minutes"].is_u64(), "both were acted on");
        let nobody = rows.iter().find(|r| r["title"] == "Не указан").unwrap();
        assert_eq!((nobody["figures"]["leads"].as_u64(), nobody["figures"]["cancelled"].as_u64()), (Some(2), Some(1)));

        let cohorts = json(fixture, "cohorts", basis);
        let rows = cohorts["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "one cohort: this month");
        assert_eq!(rows[0]["figures"]["clients"], 3);
        assert_eq!(rows[0]["figures"]["months"], serde_json::json!([1500]));
    }
    let today = jiff::Zoned::now().date().to_string();
    let table = skvoz(fixture, &["report", "--from", &today, "--to", &today, "--view", "funnel", "--basis", "sale"]);
    assert!(table.lines().next().unwrap().contains("по дате продажи"), "{table}");
    assert!(table.contains("Итого") && table.contains("direct"), "{table}");
    let csv = skvoz(fixture, &["report", "--from", &today, "--to", &today, "--view", "managers", "--format", "csv"]);
    assert!(
        csv.starts_with("\u{feff}Менеджеры за ") && csv.lines().next().unwrap().contains("по дате заявки"),
        "{csv}"
    );
    assert!(csv.contains("Администратор;2;"), "{csv}");
}

crate::conformance!(views_print_hand_counted_figures);
