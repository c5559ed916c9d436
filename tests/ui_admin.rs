//! The admin screens on a real store, with the real HTTP service and the fake Roistat API.

mod common;
#[path = "support/service.rs"]
mod service;
mod support;

use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use skvoz::app::{App, AppOptions, AppState, Page};
use skvoz::domain::{AddressError, AnalyticsSource, DevNameError, ExtraField, LeadSource, Secret};
use skvoz::store::Store;
use std::time::{Duration, Instant};

fn open(store: &Store, page: Page) -> Harness<'static, App> {
    let options = AppOptions {
        today: Some(TODAY),
        file_picker: Box::new(FolderPicker(std::env::temp_dir())),
        state: AppState { page, ..AppState::default() },
    };
    let mut h = harness(App::new(store.clone(), options).unwrap());
    // The first report and lists load in the background; wait for them so the layout stops moving
    // under the clicks that follow.
    until(&mut h, "the start-up loads", |h| !h.state().is_busy());
    h
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Focuses a text field by its label and types into it.
fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// Steps frames until `cond` holds (bounded).
fn until(h: &mut Harness<'static, App>, what: &str, cond: impl Fn(&Harness<'static, App>) -> bool) {
    let start = Instant::now();
    loop {
        h.step();
        if cond(h) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "waited in vain for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(2);
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn lead_source_address_light_and_connection_check() {
    let rt = runtime();
    let s = rt.block_on(service::start());
    let mut h = open(&s.store, Page::Sources);
    h.get_by_label("Источники получения заявок").click();
    h.run_steps(2);
    click(&mut h, "Добавить источник получения заявок");
    assert!(has_label(&h, "Телефония не настроена"));

    type_into(&mut h, "Наименование:", "Roistat");
    type_into(&mut h, "Адрес публикации сервисов:", "ftp://crm/base");
    assert!(has_label(&h, &AddressError::Scheme.to_string()));
    click(&mut h, "Сохранить");
    assert!(s.store.list::<LeadSource>().unwrap().is_empty(), "a bad address must not be saved");

    let publication = format!("http://{}/crm_httpAnalytics", s.handle.local_addr());
    h.state_mut().admin.lead_sources.form.as_mut().unwrap().publication_address = publication.clone();
    h.run_steps(2);
    assert!(!has_label(&h, &AddressError::Scheme.to_string()));
    let service_address = format!("{publication}/hs/analytics");
    let shown = format!("Адрес сервиса Roistat: {service_address}");
    assert!(has_label(&h, &shown), "{shown}");
    type_into(&mut h, "API-key:", "key-123456");
    click(&mut h, "Сохранить");
    let saved = s.store.list::<LeadSource>().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].publication_address, publication);
    assert_eq!(saved[0].api_key.expose(), "key-123456");
    assert!(!has_label(&h, "key-123456"), "the key is masked");

    click(&mut h, "Проверить подключение");
    assert!(has_label(&h, "OK"), "the running service answers OK");

    let port = closed_port();
    h.state_mut().admin.lead_sources.form.as_mut().unwrap().publication_address =
        format!("http://127.0.0.1:{port}/crm_httpAnalytics");
    h.run_steps(2);
    click(&mut h, "Проверить подключение");
    assert!(!has_label(&h, "OK"));
    assert!(
        h.query_by_label_contains(&format!("127.0.0.1:{port}/crm_httpAnalytics/hs/analytics не отвечает")).is_some(),
        "the failure names the address"
    );
    assert!(h.query_by_label_contains("token=").is_none(), "the token never shows");

    // The light: amber after a failed telephony check, green after a passing one.
    h.get_by_label("Настройки телефонии").click();
    h.run_steps(2);
    type_into(&mut h, "Провайдер:", "Mango Office");
    type_into(&mut h, "Адрес АТС / API:", &format!("http://127.0.0.1:{port}/pbx"));
    click(&mut h, "Проверить");
    assert!(has_label(&h, "Телефония: настроена, проверка не пройдена или не выполнялась"));
    assert!(!s.store.telephony().unwrap().last_check.unwrap().ok);
    h.state_mut().admin.telephony.form.as_mut().unwrap().address = s.base.clone();
    h.run_steps(2);
    click(&mut h, "Проверить");
    assert!(has_label(&h, "Телефония: настроена, проверка пройдена"));
    assert!(s.store.telephony().unwrap().last_check.unwrap().ok);
    h.get_by_label("Источники получения заявок").click();
    h.run_steps(3);
    assert!(has_label(&h, "Телефония: настроена, проверка пройдена"), "the light follows on the lead source");
    rt.block_on(s.handle.shutdown()).unwrap();
}

