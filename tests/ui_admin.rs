//! The admin screens on a real store, with the real HTTP service and the fake Roistat API.

mod common;
#[path = "support/service.rs"]
mod service;
mod support;

use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skvoz::app::{App, AppOptions, AppState, Page};
use skvoz::domain::{
    Actor, AnalyticsSource, DevNameError, ExchangeEntry, ExtraField, HistoryFilter, HistoryObject, LeadSource, Outcome,
    Secret, Status,
};
use skvoz::report::fmt_count;
use skvoz::roistat::{SchedulerConfig, SourceState};
use skvoz::ui::Window;
use std::time::Duration;

fn open(store: &BlockingStore, page: Page) -> Harness<'static, Window> {
    let options = AppOptions {
        today: Some(TODAY),
        file_picker: Box::new(FolderPicker(std::env::temp_dir())),
        state: AppState { page, ..AppState::default() },
    };
    let mut h = harness(App::new(store.handle(), options).unwrap());
    // The first report and lists load in the background; wait for them so the layout stops moving
    // under the clicks that follow.
    until(&mut h, "the start-up loads", |h| !h.state().is_busy());
    h
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Steps frames until what the page asked the store or the network for has been answered and
/// shown (a scheduled load may go on meanwhile).
fn settle(h: &mut Harness<'static, Window>) {
    let start = std::time::Instant::now();
    let mut idle = 0;
    while idle < 3 {
        h.step();
        if h.state().bg.is_working() {
            idle = 0;
            assert!(start.elapsed() < Duration::from_secs(30), "the answer did not come");
            h.state().bg.wait_for_event(Duration::from_millis(20));
        } else {
            idle += 1;
        }
    }
}

