//! A lead copied from a marker template by F9 reaches Roistat: the service's `export` lists it with
//! `roistat` = the source marker, and never lists the template itself.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::Timestamp;
use skvoz::domain::{LeadSource, Secret};
use skvoz::leads::TemplateDraft;
use skvoz::service::{ServiceOptions, auth};
use skvoz::store::{SledStore, Store};
use skvoz::ui::leads::{Clock, LeadsScreen};
use std::sync::Arc;

const NOW: i64 = 1_795_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f9_copy_of_a_template_is_exported_with_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    // The leads screen still holds the embedded store itself; everything else uses the handle.
    let embedded = SledStore::open(dir.path()).unwrap();
    let store = Store::from_embedded(embedded.clone());
    store.ensure_schema().await.unwrap();
    let source =
        store.put(LeadSource { name: "Roistat".into(), use_leads: true, ..LeadSource::default() }).await.unwrap();
    let now = Timestamp::from_second(NOW).unwrap();
    let draft = TemplateDraft {
        lead_source_id: Some(source.id),
        marker: "offline/fair2026".into(),
        name: "Выставка".into(),
        ..TemplateDraft::default()
    };
    let template = store.add_lead(draft.to_template(now).unwrap()).await.unwrap();

    // F9 on the template, through the screen.
    let clock: Clock = Arc::new(move || now);
    let screen = LeadsScreen::new(embedded, clock).with_time_zone(jiff::tz::TimeZone::UTC);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui: &mut egui::Ui, screen: &mut LeadsScreen| screen.ui(ui), screen);
    h.run_steps(4);
    h.get_by_label("Шаблоны").click();
    h.run_steps(4);
    h.get_by_label("Выставка").click();
    h.run_steps(4);
    h.key_press(egui::Key::F9);
    h.run_steps(4);
    // The copy is written (and exported) only once saved, as in 1C.
    assert!(store.all_leads().await.unwrap().iter().all(|l| l.is_template), "an unsaved copy reached the store");
    h.get_by_label("Записать").click();
    h.run_steps(4);
    let copy = store.all_leads().await.unwrap().into_iter().find(|l| !l.is_template).expect("F9 made no lead");
    assert_eq!(copy.marker, template.marker);
    assert_ne!(copy.number, template.number);

    // Roistat asks for the orders.
    let mut settings = store.service_settings().await.unwrap();
    settings.password = Secret::new("export-test-password");
    store.put_service_settings(settings.clone()).await.unwrap();
    let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..ServiceOptions::default() };
    let service = skvoz::service::start(store.clone(), options).await.unwrap();
    let url = format!(
        "http://{}{}?action=export&date=0&user={}&token={}",
        service.local_addr(),
        settings.path(),
        settings.login,
        auth::token(&settings.login, "export-test-password")
    );
    let answer: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    service.shutdown().await.unwrap();
    let orders = answer["orders"].as_array().expect("no orders in the answer");
    assert_eq!(orders.len(), 1, "{answer}");
    assert_eq!(orders[0]["id"], copy.id.to_string());
    assert_eq!(orders[0]["roistat"], "offline/fair2026");
    let template_id = template.id.to_string();
    assert!(orders.iter().all(|o| o["id"].as_str() != Some(template_id.as_str())), "the template was exported");
}