#[test]
fn analytics_source_projects_and_load_now() {
    let rt = runtime();
    let fake = rt.block_on(support::fake());
    let setup = store(false);
    let mut h = open(&setup.store, Page::Sources);
    assert!(has_label(&h, "Не настроено ни одного источника получения аналитики."));
    click(&mut h, "Добавить источник получения аналитики");
    type_into(&mut h, "Наименование:", "Основной проект");
    h.state_mut().admin.analytics.form.as_mut().unwrap().api_base = fake.url.clone();
    type_into(&mut h, "API-ключ:", support::fake_roistat::KEY);
    assert!(has_label(&h, "Загрузка сквозной аналитики Roistat. Сценарий: Основной проект"));
    click(&mut h, "Получить проекты");
    let projects = h.state().admin.analytics.projects.clone();
    assert!(!projects.is_empty(), "{:?}", h.state().admin.analytics.projects_error);
    let project = projects.iter().find(|p| p.id == support::fake_roistat::PROJECT).unwrap().clone();
    h.get_by_label("Проекты Roistat: выберите проект").click();
    h.run_steps(2);
    h.get_by_label(&format!("{} ({})", project.name, project.id)).click();
    h.run_steps(2);
    assert_eq!(h.state().admin.analytics.form.as_ref().unwrap().project, project.id);

    click(&mut h, "Загрузить сейчас");
    let sources = setup.store.list::<AnalyticsSource>().unwrap();
    assert_eq!(sources.len(), 1);
    let source = &sources[0];
    assert!(source.facts_loaded > 0, "{:?}", source.last_error);
    assert!(setup.store.fact_count() > 0);
    let done = format!("Загрузка завершена: загружено фактов {}", source.facts_loaded);
    assert!(has_label(&h, &done), "{done}");
    let progress = h.state().admin.analytics.last_progress.get(&source.id).cloned().unwrap();
    assert!(progress.total > 0 && progress.done == progress.total, "{progress:?}");
    assert!(has_label(&h, &format!("Загружено периодов: {} из {}", progress.done, progress.total)));
    assert!(has_label(&h, &source.facts_loaded.to_string()));
}

#[test]
fn extra_fields_are_validated_and_the_switch_creates_service_fields_once() {
    let setup = store(false);
    let mut h = open(&setup.store, Page::Catalog);
    let service_fields = |store: &Store| store.list::<ExtraField>().unwrap().into_iter().filter(|f| f.service).count();
    // Off and on again: the missing fields are created, once.
    for _ in 0..2 {
        h.get_by_label("Использовать сквозную аналитику").click();
        h.run_steps(3);
        h.get_by_label("Использовать сквозную аналитику").click();
        h.run_steps(3);
        assert_eq!(service_fields(&setup.store), 3);
    }
    let fields = setup.store.list::<ExtraField>().unwrap();
    assert_eq!(fields.len(), 6, "service and UTM fields");
    assert!(has_label(&h, "Доп. реквизиты (6)"));

    click(&mut h, "Добавить доп. реквизит");
    type_into(&mut h, "Наименование реквизита:", "Доставка");
    type_into(&mut h, "Имя для разработчиков:", "1delivery");
    assert!(has_label(&h, &DevNameError::Invalid.to_string()));
    click(&mut h, "Сохранить реквизит");
    assert!(has_label(&h, &format!("Реквизит не сохранён: {}", DevNameError::Invalid)));
    assert_eq!(setup.store.list::<ExtraField>().unwrap().len(), 6);

    h.state_mut().admin.catalog.field_form.as_mut().unwrap().dev_name = "utm_source".into();
    h.run_steps(2);
    let duplicate = DevNameError::Duplicate("utm_source".into()).to_string();
    assert!(has_label(&h, &duplicate));
    click(&mut h, "Сохранить реквизит");
    assert_eq!(setup.store.list::<ExtraField>().unwrap().len(), 6);

    h.state_mut().admin.catalog.field_form.as_mut().unwrap().dev_name = "delivery".into();
    h.run_steps(2);
    click(&mut h, "Сохранить реквизит");
    let fields = setup.store.list::<ExtraField>().unwrap();
    assert_eq!(fields.len(), 7);
    assert!(fields.iter().any(|f| f.dev_name == "delivery" && f.name == "Доставка" && !f.service));
    h.run_steps(3);
    assert!(has_label(&h, "Доп. реквизиты (7)"));
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[test]
fn new_password_takes_effect_and_the_roistat_block_shows_the_working_url() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let port = closed_port();
    let mut settings = store.service_settings().unwrap();
    settings.password = Secret::new(service::PASSWORD);
    settings.listen = format!("127.0.0.1:{port}");
    store.put_service_settings(&settings).unwrap();
    let handle = rt.block_on(skvoz::service::start(store.clone(), Default::default())).unwrap();

    let mut h = open(&store, Page::Settings);
    let url = format!("http://127.0.0.1:{port}/crm_httpAnalytics/hs/analytics");
    assert!(has_label(&h, &url), "{url}");
    assert!(has_label(&h, "GET"));
    assert!(!has_label(&h, service::PASSWORD), "the password is masked");
    click(&mut h, "Проверить");
    assert!(has_label(&h, "OK"));

    let old = skvoz::service::auth::token(service::LOGIN, service::PASSWORD);
    assert_eq!(rt.block_on(get(&format!("{url}?user={}&token={old}&action=import_scheme", service::LOGIN))).0, 200);
    click(&mut h, "Сгенерировать новый");
    click(&mut h, "Сохранить");
    let password = h.state().admin.settings.password.clone();
    assert_ne!(password, service::PASSWORD);
    assert_eq!(store.service_settings().unwrap().password.expose(), password);
    let new = skvoz::service::auth::token(service::LOGIN, &password);
    assert_eq!(rt.block_on(get(&format!("{url}?user={}&token={old}&action=import_scheme", service::LOGIN))).0, 401);
    let (status, body) = rt.block_on(get(&format!("{url}?user={}&token={new}&action=import_scheme", service::LOGIN)));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("statuses"), "{body}");
    rt.block_on(handle.shutdown()).unwrap();
}