/// Focuses a text field by its label and types into it.
fn type_into(h: &mut Harness<'static, Window>, label: &str, text: &str) {
    settle(h);
    h.get_by_label(label).click();
    h.run_steps(2);
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// The scheduler's state of a source's load.
fn load_state(h: &Harness<'static, Window>, id: u64) -> SourceState {
    h.state().services.scheduler.as_ref().expect("scheduler started").progress().remove(&id).unwrap_or_default()
}

/// Starts the app's scheduler with short waits, as the window does with the real ones.
fn start_scheduler(h: &mut Harness<'static, Window>) {
    h.state_mut().start_scheduler(SchedulerConfig { tick: Duration::from_millis(50), sync: support::fast_options() });
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn lead_source_address_light_and_connection_check() {
    let rt = runtime();
    let s = rt.block_on(service::start());
    let db = BlockingStore::wrap(s.store.clone());
    let mut h = open(&db, Page::Sources);
    h.get_by_label("Источники получения заявок").click();
    settle(&mut h);
    click(&mut h, "Добавить источник получения заявок");
    assert!(has_label(&h, "Телефония не настроена"));

    type_into(&mut h, "Наименование:", "Roistat");
    // The address Roistat is given is the service's; the listen address inside the network gets
    // the red hint, and there is nothing to type on the form.
    let local = "Адрес сервиса Roistat: http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics";
    assert!(has_label(&h, local), "{local}");
    let hints = h.query_all_by_label_contains("это адрес внутри вашей сети").count();
    assert_eq!(hints, 2, "the form repeats the checklist's hint");
    assert!(h.query_by_label("Адрес публикации сервисов:").is_none(), "no second copy to type");
    type_into(&mut h, "API-ключ:", "key-123456");
    click(&mut h, "Сохранить");
    let saved = db.list::<LeadSource>().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].api_key.expose(), "key-123456");
    assert!(!has_label(&h, "key-123456"), "the key is masked");

    // Changing «Внешний адрес для Roistat» in the settings changes the source's address.
    h.get_by_label("Изменить внешний адрес").click();
    settle(&mut h);
    assert_eq!(h.state().app.state.page, Page::Settings);
    let external = format!("http://{}", s.handle.local_addr());
    type_into(&mut h, "Внешний адрес для Roistat:", &external);
    click(&mut h, "Сохранить");
    assert_eq!(db.service_settings().unwrap().external_address, external);
    h.state_mut().app.commands.push(skvoz::app::Command::Navigate(Page::Sources));
    settle(&mut h);
    let service_address = format!("{external}/crm_httpAnalytics/hs/analytics");
    let shown = format!("Адрес сервиса Roistat: {service_address}");
    assert!(has_label(&h, &shown), "{shown}");

    // The check says what it verified: the service at that address, and the key by Roistat's API
    // (a wrong key is refused the way Roistat refuses it: an error envelope with HTTP 200).
    let fake = rt.block_on(support::fake());
    fake.state.set(|s| s.auth_error_200 = true);
    type_into(&mut h, "Адрес API (пусто — облако Roistat):", &fake.url);
    click(&mut h, "Проверить подключение");
    let service_ok =
        format!("Сервис: отвечает по адресу {service_address} с логином и паролем из настроек HTTP-сервиса");
    assert!(has_label(&h, &service_ok), "{service_ok}");
    assert!(
        h.query_by_label_contains("API-ключ: Roistat не принял API-ключ (запрос user/projects").is_some(),
        "a wrong key is named wrong"
    );
    assert!(h.query_by_label_contains("API-ключ: принят").is_none());
    h.state_mut().admin.lead_sources.api_key = support::fake_roistat::KEY.into();
    click(&mut h, "Проверить подключение");
    assert!(has_label(&h, &service_ok));
    assert!(has_label(&h, "API-ключ: принят Roistat (запрос списка проектов; проектов, видных ключу: 2)"));
    h.state_mut().admin.lead_sources.api_key.clear();
    click(&mut h, "Проверить подключение");
    assert!(has_label(&h, "API-ключ не указан, поэтому не проверялся."));

    let port = closed_port();
    let mut settings = db.service_settings().unwrap();
    settings.external_address = format!("http://127.0.0.1:{port}");
    db.put_service_settings(&settings).unwrap();
    click(&mut h, "Проверить подключение");
    assert!(!has_label(&h, &service_ok));
    assert!(
        h.query_by_label_contains(&format!("127.0.0.1:{port}/crm_httpAnalytics/hs/analytics не отвечает")).is_some(),
        "the failure names the address"
    );
    assert!(h.query_by_label_contains("«127.0.0.1» отклонил соединение").is_some(), "and why, in Russian");
    assert!(h.query_by_label_contains("Connection refused").is_none());
    assert!(h.query_by_label_contains("token=").is_none(), "the token never shows");

    // The light: amber after a failed telephony check, green after a passing one.
    h.get_by_label("Настройки телефонии").click();
    settle(&mut h);
    type_into(&mut h, "Провайдер:", "Mango Office");
    type_into(&mut h, "Адрес АТС / API:", &format!("http://127.0.0.1:{port}/pbx"));
    click(&mut h, "Проверить");
    assert!(has_label(&h, "Телефония: настроена, проверка не пройдена или не выполнялась"));
    assert!(!db.telephony().unwrap().last_check.unwrap().ok);
    h.state_mut().admin.telephony.form.as_mut().unwrap().address = s.base.clone();
    settle(&mut h);
    click(&mut h, "Проверить");
    assert!(has_label(&h, "Телефония: настроена, проверка пройдена"));
    let passed = db.telephony().unwrap().last_check.unwrap();
    assert!(passed.ok);
    assert!(passed.message.contains("вызовы API АТС этой проверкой не проверяются"), "{}", passed.message);
    h.get_by_label("Источники получения заявок").click();
    settle(&mut h);
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
    // A wrong key is refused as Roistat refuses it (an error envelope with HTTP 200).
    fake.state.set(|s| s.auth_error_200 = true);
    type_into(&mut h, "API-ключ:", "wrong-key-000");
    click(&mut h, "Проверить ключ");
    assert!(h.query_by_label_contains("Roistat не принял API-ключ (запрос user/projects").is_some());
    assert!(h.query_by_label_contains("Ключ принят").is_none());
    h.state_mut().admin.analytics.api_key.clear();
    type_into(&mut h, "API-ключ:", support::fake_roistat::KEY);
    assert!(has_label(&h, "Загрузка сквозной аналитики Roistat. Сценарий: Основной проект"));
    click(&mut h, "Проверить ключ");
    let projects = h.state().admin.analytics.projects.clone();
    assert!(!projects.is_empty(), "{:?}", h.state().admin.analytics.projects_error);
    let project = projects.iter().find(|p| p.id == support::fake_roistat::PROJECT).unwrap().clone();
    h.get_by_label("Проекты Roistat: выберите проект").click();
    settle(&mut h);
    assert!(has_label(
        &h,
        &format!("Ключ принят Roistat (запрос списка проектов): проектов Roistat — {}", projects.len())
    ));
    h.get_by_label(&format!("{} ({}, {})", project.name, project.id, project.currency)).click();
    settle(&mut h);
    assert_eq!(h.state().admin.analytics.form.as_ref().unwrap().project, project.id);
    assert!(has_label(&h, &format!("Проект {} виден этому ключу", project.id)));

    start_scheduler(&mut h);
    // A new source says that the load saves it; the click saves it and waits for its load.
    click(&mut h, "Сохранить и загрузить");
    let sources = setup.store.list::<AnalyticsSource>().unwrap();
    assert_eq!(sources.len(), 1);
    let source = &sources[0];
    assert!(source.facts_loaded > 0, "{:?}", source.last_error);
    assert!(setup.store.fact_count() > 0);
    let state = load_state(&h, source.id);
    assert_eq!(state.runs, 1, "one load: {state:?}");
    assert!(state.total > 0 && state.done == state.total, "{state:?}");
    let done = format!("Загрузка завершена. {}", state.message);
    assert!(state.message.contains(&format!("Загружено фактов: {}", source.facts_loaded)), "{}", state.message);
    assert!(has_label(&h, &done), "{done}");
    assert!(has_label(&h, &format!("Загружено периодов: {} из {}", state.done, state.total)));
    assert!(has_label(&h, &source.facts_loaded.to_string()));
}

