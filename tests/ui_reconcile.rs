//! «Сверка с Roistat» in the window: the dashboard's red badge, the source's list of missing leads and
//! «Создать заявку» making the lead from Roistat's data.

mod common;

use common::*;
use skvoz::app::{AppState, Command, Page};
use skvoz::domain::{AnalyticsSource, Reconciliation, RoistatLead, Secret};

const BADGE: &str = "⚠ Сверка с Roistat: нет у нас заявок — 1";

#[test]
fn the_badge_leads_to_the_missing_lead_and_creating_it_clears_the_badge() {
    let setup = store(true);
    let missing = RoistatLead {
        id: "R-4".into(),
        title: "Звонок от 79991234567".into(),
        phone: "79991234567".into(),
        name: "Пётр".into(),
        created: "2026-11-24 09:12:54".into(),
        ..RoistatLead::default()
    };
    let source = setup
        .store
        .put(AnalyticsSource {
            name: "Основной".into(),
            api_key: Secret::new("k"),
            project: "12345".into(),
            enabled: false,
            reconciliation: Some(Reconciliation {
                arrived: 5,
                missing_count: 1,
                missing: vec![missing],
                ..Reconciliation::default()
            }),
            ..AnalyticsSource::default()
        })
        .unwrap();
    let mut h = harness(app(&setup, AppState::default()));
    assert!(has_label(&h, BADGE));
    click(&mut h, BADGE);
    assert_eq!(h.state().state.page, Page::Sources);
    assert_eq!(h.state().admin.analytics.form.as_ref().map(|f| f.id), Some(source.id));
    for label in ["Пришли вовремя: 5", "Нет у нас: 1", "Звонок от 79991234567", "79991234567", "Пётр"]
    {
        assert!(has_label(&h, label), "{label} not shown");
    }
    click(&mut h, "Создать заявку Roistat R-4");
    until(&mut h, "the lead is created", |h| h.state().admin.analytics.reconcile_outcome.is_some());
    let lead = setup.store.lead_by_roistat_id("R-4").unwrap().expect("the lead was created");
    assert_eq!(lead.title, "Звонок от 79991234567");
    assert!(has_label(&h, &format!("Создана заявка № {} «Звонок от 79991234567»", lead.number)));
    until(&mut h, "the result shows the lead as late", |h| has_label(h, "Нет у нас: 0"));

    h.state_mut().commands.push(Command::Navigate(Page::Dashboard));
    until(&mut h, "the badge is gone", |h| h.state().state.page == Page::Dashboard && !has_label(h, BADGE));
}