#[test]
fn exchange_log_shows_requests_with_masked_tokens_and_filters_them() {
    let rt = runtime();
    let s = rt.block_on(service::start());
    let mut h = open(&s.store, Page::ExchangeLog);
    assert!(has_label(&h, "Запросов ещё не было."));
    let token = service::token();
    assert_eq!(rt.block_on(s.get("action=import_scheme")).0, 200);
    let bad = format!("{}?user={}&token=wrong-token&action=import_scheme", s.base, service::LOGIN);
    assert_eq!(rt.block_on(s.raw(&bad)).0, 401);
    until(&mut h, "two log rows", |h| h.state().admin.exchange.entries.len() >= 2);
    let total = h.state().admin.exchange.entries.len();
    assert!(has_label(&h, &format!("Записей: {total} из {total}")));

    h.get_by_label("Результат: Все").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::Button, "Ошибка входа").click();
    h.run_steps(3);
    let failed = s
        .store
        .exchange_newest(100)
        .unwrap()
        .iter()
        .filter(|e| e.outcome == skvoz::domain::Outcome::AuthFailed)
        .count();
    assert!(failed >= 1);
    assert!(has_label(&h, &format!("Записей: {failed} из {total}")));

    h.get_by_label("Результат: Ошибка входа").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::Button, "Успешно").click();
    h.run_steps(3);
    h.get_all_by_label("подробнее").next().unwrap().click();
    h.run_steps(3);
    assert!(has_label(&h, "token = ***"), "the token is masked in the detail");
    assert!(h.query_by_label_contains(&token).is_none(), "the token never shows");
    rt.block_on(s.handle.shutdown()).unwrap();
}

#[test]
fn users_and_statuses_are_added() {
    let setup = store(false);
    let mut h = open(&setup.store, Page::Settings);
    type_into(&mut h, "Имя пользователя:", "Ольга");
    h.get_by_label("Роль: Менеджер").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::Button, "Маркетолог").click();
    h.run_steps(2);
    click(&mut h, "Добавить пользователя");
    let users = setup.store.list::<skvoz::domain::User>().unwrap();
    assert!(users.iter().any(|u| u.name == "Ольга" && u.role == skvoz::domain::Role::Marketer), "{users:?}");
    // The list follows the store's event, read in the background.
    until(&mut h, "the new user in the list", |h| has_label(h, "Ольга"));
    click(&mut h, "Добавить пользователя");
    assert!(has_label(&h, "Укажите имя пользователя"));

    click(&mut h, "Доп. реквизиты и статусы");
    click(&mut h, "Добавить статус");
    type_into(&mut h, "Наименование статуса:", "Счёт выставлен");
    h.get_by_label("Группа: В работе").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::Button, "Оплачен").click();
    h.run_steps(2);
    click(&mut h, "Сохранить статус");
    let statuses = setup.store.statuses().unwrap();
    assert!(
        statuses.iter().any(|s| s.name == "Счёт выставлен" && s.group == skvoz::domain::StatusGroup::Paid),
        "{statuses:?}"
    );
}

#[test]
fn a_running_load_is_cancelled() {
    let rt = runtime();
    let fake = rt.block_on(support::fake());
    fake.state.set(|s| s.slow = Some(Duration::from_millis(500)));
    let setup = store(false);
    let source = support::add_source(&setup.store, &fake, false);
    let mut h = open(&setup.store, Page::Sources);
    h.get_by_label("Источники получения аналитики").click();
    h.run_steps(2);
    h.get_by_label_contains("Тест (проект").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::Button, "Загрузить сейчас").click();
    h.run_steps(2);
    assert!(h.state().admin.analytics.running.contains_key(&source.id));
    h.get_by_role_and_label(egui::Role::Button, "Отменить").click();
    wait(&mut h);
    let cancelled = skvoz::roistat::SyncError::Cancelled.to_string();
    // The outcome of the run and the source's last error both say so.
    assert_eq!(h.query_all_by_label(&cancelled).count(), 2, "{cancelled}");
    assert_eq!(setup.store.get::<AnalyticsSource>(source.id).unwrap().unwrap().last_error, Some(cancelled));
}