#[test]
fn extra_fields_are_validated_and_the_switch_creates_service_fields_once() {
    let setup = store(false);
    let mut h = open(&setup.store, Page::Catalog);
    let service_fields =
        |store: &BlockingStore| store.list::<ExtraField>().unwrap().into_iter().filter(|f| f.service).count();
    // Off and on again: the missing fields are created, once.
    for _ in 0..2 {
        h.get_by_label("Использовать сквозную аналитику").click();
        settle(&mut h);
        h.get_by_label("Использовать сквозную аналитику").click();
        settle(&mut h);
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
    settle(&mut h);
    let duplicate = DevNameError::Duplicate("utm_source".into()).to_string();
    assert!(has_label(&h, &duplicate));
    click(&mut h, "Сохранить реквизит");
    assert_eq!(setup.store.list::<ExtraField>().unwrap().len(), 6);

    h.state_mut().admin.catalog.field_form.as_mut().unwrap().dev_name = "delivery".into();
    settle(&mut h);
    click(&mut h, "Сохранить реквизит");
    let fields = setup.store.list::<ExtraField>().unwrap();
    assert_eq!(fields.len(), 7);
    assert!(fields.iter().any(|f| f.dev_name == "delivery" && f.name == "Доставка" && !f.service));
    settle(&mut h);
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
    let store = BlockingStore::open(dir.path());
    let port = closed_port();
    let mut settings = store.service_settings().unwrap();
    settings.password = Secret::new(service::PASSWORD);
    settings.listen = format!("127.0.0.1:{port}");
    store.put_service_settings(&settings).unwrap();
    let handle = rt.block_on(skvoz::service::start(store.handle(), Default::default())).unwrap();

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
fn a_new_listen_address_restarts_the_service_inside_the_window() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    let first = closed_port();
    let second = std::iter::repeat_with(closed_port).find(|p| *p != first).unwrap();
    let mut settings = store.service_settings().unwrap();
    settings.password = Secret::new(service::PASSWORD);
    settings.listen = format!("127.0.0.1:{first}");
    store.put_service_settings(&settings).unwrap();
    let mut h = open(&store, Page::Settings);
    h.state_mut().start_services();
    let token = skvoz::service::auth::token(service::LOGIN, service::PASSWORD);
    let url = |port: u16| {
        format!(
            "http://127.0.0.1:{port}/crm_httpAnalytics/hs/analytics?user={}&token={token}&action=import_scheme",
            service::LOGIN
        )
    };
    let listening_on = |h: &Harness<'static, Window>, port: u16| {
        h.state().bg.service.as_ref().is_some_and(|s| {
            let s = s.borrow();
            s.state == skvoz::app::status::ServiceState::Listening && s.address.contains(&format!(":{port}/"))
        })
    };
    until(&mut h, "the service on the first address", |h| listening_on(h, first));
    assert_eq!(rt.block_on(get(&url(first))).0, 200);

    let screen = &mut h.state_mut().admin.settings;
    screen.form.as_mut().unwrap().listen = format!("127.0.0.1:{second}");
    screen.dirty = true;
    click(&mut h, "Сохранить");
    assert!(h.query_by_label_contains("HTTP-сервис перезапускается").is_some());
    until(&mut h, "the service on the new address", |h| listening_on(h, second));
    assert_eq!(rt.block_on(get(&url(second))).0, 200);
    assert!(rt.block_on(reqwest::get(url(first))).is_err(), "the old address no longer answers");
    h.state_mut().shutdown();
}

