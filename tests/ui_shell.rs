//! The window's shell: navigation by role, the empty state.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use skvoz::app::{AppState, Page};
use skvoz::domain::{Role, User};

#[test]
fn admin_opens_every_page_by_its_label() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    for page in Page::ALL {
        assert!(h.query_by_role_and_label(egui::Role::Button, page.title()).is_some(), "{}", page.title());
    }
    click(&mut h, "Заявки");
    assert_eq!(h.state().state.page, Page::Leads);
    let leads = format!("Заявок: {}", skvoz::domain::group_thousands(setup.store.lead_count() as u64));
    assert!(has_label(&h, &leads), "{leads}");
    click(&mut h, "Источники");
    assert!(has_label(&h, "Источники получения заявок"));
    click(&mut h, "Доп. реквизиты и статусы");
    assert!(h.query_by_label_contains("Статусы (").is_some());
    click(&mut h, "Журнал обмена");
    // The log is read in the background once the page shows.
    until(&mut h, "the empty log", |h| has_label(h, "Запросов ещё не было."));
    click(&mut h, "Настройки");
    assert!(has_label(&h, "Хранилище:"));
    click(&mut h, "Сквозная аналитика");
    assert!(has_label(&h, "Группировка:"));
}

#[test]
fn marketer_sees_dashboard_and_leads_only() {
    let setup = store(true);
    let marketer = setup.store.put(User { name: "Ольга".into(), role: Role::Marketer, ..User::default() }).unwrap();
    // Start as the admin, then switch to the marketer in the top bar.
    let mut h = harness(app(&setup, AppState { page: Page::Settings, ..AppState::default() }));
    assert!(h.query_by_role_and_label(egui::Role::Button, "Настройки").is_some());
    h.get_by_label_contains("Пользователь: Администратор").click();
    h.run_ok();
    h.get_by_label("Ольга (Маркетолог)").click();
    wait(&mut h);
    assert_eq!(h.state().state.user_id, Some(marketer.id));
    assert!(h.query_by_role_and_label(egui::Role::Button, "Настройки").is_none());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Источники").is_none());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Заявки").is_some());
    // The page that is not allowed any more gave way to the dashboard.
    assert_eq!(h.state().state.page, Page::Dashboard);
}

#[test]
fn empty_store_offers_demo_data() {
    let setup = store(false);
    let mut h = harness(app(&setup, AppState::default()));
    assert!(has_label(&h, "Данных сквозной аналитики пока нет"));
    assert!(h.query_by_role_and_label(egui::Role::Button, "Настроить источник аналитики").is_some());
    click(&mut h, "Загрузить демо-данные");
    // The facts arrive through the store's event, then the report.
    wait(&mut h);
    assert!(h.state().has_facts());
    let report = h.state().dashboard.report.clone().unwrap();
    assert!(report.totals.figures.visits > 0);
    let visits = format!("Визиты: {}", skvoz::report::fmt_count(report.totals.figures.visits));
    assert!(has_label(&h, &visits), "{visits}");
    assert!(!has_label(&h, "Данных сквозной аналитики пока нет"));
}

#[test]
fn empty_store_leads_to_sources() {
    let setup = store(false);
    let mut h = harness(app(&setup, AppState::default()));
    click(&mut h, "Настроить источник аналитики");
    assert_eq!(h.state().state.page, Page::Sources);
    assert!(has_label(&h, "Не настроено ни одного источника получения аналитики."));
}

#[test]
fn status_bar_shows_plugged_service_and_sync() {
    use skvoz::app::status::{ServiceState, ServiceStatus, SyncState, SyncStatus};
    let setup = store(false);
    let mut app = app(&setup, AppState::default());
    let (service_tx, service_rx) = tokio::sync::watch::channel(ServiceStatus::default());
    let (sync_tx, sync_rx) = tokio::sync::watch::channel(SyncStatus::default());
    app.bg.plug_service(service_rx);
    app.bg.plug_sync(sync_rx);
    let mut h = harness(app);
    assert!(has_label(&h, "Загрузка аналитики: ожидание"));

    service_tx
        .send(ServiceStatus {
            address: "http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics".into(),
            state: ServiceState::Listening,
            last_request: None,
        })
        .unwrap();
    sync_tx.send(SyncStatus { state: SyncState::Failed("неверный API-ключ".into()), last_run: None }).unwrap();
    // The change arrives through the watch task, which wakes the window.
    h.state().bg.wait_for_event(std::time::Duration::from_secs(5));
    h.state().bg.wait_for_event(std::time::Duration::from_secs(5));
    wait(&mut h);
    assert!(has_label(&h, "HTTP-сервис http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics: работает"));
    assert!(has_label(&h, "Последний запрос Roistat: —"));
    assert!(has_label(&h, "Загрузка аналитики: ошибка — неверный API-ключ"));
}

#[test]
fn a_fresh_store_has_what_end_to_end_analytics_needs_from_the_first_start() {
    let setup = store(false);
    let _h = harness(app(&setup, AppState::default()));
    let fields = setup.store.list::<skvoz::domain::ExtraField>().unwrap();
    for dev_name in ["roistat", "utm_source", "utm_medium", "utm_campaign"] {
        assert!(fields.iter().any(|f| f.dev_name == dev_name), "{dev_name} is missing");
    }
    assert_eq!(setup.store.statuses().unwrap().len(), 4);
    // A second start creates nothing twice.
    drop(_h);
    let _h = harness(app(&setup, AppState::default()));
    assert_eq!(setup.store.list::<skvoz::domain::ExtraField>().unwrap().len(), fields.len());
}

#[test]
fn the_start_page_follows_the_role_and_each_person_keeps_a_theme() {
    let setup = store(false);
    let manager = setup.store.put(User { name: "Пётр".into(), role: Role::Manager, ..User::default() }).unwrap();
    // The last person left the window on the settings; an admin of an empty store starts at the sources.
    let mut h = harness(app(&setup, AppState { page: Page::Settings, ..AppState::default() }));
    h.state_mut().go_to_start_page();
    assert_eq!(h.state().state.page, Page::Sources);
    h.state_mut().commands.push(skvoz::app::Command::SetTheme(skvoz::app::ThemeChoice::Dark));
    h.run_steps(2);
    // The manager starts at the leads, with a theme of his own.
    h.state_mut().commands.push(skvoz::app::Command::SetUser(manager.id));
    h.run_steps(2);
    assert_eq!(h.state().state.theme, skvoz::app::ThemeChoice::System);
    let state = AppState { user_id: Some(manager.id), ..h.state().state.clone() };
    let mut h = harness(app(&setup, state));
    h.state_mut().go_to_start_page();
    assert_eq!(h.state().state.page, Page::Leads);
}
