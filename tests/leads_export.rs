//! A lead copied from a marker template by F9 reaches Roistat: the service's `export` lists it with
//! `roistat` = the source marker, and never lists the template itself.

#[path = "support/screen_host.rs"]
mod screen_host;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::Timestamp;
use screen_host::settle;
use skvoz::app::ScreenHost;
use skvoz::domain::{LeadSource, Secret};
use skvoz::leads::TemplateDraft;
use skvoz::service::{ServiceOptions, auth};
use skvoz::store::Store;
use skvoz::ui::leads::{Clock, LeadsScreen};
use std::sync::Arc;

type Host = ScreenHost<LeadsScreen>;

const NOW: i64 = 1_795_000_000;

#[test]
fn f9_copy_of_a_template_is_exported_with_its_marker() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open_embedded_blocking(dir.path()).unwrap();
    rt.block_on(store.ensure_schema()).unwrap();
    let source = rt
        .block_on(store.put(LeadSource { name: "Roistat".into(), use_leads: true, ..LeadSource::default() }))
        .unwrap();
    let now = Timestamp::from_second(NOW).unwrap();
    let draft = TemplateDraft {
        lead_source_id: Some(source.id),
        marker: "offline/fair2026".into(),
        name: "Выставка".into(),
        ..TemplateDraft::default()
    };
    let template = rt.block_on(store.add_lead(draft.to_template(now).unwrap())).unwrap();

    // F9 on the template, through the screen.
    let clock: Clock = Arc::new(move || now);
    let screen = LeadsScreen::new(clock).with_time_zone(jiff::tz::TimeZone::UTC);
    let host = ScreenHost::new(&store, screen).unwrap();
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui: &mut egui::Ui, host: &mut Host| host.ui(ui), host);
    settle(&mut h);
    h.get_by_label("Шаблоны").click();
    settle(&mut h);
    h.get_by_label("Выставка").click();
    settle(&mut h);
    h.key_press(egui::Key::F9);
    settle(&mut h);
    // The copy is written (and exported) only once saved, as in 1C.
    assert!(rt.block_on(store.all_leads()).unwrap().iter().all(|l| l.is_template), "an unsaved copy reached the store");
    h.get_by_label("Записать").click();
    settle(&mut h);
    drop(h);
    let copy = rt.block_on(store.all_leads()).unwrap().into_iter().find(|l| !l.is_template).expect("F9 made no lead");
    assert_eq!(copy.marker, template.marker);
    assert_ne!(copy.number, template.number);

    // Roistat asks for the orders.
    let mut settings = rt.block_on(store.service_settings()).unwrap();
    settings.password = Secret::new("export-test-password");
    rt.block_on(store.put_service_settings(settings.clone())).unwrap();
    let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..ServiceOptions::default() };
    rt.block_on(async move {
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
    });
}