#[test]
fn exchange_log_shows_requests_with_masked_tokens_and_filters_them() {
    let rt = runtime();
    let s = rt.block_on(service::start());
    let db = BlockingStore::wrap(s.store.clone());
    let mut h = open(&db, Page::ExchangeLog);
    assert!(has_label(&h, "Запросов ещё не было."));
    let token = service::token();
    assert_eq!(rt.block_on(s.get("action=import_scheme")).0, 200);
    let bad = format!("{}?user={}&token=wrong-token&action=import_scheme", s.base, service::LOGIN);
    assert_eq!(rt.block_on(s.raw(&bad)).0, 401);
    until(&mut h, "two log rows", |h| h.state().admin.exchange.scanned && h.state().admin.exchange.ids.len() >= 2);
    let total = db.exchange_count();
    assert_eq!(h.state().admin.exchange.ids.len(), total);
    assert!(h.query_all_by_label("Схема статусов и полей (import_scheme)").count() >= 2, "actions are named in words");
    assert!(has_label(&h, &format!("Записей: {total}")));

    h.get_by_label("Результат: Все").click();
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Ошибка входа").click();
    until(&mut h, "the filtered pass", |h| h.state().admin.exchange.scanned);
    let failed =
        db.exchange_newest(100).unwrap().iter().filter(|e| e.outcome == skvoz::domain::Outcome::AuthFailed).count();
    assert!(failed >= 1);
    assert!(has_label(&h, &format!("Записей: {failed} из {total}")));

    h.get_by_label("Результат: Ошибка входа").click();
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Успешно").click();
    until(&mut h, "the rows of successful requests", |h| {
        h.state().admin.exchange.scanned && h.query_all_by_label("подробнее").next().is_some()
    });
    h.get_all_by_label("подробнее").next().unwrap().click();
    settle(&mut h);
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
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Маркетолог").click();
    settle(&mut h);
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
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Оплачен").click();
    settle(&mut h);
    click(&mut h, "Сохранить статус");
    let statuses = setup.store.statuses().unwrap();
    assert!(
        statuses.iter().any(|s| s.name == "Счёт выставлен" && s.group == skvoz::domain::StatusGroup::Paid),
        "{statuses:?}"
    );
    // The history names the person chosen in the window, not the computer's user.
    let added = statuses.iter().find(|s| s.name == "Счёт выставлен").unwrap();
    let of_status = HistoryFilter { object: Some(HistoryObject::Status(added.id)), ..HistoryFilter::default() };
    let history = setup.store.run(setup.store.handle().history(of_status)).unwrap();
    assert_eq!(history.iter().map(|e| e.author.as_str()).collect::<Vec<_>>(), ["Администратор"]);
}

#[test]
fn load_now_runs_in_the_scheduler_once_with_progress() {
    let rt = runtime();
    let fake = rt.block_on(support::fake());
    // Slow enough that the load is seen running for a good while.
    fake.state.set(|s| s.slow = Some(Duration::from_millis(200)));
    let setup = store(false);
    let source = rt.block_on(support::add_source(&setup.store.handle(), &fake, false));
    let mut h = open(&setup.store, Page::Sources);
    start_scheduler(&mut h);
    h.get_by_label("Источники получения аналитики").click();
    settle(&mut h);
    h.get_by_label_contains("Тест (проект").click();
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Загрузить сейчас").click();
    until(&mut h, "the first period stored", |h| load_state(h, source.id).done >= 1);
    let state = load_state(&h, source.id);
    assert!(state.running && state.total > state.done, "{state:?}");
    assert!(h.query_by_label_contains("Загружено периодов: ").is_some(), "the progress is shown");
    assert!(h.query_by_label_contains(": загружается…").is_some(), "the list says it is loading");
    assert!(!h.get_by_role_and_label(egui::Role::Button, "Отменить").accesskit_node().is_disabled());

    // A second click while it runs starts nothing: the button is off, and the scheduler keeps one load.
    let button = h.get_by_role_and_label(egui::Role::Button, "Загрузить сейчас");
    assert!(button.accesskit_node().is_disabled(), "«Загрузить сейчас» is off while the load runs");
    button.click();
    settle(&mut h);
    assert_eq!(load_state(&h, source.id).runs, 0);

    until(&mut h, "the load's end", |h| !load_state(h, source.id).running);
    let state = load_state(&h, source.id);
    assert_eq!(state.runs, 1, "{state:?}");
    assert_eq!(state.last_error, None);
    let requests = fake.state.data_requests();
    let mut unique = requests.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), requests.len(), "each period was asked for once: {requests:?}");
    let stored = setup.store.get::<AnalyticsSource>(source.id).unwrap().unwrap();
    assert!(stored.facts_loaded > 0 && setup.store.fact_count() > 0);
    assert!(has_label(&h, &format!("Загрузка завершена. {}", state.message)));
    assert!(h.query_by_label_contains(&format!("Загружено фактов: {}", stored.facts_loaded)).is_some());
    assert!(!h.get_by_role_and_label(egui::Role::Button, "Загрузить сейчас").accesskit_node().is_disabled());
}

