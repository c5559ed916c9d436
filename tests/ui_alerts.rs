//! The window's alerts: the bell in the top bar counts and lists them; «Оповещения» on the settings
//! page saves the rules and channels, and «Проверить» sends a test message (to a local webhook).

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use jiff::{SignedDuration, Timestamp};
use skvoz::app::{AppState, Page};
use skvoz::domain::{AlertSettings, Lead, WorkingHours};
use std::sync::{Arc, Mutex};

/// A store with one lead that has waited two hours, and rules that count every hour of the week.
fn store_with_a_waiting_lead() -> Setup {
    let setup = store(false);
    // The window counts alerts as of noon (UTC) of the fixed today.
    let noon = TODAY.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    let arrived = noon - SignedDuration::from_hours(2);
    setup
        .store
        .add_lead(Lead {
            title: "Окна ПВХ".into(), created: arrived, received: Some(arrived), ..Lead::default()
        })
        .unwrap();
    let settings = AlertSettings {
        working_hours: WorkingHours { days: (1..=7).collect(), start_hour: 0, end_hour: 24, ..WorkingHours::default() },
        rules: skvoz::domain::AlertRules::all_on(),
        ..AlertSettings::default()
    };
    setup.store.run(setup.store.handle().put_alert_settings(settings)).unwrap();
    setup
}

#[test]
fn the_bell_counts_the_alerts_and_lists_them_on_a_click() {
    let setup = store_with_a_waiting_lead();
    let mut h = harness(app(&setup, AppState::default()));
    until(&mut h, "the alerts", |h| h.state().alerts.loaded);
    let number = setup.store.all_leads().unwrap()[0].number;
    h.get_by_role_and_label(egui::Role::Button, "Оповещения: 1").click();
    h.run_steps(2);
    let title = format!("Заявка № {number} не взята в работу");
    assert!(has_label(&h, &title), "{title}");
    assert!(h.query_by_label_contains("«Окна ПВХ» ждёт 2 ч").is_some());
    // The alert opens its lead.
    let id = setup.store.all_leads().unwrap()[0].id;
    h.get_by_role_and_label(egui::Role::Button, "Открыть заявку").click();
    until(&mut h, "the lead's form", |h| h.state().leads.as_ref().and_then(|s| s.open_lead_id()) == Some(id));
    assert_eq!(h.state().state.page, skvoz::app::Page::Leads);

    // Taken into work (a person's comment): the bell follows the change feed.
    let lead = setup.store.all_leads().unwrap().remove(0);
    let comment = skvoz::domain::Comment {
        at: Timestamp::now(),
        title: String::new(),
        text: "позвонил".into(),
        from_roistat: false,
    };
    setup.store.run(setup.store.handle().append_comment(lead.id, comment, "Петров")).unwrap();
    until(&mut h, "no alerts", |h| h.state().alerts.list.is_empty());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Оповещения: 0").is_some());
}

#[test]
fn the_settings_page_saves_the_alert_rules_and_checks_a_webhook() {
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on({
        let received = received.clone();
        async move {
            let app = axum::Router::new().route(
                "/hook",
                axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| async move {
                    received.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            url
        }
    });
    let setup = store(false);
    let mut h = harness(app(&setup, AppState { page: Page::Settings, ..AppState::default() }));
    until(&mut h, "the alert settings", |h| h.state().admin.alerts.form.is_some());
    // The section sits below the service and the users: scrolled into view first.
    h.get_by_label("Адрес webhook:").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Webhook").click_accesskit();
    h.run_steps(1);
    h.get_by_label("Адрес webhook:").click();
    h.run_steps(1);
    h.get_by_label("Адрес webhook:").type_text(&url);
    h.run_steps(1);
    h.get_by_role_and_label(egui::Role::Button, "Проверить оповещения").click();
    until(&mut h, "the test", |h| h.state().admin.alerts.tested.is_some() || h.state().admin.alerts.error.is_some());
    let screen = &h.state().admin.alerts;
    assert!(has_label(&h, "Webhook: проверочное сообщение отправлено"), "{:?} {:?}", screen.tested, screen.error);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["test"], true);
    let stored = setup.store.run(setup.store.handle().alert_settings()).unwrap();
    assert!(stored.webhook_enabled);
    assert_eq!(stored.webhook_url, url);
}
