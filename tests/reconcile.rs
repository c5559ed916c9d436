//! «Сверка с Roistat»: leads that came through the real webhook, matched with what the fake Roistat
//! lists under `ProxyLeads`; a missing one created from Roistat's data; `skvoz reconcile`.

#[path = "support/service.rs"]
mod service;
mod support;

use serde_json::json;
use service::enc;
use skvoz::domain::AnalyticsSource;
use skvoz::roistat::{create_missing, reconcile_source};
use std::process::Command;
use support::*;

fn utc(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn listed(id: &str, order_id: &str, title: &str, created: &str) -> serde_json::Value {
    json!({"id": id, "title": title, "text": "", "name": "Пётр", "phone": "79991234567", "email": null,
           "roistat": "3121512", "creation_date": created, "order_id": order_id})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrived_late_and_missing_leads_and_a_missing_one_created_from_roistat() {
    let fake = fake().await;
    let s = service::start().await;
    let now = jiff::Timestamp::now();
    let lead = |query: String| {
        let s = &s;
        async move {
            let (status, v) = s.get_json(&query).await;
            assert_eq!(status, 200, "{v}");
            v["order_id"].as_str().unwrap().to_string()
        }
    };
    // On time; three hours after Roistat made it (a resend); a test call without id whose order
    // Roistat recorded.
    lead(format!("action=lead&id=R-1&title=A&created_date={}", enc(&utc(now)))).await;
    let late = lead(format!(
        "action=lead&id=R-2&title=B&created_date={}",
        enc(&utc(now - jiff::SignedDuration::from_hours(3)))
    ))
    .await;
    let bare = lead("action=lead&title=C".to_string()).await;
    let created = utc(now);
    // Roistat made R-4 two hours ago; we never got it.
    let lost_at = utc(now - jiff::SignedDuration::from_hours(2));
    *fake.state.proxy_leads.lock().unwrap() = Some(vec![
        listed("R-1", "", "A", &created),
        listed("R-2", &late, "B", &created),
        listed("R-3", &bare, "C", &created),
        listed("R-4", "", "Звонок от 79991234567", &lost_at),
    ]);
    let source = add_source(&s.store, &fake, false).await;
    let today = jiff::Zoned::now().date();
    let (from, to) = (days_before(today, 1), days_before(today, -1));

    let r = reconcile_source(&s.store, source.id, from, to).await.unwrap();
    assert_eq!((r.arrived, r.late_count, r.missing_count), (2, 1, 1), "{r:?}");
    assert_eq!(r.late[0].lead_id.to_string(), late);
    assert!(r.late[0].delay_minutes >= 179, "{r:?}");
    let missing = &r.missing[0];
    assert_eq!(
        (missing.id.as_str(), missing.title.as_str(), missing.phone.as_str()),
        ("R-4", "Звонок от 79991234567", "79991234567")
    );
    assert_eq!(missing.created, lost_at);
    let kept = s.store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap().reconciliation.unwrap();
    assert_eq!(kept, r, "the result is kept on the source for the window");

    // «Создать заявку» from Roistat's data: a real lead, found again by Roistat's id.
    let made = create_missing(&s.store, source.id, "R-4").await.unwrap();
    assert_eq!((made.title.as_str(), made.roistat_lead_id.as_deref()), ("Звонок от 79991234567", Some("R-4")));
    let client = s.store.client(made.client_id.unwrap()).await.unwrap().unwrap();
    assert_eq!((client.name.as_str(), client.phone.as_str()), ("Пётр", "79991234567"));
    let kept = s.store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap().reconciliation.unwrap();
    assert_eq!((kept.missing_count, kept.late_count), (0, 2));
    // Roistat's own resend later finds the same order, and so does the next reconciliation.
    let resent = lead("action=lead&id=R-4&title=again".to_string()).await;
    assert_eq!(resent, made.id.to_string());
    let again = reconcile_source(&s.store, source.id, from, to).await.unwrap();
    assert_eq!((again.arrived, again.late_count, again.missing_count), (2, 2, 0));
    let (dir, store) = s.stop().await;
    drop(store);

    // The command line says the same, and names what is missing.
    fake.state.proxy_leads.lock().unwrap().as_mut().unwrap().push(listed("R-5", "", "Пойманный лид", &created));
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["reconcile", "--from", &from.to_string(), "--to", &to.to_string()])
        .env_remove("SKVOZ_DATA_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for line in ["Пришли вовремя: 2", "С опозданием: 2", "Нет у нас: 1"] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    assert!(
        text.contains(&format!("Roistat R-5 «Пойманный лид», телефон 79991234567, создана {created}, Пётр")),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("sources")
        .env_remove("SKVOZ_DATA_DIR")
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listing.contains("сверка с Roistat: пришли 2, с опозданием 2, нет у нас 1"), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_proxy_leads_call_does_not_fail_the_analytics_load() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    // Roistat lists more than we have: the scheduled load finds the missing ones by itself.
    let today = jiff::Zoned::now().date();
    let options = skvoz::roistat::SyncOptions { range: Some((days_before(today, 2), today)), ..fast_options() };
    skvoz::roistat::run_sync(&store, source.id, &options, &skvoz::roistat::Cancel::new(), &quiet).await.unwrap();
    let kept = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap().reconciliation.unwrap();
    assert_eq!((kept.missing_count, kept.error), (3, None), "one generated proxy lead a day, none of them ours");

    fake.state.set(|s| s.proxy_leads_denied = true);
    skvoz::roistat::run_sync(&store, source.id, &options, &skvoz::roistat::Cancel::new(), &quiet).await.unwrap();
    let saved = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    assert!(saved.last_error.is_none() && saved.facts_loaded > 0);
    let error = saved.reconciliation.unwrap().error.unwrap();
    assert!(error.contains("project/proxy-leads") && error.contains("запретил доступ"), "{error}");
}