#[test]
fn a_scheduled_load_shows_on_the_form_and_is_cancelled_there() {
    let rt = runtime();
    let fake = rt.block_on(support::fake());
    fake.state.set(|s| s.slow = Some(Duration::from_millis(300)));
    let setup = store(false);
    // Enabled and never loaded: due at once, so the schedule starts it, not the form.
    let source = rt.block_on(support::add_source(&setup.store.handle(), &fake, true));
    let mut h = open(&setup.store, Page::Sources);
    h.get_by_label("Источники получения аналитики").click();
    settle(&mut h);
    h.get_by_label_contains("Тест (проект").click();
    settle(&mut h);
    start_scheduler(&mut h);
    until(&mut h, "the scheduled load running", |h| load_state(h, source.id).running);
    until(&mut h, "its progress on the form", |h| h.query_by_label_contains("Загружено периодов: ").is_some());
    assert!(h.get_by_role_and_label(egui::Role::Button, "Загрузить сейчас").accesskit_node().is_disabled());

    h.get_by_role_and_label(egui::Role::Button, "Отменить").click();
    settle(&mut h);
    // A cancel can end the load within these frames; while it still runs, the button must say so.
    let acknowledged = has_label(&h, "Отменяется…") || !load_state(&h, source.id).running;
    assert!(acknowledged, "the press is acknowledged at once");
    until(&mut h, "the cancelled load's end", |h| !load_state(h, source.id).running);
    let cancelled = skvoz::roistat::SyncError::Cancelled.to_string();
    assert_eq!(load_state(&h, source.id).last_error.as_deref(), Some(cancelled.as_str()));
    assert_eq!(setup.store.get::<AnalyticsSource>(source.id).unwrap().unwrap().last_error, Some(cancelled.clone()));
    // The source's card says why, once; the run's outcome points to it.
    until(&mut h, "the form showing the cancel", |h| h.query_all_by_label(&cancelled).count() == 1);
    assert!(has_label(&h, "Загрузка не удалась: причина — в строке «Последняя ошибка» ниже"));
    assert!(!has_label(&h, "Отменяется…"));

    // A wrong source can be deleted, after a question.
    click(&mut h, "Удалить источник");
    assert!(h.query_by_label_contains("Удалить источник «Тест»?").is_some());
    assert_eq!(setup.store.list::<AnalyticsSource>().unwrap().len(), 1, "nothing before the answer");
    click(&mut h, "Да, удалить");
    assert!(setup.store.list::<AnalyticsSource>().unwrap().is_empty());
    assert!(has_label(&h, "Не настроено ни одного источника получения аналитики."));
}

/// A log entry of the big-log test: entry `i` lasted `i` ms, so its row shows which one it is.
fn logged(i: u64) -> ExchangeEntry {
    let needle = i == NEEDLE;
    ExchangeEntry {
        id: 0,
        at: jiff::Timestamp::now(),
        remote: "203.0.113.7:41000".into(),
        action: if i.is_multiple_of(7) { "export".into() } else { "lead".into() },
        outcome: if needle { Outcome::Error } else { Outcome::Ok },
        http_status: if needle { 500 } else { 200 },
        duration_micros: i * 1000,
        error: if needle {
            "Заявка не сохранена: диск переполнен".into()
        } else {
            String::new()
        },
        params: vec![("user".into(), "httpService".into()), ("token".into(), "***".into())],
        answer: "{\"status\":\"ok\"}".into(),
        request_bytes: 40,
    }
}

/// Far beyond the newest 5,000 the screen used to hold: 70,500 entries older than the newest.
const NEEDLE: u64 = 30_000;

