//! The window on a team database, signed in as a person: the login decides who works at the
//! window and in which role, and the pages are those the role may use (PostgreSQL refuses the rest
//! anyway).

mod common;
#[path = "support/pg.rs"]
mod pg;
#[path = "support/screen_host.rs"]
mod screen_host;

use common::{FolderPicker, TODAY, harness, until};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use screen_host::settle;
use skvoz::app::{App, AppOptions, AppState, Page, ScreenHost};
use skvoz::domain::{Attraction, Lead, LeadEdit, LeadValue, Money, Role as UserRole, Secret, StatusGroup, User};
use skvoz::report::Cell;
use skvoz::report::views::View;
use skvoz::store::{Database, Store, TeamRole};
use skvoz::ui::leads::LeadsScreen;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "Secret-pass-1";

#[test]
fn a_marketer_signed_in_sees_their_name_and_only_the_pages_of_their_role() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = rt.block_on(pg::fresh_database()) else { return };
    let db = config.get_dbname().unwrap().to_string();
    let login = format!("{db}_anna");
    let store = rt.block_on(async {
        let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
        owner.ensure_schema().await.unwrap();
        owner.add_lead(Lead { title: "Окна на дачу".into(), ..Lead::default() }).await.unwrap();
        owner.add_person(&login, TeamRole::Marketer, "Петрова Анна", &Secret::new(PASSWORD)).await.unwrap();
        let mut as_anna = config.clone();
        as_anna.user(&login).password(PASSWORD);
        Store::open_postgres(&Database::from_config(as_anna)).await.unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    // Where the last person on this computer left off does not matter: an admin page.
    let state = AppState { page: Page::Settings, ..AppState::default() };
    let options = AppOptions { today: Some(TODAY), file_picker: Box::new(FolderPicker(dir.path().into())), state };
    let mut h = harness(App::new(store, options).unwrap());

    assert!(h.query_by_label("Петрова Анна (Маркетолог)").is_some(), "who is signed in");
    assert!(h.query_by_label_contains("Пользователь: ").is_none(), "no choice of user in team mode");
    for page in [Page::Settings, Page::Sources, Page::ExchangeLog] {
        assert!(h.query_by_role_and_label(egui::Role::Button, page.title()).is_none(), "{}", page.title());
    }
    assert_ne!(h.state().state.page, Page::Settings);
    assert!(h.state().message.is_none(), "no error at the start: {:?}", h.state().message);
    // The leads (read only for a marketer) load, although the lead sources are not hers to read.
    h.get_by_role_and_label(egui::Role::Button, "Заявки").click();
    until(&mut h, "the lead in the list", |h| h.query_by_label("Окна на дачу").is_some());
    assert!(h.query_by_label_contains("Недостаточно прав").is_none());
    // Read only: no way to create or change a lead, and the form only shows it.
    assert!(h.query_by_label_contains("Только просмотр").is_some());
    for button in ["Создать", "Скопировать (F9)", "Групповое изменение"] {
        assert!(h.query_by_role_and_label(egui::Role::Button, button).is_none(), "{button}");
    }
    h.key_press(egui::Key::Insert);
    h.run_steps(3);
    assert!(h.query_by_label("Новая заявка").is_none(), "Insert makes no lead");
    h.get_by_label("Окна на дачу").click();
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    until(&mut h, "the form", |h| h.query_by_label_contains("Заявка №").is_some());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Записать").is_none());
}

type Window = Harness<'static, ScreenHost<LeadsScreen>>;

/// The leads workspace of one person on the team database.
fn leads_window(store: &Store, name: &str) -> Window {
    let screen = LeadsScreen::new(Arc::new(jiff::Timestamp::now)).with_time_zone(jiff::tz::TimeZone::UTC);
    let host = ScreenHost::new(store, screen).unwrap();
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .build_ui_state(|ui: &mut egui::Ui, host: &mut ScreenHost<LeadsScreen>| host.ui(ui), host);
    let me = User { id: 0, name: name.into(), role: UserRole::Manager, ..User::default() };
    h.state_mut().screen.set_current_user(Some(&me));
    settle(&mut h);
    h
}

/// Steps both windows until `cond` holds for `h` (the other keeps running meanwhile).
fn until_both(h: &mut Window, other: &mut Window, what: &str, cond: impl Fn(&Window) -> bool) {
    let start = Instant::now();
    while !cond(h) {
        assert!(start.elapsed() < Duration::from_secs(30), "waited in vain for: {what}");
        h.state().bg.wait_for_event(Duration::from_millis(20));
        h.step();
        other.step();
    }
}

fn open(h: &mut Window, title: &str) {
    h.get_by_label(title).click();
    settle(h);
    h.key_press(egui::Key::Enter);
    settle(h);
}

fn type_into(h: &mut Window, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    settle(h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    settle(h);
}

#[test]
fn two_people_on_one_lead_see_each_other_and_the_second_save_compares() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = rt.block_on(pg::fresh_database()) else { return };
    let db = config.get_dbname().unwrap().to_string();
    let (petrov, ivanova) = (format!("{db}_petrov"), format!("{db}_ivanova"));
    let (store_p, store_i) = rt.block_on(async {
        let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
        owner.ensure_schema().await.unwrap();
        owner.add_lead(Lead { title: "Кухня на заказ".into(), ..Lead::default() }).await.unwrap();
        let mut stores = Vec::new();
        for (login, name) in [(&petrov, "Петров Сергей"), (&ivanova, "Иванова Мария")] {
            owner.add_person(login, TeamRole::Manager, name, &Secret::new(PASSWORD)).await.unwrap();
            let mut as_person = config.clone();
            as_person.user(login).password(PASSWORD);
            stores.push(Store::open_postgres(&Database::from_config(as_person)).await.unwrap());
        }
        let second = stores.pop().unwrap();
        (stores.pop().unwrap(), second)
    });
    let mut p = leads_window(&store_p, "Петров Сергей");
    let mut i = leads_window(&store_i, "Иванова Мария");
    open(&mut p, "Кухня на заказ");
    open(&mut i, "Кухня на заказ");
    // Each sees the other in the form's header (the first one hears the second open it, and
    // answers at once).
    until_both(&mut p, &mut i, "Петров sees Иванова", |h| {
        h.query_by_label("Сейчас открыта у: Иванова Мария").is_some()
    });
    until_both(&mut i, &mut p, "Иванова sees Петров", |h| {
        h.query_by_label("Сейчас открыта у: Петров Сергей").is_some()
    });

    // Both change the title; Петров saves first, Иванова gets the conflict and compares.
    type_into(&mut p, "Наименование", "Кухня угловая");
    type_into(&mut i, "Наименование", "Кухня прямая");
    p.get_by_label("Записать").click();
    settle(&mut p);
    i.get_by_label("Записать").click();
    settle(&mut i);
    assert!(i.query_by_label_contains("изменил Петров Сергей").is_some(), "the conflict names who");
    // His title reaches her list through the feed; then «Сравнить» adds it once more, beside hers.
    until_both(&mut i, &mut p, "the list follows", |h| h.query_by_label("Кухня угловая").is_some());
    let his_before = i.query_all_by_label("Кухня угловая").count();
    i.get_by_label("Сравнить").click();
    settle(&mut i);
    assert!(i.query_by_label("Записал Петров Сергей").is_some());
    assert!(i.query_by_label("Кухня прямая").is_some(), "her value");
    assert_eq!(i.query_all_by_label("Кухня угловая").count(), his_before + 1, "his value beside hers");
    let stored = rt.block_on(store_i.leads_newest(1)).unwrap();
    assert_eq!(stored[0].title, "Кухня угловая", "her save wrote nothing");
    assert_eq!(stored[0].changed_by, "Петров Сергей");

    // Петров closes the lead: the notice goes from Иванова's form.
    p.key_press(egui::Key::Escape);
    settle(&mut p);
    until_both(&mut i, &mut p, "the notice goes", |h| h.query_by_label_contains("Сейчас открыта у").is_none());
}

#[test]
fn an_admin_adds_a_person_with_a_password_and_forbids_their_login() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = rt.block_on(pg::fresh_database()) else { return };
    let db = config.get_dbname().unwrap().to_string();
    let (admin_login, new_login) = (format!("{db}_boss"), format!("{db}_olga"));
    let (owner, store) = rt.block_on(async {
        let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
        owner.ensure_schema().await.unwrap();
        owner.add_person(&admin_login, TeamRole::Admin, "Сидоров Иван", &Secret::new(PASSWORD)).await.unwrap();
        let mut as_admin = config.clone();
        as_admin.user(&admin_login).password(PASSWORD);
        (owner, Store::open_postgres(&Database::from_config(as_admin)).await.unwrap())
    });
    let dir = tempfile::tempdir().unwrap();
    let state = AppState { page: Page::Settings, ..AppState::default() };
    let options = AppOptions { today: Some(TODAY), file_picker: Box::new(FolderPicker(dir.path().into())), state };
    let mut h = harness(App::new(store, options).unwrap());
    until(&mut h, "the people", |h| h.query_by_label(&admin_login).is_some());
    assert!(h.query_by_label("Запретить вход").is_none(), "an admin does not lock themselves out");

    let fill = |h: &mut Harness<'static, skvoz::ui::Window>, label: &str, text: &str| {
        let role = if label.starts_with("Пароль") { Role::PasswordInput } else { Role::TextInput };
        h.get_by_role_and_label(role, label).click();
        h.run_steps(2);
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_role_and_label(role, label).type_text(text);
        h.run_steps(2);
    };
    fill(&mut h, "Логин пользователя:", &new_login);
    fill(&mut h, "ФИО:", "Кузнецова Ольга");
    fill(&mut h, "Пароль пользователя:", "Olga-pass-2026");
    fill(&mut h, "Пароль ещё раз:", "Olga-pass-2027");
    h.get_by_label("Добавить пользователя").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Пароли не совпадают").is_some());
    fill(&mut h, "Пароль пользователя:", "Olga-pass-2026");
    fill(&mut h, "Пароль ещё раз:", "Olga-pass-2026");
    h.get_by_label("Добавить пользователя").click();
    until(&mut h, "the new person", |h| h.query_by_label(&new_login).is_some());
    assert!(h.query_by_label_contains("Добавлен Кузнецова Ольга (Менеджер)").is_some());
    // The password is gone from the form, and it opens the database.
    assert_eq!(h.get_by_role_and_label(Role::PasswordInput, "Пароль пользователя:").value().as_deref(), Some(""));
    let mut as_olga = config.clone();
    as_olga.user(&new_login).password("Olga-pass-2026");
    let olga = rt.block_on(Store::open_postgres(&Database::from_config(as_olga.clone()))).unwrap();
    assert_eq!(rt.block_on(olga.me()).unwrap().unwrap().role, TeamRole::Manager);
    drop(olga);

    // «Запретить вход»: the database refuses her login from then on.
    h.get_by_label("Запретить вход").click();
    until(&mut h, "forbidden", |h| h.query_by_label_contains("вход запрещён").is_some());
    let person = rt.block_on(owner.people()).unwrap().into_iter().find(|p| p.login == new_login).unwrap();
    assert!(!person.enabled);
    assert!(rt.block_on(Store::open_postgres(&Database::from_config(as_olga))).is_err());
}