#[test]
fn the_exchange_log_pages_through_all_100_000_entries() {
    let setup = store(false);
    // 100,500 written at the real capacity: the oldest 500 are dropped, 100,000 kept.
    for i in 1..=100_500 {
        setup.store.log_exchange(logged(i)).unwrap();
    }
    assert_eq!(setup.store.exchange_count(), 100_000);
    let mut h = open(&setup.store, Page::ExchangeLog);
    until(&mut h, "the pass over the log", |h| h.state().admin.exchange.scanned);
    assert_eq!(h.state().admin.exchange.ids.len(), 100_000);
    assert!(has_label(&h, &format!("Записей: {}", fmt_count(100_000))));
    until(&mut h, "the newest row", |h| h.state().admin.exchange.is_loaded(100_500));
    assert!(has_label(&h, "100500"));

    // A new request arrives at the top; the oldest kept one leaves the log.
    let fresh = setup.store.log_exchange(logged(100_501)).unwrap();
    until(&mut h, "the new row on top", |h| {
        h.state().admin.exchange.ids.first() == Some(&fresh) && has_label(h, &fresh.to_string())
    });
    assert_eq!(h.state().admin.exchange.ids.len(), 100_000);
    assert_eq!(h.state().admin.exchange.ids.last(), Some(&502));

    click(&mut h, "К самым старым");
    until(&mut h, "the oldest row with its entry", |h| {
        h.state().admin.exchange.is_loaded(502) && has_label(h, "502") && has_label(h, "502 мс")
    });
    assert!(!has_label(&h, "100500"));
    click(&mut h, "К новым");
    until(&mut h, "the newest row again", |h| has_label(h, &fresh.to_string()));

    // The outcome filter searches the whole log.
    h.get_by_label("Результат: Все").click();
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Ошибка").click();
    until(&mut h, "the filtered pass", |h| {
        h.state().admin.exchange.scanned && h.state().admin.exchange.is_loaded(NEEDLE)
    });
    assert_eq!(h.state().admin.exchange.ids, vec![NEEDLE]);
    assert!(has_label(&h, &format!("Записей: 1 из {}", fmt_count(100_000))));
    assert!(has_label(&h, "Заявка не сохранена: диск переполнен"));

    // So does the text search, ignoring case.
    h.get_by_label("Результат: Ошибка").click();
    settle(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Все").click();
    until(&mut h, "the whole log again", |h| {
        h.state().admin.exchange.scanned && h.state().admin.exchange.ids.len() == 100_000
    });
    type_into(&mut h, "Поиск:", "ДИСК ПЕРЕПОЛНЕН");
    until(&mut h, "the search's pass", |h| {
        h.state().admin.exchange.scanned && h.state().admin.exchange.ids == [NEEDLE]
    });
    until(&mut h, "the found row", |h| has_label(h, "Заявка не сохранена: диск переполнен"));
    // A click anywhere on the row opens its detail, also on the text of a cell.
    h.get_by_label(&NEEDLE.to_string()).click();
    settle(&mut h);
    assert!(h.query_by_label_contains(&format!("Запрос № {NEEDLE} — ")).is_some(), "the detail opens");

    // A new request the search matches shows on top of what it found.
    let late = setup.store.log_exchange(logged(NEEDLE)).unwrap();
    until(&mut h, "the new match on top", |h| h.state().admin.exchange.ids == [late, NEEDLE]);
    assert!(has_label(&h, &format!("Записей: 2 из {}", fmt_count(100_000))));
}

#[test]
fn a_lead_with_a_key_no_field_takes_is_a_warning_that_creates_the_field() {
    let rt = runtime();
    let s = rt.block_on(service::start());
    let db = BlockingStore::wrap(s.store.clone());
    let mut h = open(&db, Page::ExchangeLog);
    let data = service::enc(r#"{"promo":"ВЕСНА","utm_source":"yandex"}"#);
    let (status, body) = rt.block_on(s.get(&format!("action=lead&id=r1&name=Иван&phone=79161234567&data={data}")));
    assert_eq!(status, 200, "{body}");
    let warning = "Предупреждение: нет доп. реквизита для promo (значения сохранены в заявке, но не в реквизитах)";
    until(&mut h, "the lead's row", |h| h.query_by_label(warning).is_some());
    h.get_by_label(warning).click();
    settle(&mut h);
    // utm_source has its field already (created with the schema): only promo is offered.
    assert!(h.query_by_label("Создать реквизит «utm_source»").is_none());
    click(&mut h, "Создать реквизит «promo»");
    until(&mut h, "the field in the lists", |h| h.state().app.lists.extra_fields.iter().any(|f| f.dev_name == "promo"));
    assert!(has_label(&h, "Реквизит «promo» создан: его можно переименовать в «Доп. реквизиты и статусы»"));
    assert!(h.query_by_label("Создать реквизит «promo»").is_none(), "offered only while missing");
    let fields = db.list::<ExtraField>().unwrap();
    assert_eq!(fields.iter().filter(|f| f.dev_name == "promo").count(), 1);

    // The next lead fills the new field and brings no warning.
    let (status, _) = rt.block_on(s.get(&format!("action=lead&id=r2&name=Пётр&phone=79160000000&data={data}")));
    assert_eq!(status, 200);
    let lead = db.lead_by_roistat_id("r2").unwrap().unwrap();
    assert_eq!(lead.extra.get("promo").map(String::as_str), Some("ВЕСНА"));
    until(&mut h, "the second request logged", |_| db.exchange_count() >= 2);
    let newest = db.exchange_newest(1).unwrap().remove(0);
    assert!(newest.error.is_empty(), "{}", newest.error);
    rt.block_on(s.handle.shutdown()).unwrap();
}

#[test]
fn statuses_move_and_an_unused_one_is_deleted_after_a_question() {
    let setup = store(false);
    let mut h = open(&setup.store, Page::Catalog);
    let names = |store: &BlockingStore| store.statuses().unwrap().into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names(&setup.store), ["Новая", "В работе", "Оплачена", "Отменена"]);

    // No red line on a new, untouched field form.
    click(&mut h, "Добавить доп. реквизит");
    assert!(!has_label(&h, &DevNameError::Empty.to_string()));
    click(&mut h, "Закрыть");

    // «Ниже» on the first status puts it second.
    let below: Vec<_> = h.query_all_by_label("Ниже").collect();
    below[0].click();
    settle(&mut h);
    assert_eq!(names(&setup.store), ["В работе", "Новая", "Оплачена", "Отменена"]);

    // A status in use stays, with the reason; an unused one goes after «Да, удалить».
    let paid = setup.store.statuses().unwrap().into_iter().find(|s| s.name == "Оплачена").unwrap();
    setup
        .store
        .add_lead(skvoz::domain::Lead {
            title: "Оплаченная".into(), status_id: Some(paid.id), ..Default::default()
        })
        .unwrap();
    let delete: Vec<_> = h.query_all_by_label("Удалить").collect();
    delete[2].click();
    settle(&mut h);
    assert!(has_label(
        &h,
        "Статус «Оплачена» стоит у заявок: 1. Сначала переведите их в другой статус (групповое изменение)."
    ));
    let delete: Vec<_> = h.query_all_by_label("Удалить").collect();
    delete[3].click();
    settle(&mut h);
    assert!(has_label(&h, "Удалить статус «Отменена»?"));
    assert_eq!(names(&setup.store).len(), 4, "nothing before the answer");
    click(&mut h, "Да, удалить");
    settle(&mut h);
    assert_eq!(names(&setup.store), ["В работе", "Новая", "Оплачена"]);
    assert!(
        !has_label(
            &h,
            "Статус «Оплачена» стоит у заявок: 1. Сначала переведите их в другой статус (групповое изменение)."
        ),
        "a stale error goes"
    );
}

#[test]
fn backup_and_restore_from_the_window() {
    let setup = store(true);
    let mut h = open(&setup.store, Page::Settings);
    // The page is taller than the default harness: the backup block sits below the service's.
    h.set_size(egui::vec2(1400.0, 2000.0));
    settle(&mut h);
    let file = setup.dir.path().join("копия.jsonl");
    h.state_mut().admin.backup.save_path = file.display().to_string();
    settle(&mut h);
    click(&mut h, "Сохранить копию");
    until(&mut h, "the backup", |h| !h.state().is_busy());
    assert!(h.query_by_label_contains("Копия сохранена:").is_some());
    let leads = setup.store.lead_count();
    assert!(std::fs::metadata(&file).unwrap().len() > 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy holds the service password");
    }

    // A lead added after the copy is gone once the copy is restored, after the question.
    setup.store.add_lead(skvoz::domain::Lead { title: "После копии".into(), ..Default::default() }).unwrap();
    assert_eq!(setup.store.lead_count(), leads + 1);
    h.state_mut().admin.backup.restore_path = file.display().to_string();
    settle(&mut h);
    click(&mut h, "Восстановить…");
    assert!(has_label(&h, "Заменить все данные копией?"));
    assert_eq!(setup.store.lead_count(), leads + 1, "nothing before the answer");
    click(&mut h, "Заменить");
    until(&mut h, "the restore", |h| !h.state().is_busy());
    assert!(h.query_by_label_contains("Восстановлено из").is_some());
    assert_eq!(setup.store.lead_count(), leads);

    // A file that is not there is a message, not a crash.
    h.state_mut().admin.backup.restore_path = setup.dir.path().join("нет.jsonl").display().to_string();
    settle(&mut h);
    click(&mut h, "Восстановить…");
    click(&mut h, "Заменить");
    until(&mut h, "the failed restore", |h| !h.state().is_busy());
    assert!(h.query_by_label_contains("Не удалось открыть файл").is_some());
}

#[test]
fn trusted_proxies_are_checked_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    let mut h = open(&store, Page::Settings);
    assert!(has_label(&h, "Соединений с одного адреса, не более:"));
    h.state_mut().admin.settings.trusted_proxies.clear();
    type_into(&mut h, "Доверенные прокси:", "10.0.0.0/8, nginx.local");
    click(&mut h, "Сохранить");
    assert!(h.query_by_label_contains("«nginx.local» — не адрес и не сеть").is_some(), "the bad entry is named");
    assert_eq!(store.service_settings().unwrap().trusted_proxies, ["127.0.0.0/8", "::1"], "nothing saved");
    h.state_mut().admin.settings.trusted_proxies.clear();
    type_into(&mut h, "Доверенные прокси:", "10.0.0.0/8, 127.0.0.1");
    click(&mut h, "Сохранить");
    assert_eq!(store.service_settings().unwrap().trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
}

#[test]
fn a_message_does_not_move_the_form_and_a_good_save_clears_the_old_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    let mut h = open(&store, Page::Settings);
    let below = |h: &Harness<'static, Window>| h.get_by_label("Что указать в Roistat").rect();
    let before = below(&h);
    let bad = "«nginx.local» — не адрес и не сеть";
    assert!(h.query_by_label_contains(bad).is_none(), "nothing red before anything was typed");
    h.state_mut().admin.settings.trusted_proxies.clear();
    type_into(&mut h, "Доверенные прокси:", "nginx.local");
    click(&mut h, "Сохранить");
    assert!(h.query_by_label_contains(bad).is_some());
    assert_eq!(below(&h), before, "the error line was kept free: nothing below moved");
    h.state_mut().admin.settings.trusted_proxies = "10.0.0.0/8".into();
    settle(&mut h);
    click(&mut h, "Сохранить");
    until(&mut h, "the save", |h| !h.state().is_busy());
    assert!(h.query_by_label_contains(bad).is_none(), "a good save clears the old error");
    assert!(has_label(&h, "Настройки сохранены. Новый пароль действует сразу."));
    assert_eq!(below(&h), before);
}

#[test]
fn the_url_for_roistat_starts_with_the_external_address_and_an_inside_address_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    let mut h = open(&store, Page::Settings);
    let inside = "Roistat не достучится до «127.0.0.1»";
    assert!(h.query_by_label_contains(inside).is_some(), "the listen address alone is flagged");
    type_into(&mut h, "Внешний адрес для Roistat:", "https://crm.example.ru");
    settle(&mut h);
    assert!(has_label(&h, "https://crm.example.ru/crm_httpAnalytics/hs/analytics"), "the URL for Roistat follows");
    assert!(h.query_by_label_contains(inside).is_none(), "a public address is not flagged");
    click(&mut h, "Сохранить");
    until(&mut h, "the save", |h| !h.state().is_busy());
    assert_eq!(store.service_settings().unwrap().external_address, "https://crm.example.ru");
}

#[test]
fn the_setup_checklist_ticks_what_the_program_sees_and_leads_to_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    let h = open(&store, Page::Sources);
    assert!(h.query_by_label_contains("Подключение к Roistat: выполнено 0 из 6 шагов").is_some());
    assert!(h.query_by_label_contains("запросов от Roistat ещё не было").is_some());
    drop(h);

    store
        .put(LeadSource {
            name: "Roistat".into(),
            responsible: Some(skvoz::domain::Responsible::Role(skvoz::domain::Role::Manager)),
            ..LeadSource::default()
        })
        .unwrap();
    store
        .put(AnalyticsSource {
            name: "Основной".into(),
            last_success: Some(jiff::Timestamp::now()),
            ..AnalyticsSource::default()
        })
        .unwrap();
    let mut settings = store.service_settings().unwrap();
    settings.external_address = "https://crm.example.ru".into();
    store.put_service_settings(&settings).unwrap();
    let mut h = open(&store, Page::Sources);
    assert!(h.query_by_label_contains("Подключение к Roistat: выполнено 3 из 6 шагов").is_some());
    assert!(h.query_by_label_contains("«Основной» загружен").is_some());
    assert!(
        h.query_by_label("✔ Аналитика загружена").is_some()
            && h.query_by_label("○ Roistat обращался к сервису").is_some()
    );
    // An unticked step leads to its screen: the first is the service's settings.
    h.get_all_by_label("Открыть").next().unwrap().click();
    settle(&mut h);
    assert_eq!(h.state().state.page, Page::Settings);
}

#[test]
fn the_history_page_shows_who_changed_what_and_filters_by_author() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    store.ensure_schema().unwrap();
    let as_person = |author: &str| {
        BlockingStore::wrap(store.handle().acting_as(Actor { author: author.into(), origin: "окно".into() }))
    };
    let status = store.statuses().unwrap().remove(0);
    as_person("ivanova").put(Status { name: "Первичный контакт".into(), ..status }).unwrap();
    as_person("petrov").add_lead(skvoz::domain::Lead { title: "Окна ПВХ".into(), ..Default::default() }).unwrap();

    let mut h = open(&store, Page::History);
    settle(&mut h);
    for label in ["ivanova", "petrov", "Первичный контакт", "Окна ПВХ", "Новая"] {
        assert!(has_label(&h, label), "«{label}» on the history page");
    }
    // The newest first: the lead typed in after the status was renamed.
    let row = |h: &Harness<'static, Window>, label: &str| h.get_by_label(label).rect().min.y;
    assert!(row(&h, "petrov") < row(&h, "ivanova"));

    type_into(&mut h, "Автор:", "ivanova");
    settle(&mut h);
    assert!(has_label(&h, "Первичный контакт") && !has_label(&h, "petrov"), "only ivanova's changes");
}