#[test]
fn a_marketer_sees_the_funnel_of_the_teams_leads() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = rt.block_on(pg::fresh_database()) else { return };
    let login = format!("{}_olga", config.get_dbname().unwrap());
    let store = rt.block_on(async {
        let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
        owner.ensure_schema().await.unwrap();
        let statuses = owner.statuses().await.unwrap();
        let paid = statuses.iter().find(|s| s.group == StatusGroup::Paid).unwrap().id;
        // Yesterday noon: inside the dashboard's default period.
        let at = TODAY.yesterday().unwrap().at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::system()).unwrap().timestamp();
        let lead = |title: &str, channel: &str| Lead {
            created: at,
            updated: at,
            title: title.into(),
            price: Money::from_rubles(20_000),
            attraction: Attraction { channel: channel.into(), ..Attraction::default() },
            ..Lead::default()
        };
        let added = owner.add_leads(vec![lead("Окна", "direct"), lead("Двери", "direct"), lead("Крыша", "vk")]).await;
        let sold = &added.unwrap()[0];
        let edit = vec![LeadEdit::set(sold, LeadValue::Status(Some(paid)))];
        owner.change_lead(sold.id, Some(sold.version), edit, "manager").await.unwrap();
        owner.add_person(&login, TeamRole::Marketer, "Орлова Ольга", &Secret::new(PASSWORD)).await.unwrap();
        let mut as_olga = config.clone();
        as_olga.user(&login).password(PASSWORD);
        Store::open_postgres(&Database::from_config(as_olga)).await.unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let state = AppState { page: Page::Dashboard, ..AppState::default() };
    let options = AppOptions { today: Some(TODAY), file_picker: Box::new(FolderPicker(dir.path().into())), state };
    let mut h = harness(App::new(store, options).unwrap());
    h.get_by_role_and_label(Role::Tab, "Воронка").click();
    until(&mut h, "the funnel", |h| h.state().views.table_for(View::Funnel).is_some_and(|t| !t.rows.is_empty()));
    let table = h.state().views.table_for(View::Funnel).unwrap().clone();
    let column = |title: &str| table.columns.iter().position(|c| c.title == title).unwrap();
    let row = |channel: &str| table.rows.iter().find(|r| r.depth == 0 && r.title == channel).unwrap().cells.clone();
    assert_eq!(row("direct")[column("Заявки")], Cell::Count(2));
    assert_eq!(row("direct")[column("Оплачены")], Cell::Count(1));
    assert_eq!(row("vk")[column("Оплачены")], Cell::Count(0));
    assert!(h.query_by_label(&table.caption[0]).is_some(), "the caption is on screen");
    assert!(h.state().message.is_none(), "no error: {:?}", h.state().message);
}
