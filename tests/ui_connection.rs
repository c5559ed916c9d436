//! «Подключение»: the window opens at once and connects behind its first frame; a store it cannot
//! reach is a message with «Повторить» and «Подключение…»; the dialog remembers the choice, never
//! the password.

mod common;
#[path = "support/pg.rs"]
mod pg;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use skvoz::app::AppState;
use skvoz::app::connection::{CHOICE_FILE, ConnectionChoice, Place};
use skvoz::store::{Database, Location};
use skvoz::ui::{StartOptions, Workstation};
use std::net::TcpListener;
use std::path::Path;

fn options() -> StartOptions {
    StartOptions { today: Some(TODAY), services: false }
}

/// A port nothing listens on: connecting to it is refused at once.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn type_into(h: &mut egui_kittest::Harness<'static, Workstation>, label: &str, text: &str) {
    type_into_as(h, Role::TextInput, label, text);
}

fn type_into_as(h: &mut egui_kittest::Harness<'static, Workstation>, role: Role, label: &str, text: &str) {
    h.get_by_role_and_label(role, label).click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(role, label).type_text(text);
    h.run_steps(2);
}

fn remembered(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(CHOICE_FILE)).expect("the choice is remembered")
}

#[test]
fn the_first_frame_says_connecting_before_the_store_is_open_and_a_failure_offers_the_ways_on() {
    // A «server» that takes the connection and never answers: the store cannot open until it hangs up.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let (hang_up, hung_up) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (socket, _) = server.accept().unwrap();
        hung_up.recv().ok();
        drop(socket);
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("host=127.0.0.1 port={port} user=marketer dbname=skvoz sslmode=disable");
    let location = Location::Postgres(Box::new(Database::parse(&url).unwrap()));
    let w = Workstation::new(dir.path(), Some(location), AppState::default(), options()).unwrap();
    let mut h = workstation(w);
    h.step();
    assert!(h.query_by_label("Подключение к базе…").is_some(), "the first frame says it connects");
    assert!(h.query_all_by_label("PostgreSQL: 127.0.0.1/skvoz, marketer").next().is_some(), "and where");
    assert!(h.state().window().is_none(), "the store is not open yet");

    hang_up.send(()).unwrap();
    holder.join().unwrap();
    workstation_until(&mut h, "the failure screen", |h| {
        h.query_by_label("Не удалось подключиться к базе данных").is_some()
    });
    assert!(h.query_by_label_contains("не отвечает").is_some(), "the reason, in Russian");
    assert!(h.query_by_role_and_label(Role::Button, "Повторить").is_some());
    h.get_by_role_and_label(Role::Button, "Подключение…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Подключение к базе данных").is_some(), "the dialog opened");
    // The dialog shows where the window tried to go.
    assert!(h.query_by_role_and_label(Role::TextInput, "Сервер").is_some());
    h.get_by_role_and_label(Role::Button, "Отмена").click();
    h.run_steps(2);
    assert!(h.query_by_label("Подключение к базе данных").is_none());

    // «Повторить» tries again: nobody listens now, so it fails again, with the same two ways on.
    h.get_by_role_and_label(Role::Button, "Повторить").click();
    h.step();
    workstation_until(&mut h, "the failure again", |h| {
        h.query_by_label("Не удалось подключиться к базе данных").is_some() && !h.state().is_busy()
    });
}

#[test]
fn the_dialog_remembers_the_server_without_the_password_and_switches() {
    let dir = tempfile::tempdir().unwrap();
    let w = Workstation::new(dir.path(), None, AppState::default(), options()).unwrap();
    let mut h = workstation(w);
    settle_workstation(&mut h);
    assert!(h.state().window().is_some(), "the embedded store opened");
    assert!(h.query_by_label("На этом компьютере").is_some(), "the status bar says where");

    h.get_by_label("Файл").click();
    h.run_steps(2);
    h.get_by_label("Подключение к базе…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Подключение к базе данных").is_some());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Подключение к базе данных").is_none(), "Esc closes the dialog");
    // The store's name in the status bar opens it too.
    h.get_by_role_and_label(Role::Button, "На этом компьютере").click();
    h.run_steps(2);
    assert!(h.query_by_label("Подключение к базе данных").is_some());
    h.get_by_label("Сервер PostgreSQL").click();
    h.run_steps(2);
    let port = closed_port();
    type_into(&mut h, "Сервер", "127.0.0.1");
    type_into(&mut h, "Порт", &port.to_string());
    type_into(&mut h, "База данных", "skvoz_team");
    type_into(&mut h, "Логин", "marketer");
    type_into_as(&mut h, Role::PasswordInput, "Пароль", "Тайна-42");

    // «Проверить» answers without leaving the store the window is on.
    h.get_by_role_and_label(Role::Button, "Проверить").click();
    workstation_until(&mut h, "the check's answer", |h| h.query_by_label_contains("не отвечает").is_some());
    assert!(h.state().window().is_some(), "still on this computer");
    assert!(!std::fs::exists(dir.path().join(CHOICE_FILE)).unwrap(), "a check remembers nothing");

    h.get_by_role_and_label(Role::Button, "Подключиться").click();
    workstation_until(&mut h, "the failure screen", |h| {
        h.query_by_label("Не удалось подключиться к базе данных").is_some()
    });
    assert_eq!(h.state().label(), "PostgreSQL: 127.0.0.1/skvoz_team, marketer");
    let text = remembered(dir.path());
    assert!(!text.contains("Тайна-42"), "the password is never written: {text}");
    assert!(!text.to_lowercase().contains("password"), "{text}");
    let choice: ConnectionChoice = serde_json::from_str(&text).unwrap();
    assert_eq!(choice.place, Place::Server);
    assert_eq!((choice.host.as_str(), choice.port), ("127.0.0.1", port));
    assert_eq!((choice.database.as_str(), choice.user.as_str()), ("skvoz_team", "marketer"));
    drop(h);

    // The next start goes where the dialog said; a URL on the command line wins for its run.
    let next = Workstation::new(dir.path(), None, AppState::default(), options()).unwrap();
    assert_eq!(next.label(), "PostgreSQL: 127.0.0.1/skvoz_team, marketer");
    drop(next);
    let url = format!("host=127.0.0.1 port={port} user=admin dbname=other sslmode=disable");
    let location = Location::Postgres(Box::new(Database::parse(&url).unwrap()));
    let cli = Workstation::new(dir.path(), Some(location), AppState::default(), options()).unwrap();
    assert_eq!(cli.label(), "PostgreSQL: 127.0.0.1/other, admin");
    drop(cli);

    // Back to this computer from the failure screen.
    let mut h = workstation(Workstation::new(dir.path(), None, AppState::default(), options()).unwrap());
    // Waits for the failure screen itself: the opening screen has a «Подключение…» button too, and a
    // click on it lands nowhere if the failure replaces that screen in between.
    workstation_until(&mut h, "the failure screen", |h| {
        h.query_by_label("Не удалось подключиться к базе данных").is_some()
    });
    h.get_by_role_and_label(Role::Button, "Подключение…").click();
    h.run_steps(2);
    h.get_by_label("На этом компьютере").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Подключиться").click();
    settle_workstation(&mut h);
    assert!(h.state().window().is_some(), "the embedded store opened again");
    assert_eq!(h.state().label(), "На этом компьютере");
    let choice: ConnectionChoice = serde_json::from_str(&remembered(dir.path())).unwrap();
    assert_eq!(choice.place, Place::Local);
    assert_eq!(choice.host, "127.0.0.1", "the server fields stay for the next switch");
}

#[test]
fn the_dialog_connects_to_a_team_database_and_the_next_start_goes_there_without_a_stored_password() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = runtime.block_on(pg::fresh_database()) else { return };
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let database = config.get_dbname().unwrap().to_string();
    let user = config.get_user().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut h = workstation(Workstation::new(dir.path(), None, AppState::default(), options()).unwrap());
    settle_workstation(&mut h);
    h.get_by_role_and_label(Role::Button, "На этом компьютере").click();
    h.run_steps(2);
    h.get_by_label("Сервер PostgreSQL").click();
    h.run_steps(2);
    type_into(&mut h, "Сервер", &host);
    type_into(&mut h, "Порт", &port);
    type_into(&mut h, "База данных", &database);
    type_into(&mut h, "Логин", &user);
    type_into_as(&mut h, Role::PasswordInput, "Пароль", "Тайна-42");
    h.get_by_role_and_label(Role::ComboBox, "Шифрование").click();
    h.run_steps(2);
    h.get_by_label("Без шифрования (disable)").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Проверить").click();
    workstation_until(&mut h, "the check's answer", |h| h.query_by_label_contains("Связь есть").is_some());

    h.get_by_role_and_label(Role::Button, "Подключиться").click();
    settle_workstation(&mut h);
    let label = format!("PostgreSQL: {host}/{database}, {user}");
    assert!(h.state().window().is_some_and(|w| w.is_team_mode()), "the window is on the team database");
    assert_eq!(h.state().label(), label);
    assert!(h.query_by_label(&label).is_some(), "the status bar says where");
    let text = remembered(dir.path());
    assert!(!text.contains("Тайна-42"), "the password is never written: {text}");
    drop(h);

    let mut h = workstation(Workstation::new(dir.path(), None, AppState::default(), options()).unwrap());
    settle_workstation(&mut h);
    assert!(h.state().window().is_some_and(|w| w.is_team_mode()), "the next start opened the team database");
    assert!(h.query_by_label(&label).is_some());
}

#[test]
fn a_server_that_does_not_answer_need_not_be_waited_for() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let (hang_up, hung_up) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (socket, _) = server.accept().unwrap();
        hung_up.recv().ok();
        drop(socket);
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("host=127.0.0.1 port={port} user=marketer dbname=skvoz sslmode=disable");
    let location = Location::Postgres(Box::new(Database::parse(&url).unwrap()));
    let mut h = workstation(Workstation::new(dir.path(), Some(location), AppState::default(), options()).unwrap());
    h.step();
    assert!(h.query_by_label("Подключение к базе…").is_some());
    h.get_by_role_and_label(Role::Button, "Подключение…").click();
    h.run_steps(2);
    h.get_by_label("На этом компьютере").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Подключиться").click();
    settle_workstation(&mut h);
    assert!(h.state().window().is_some(), "the embedded store opened while the server still hangs");

    // The abandoned attempt fails now; its answer changes nothing.
    hang_up.send(()).unwrap();
    holder.join().unwrap();
    workstation_until(&mut h, "the abandoned attempt's answer", |h| !h.state().is_connecting());
    settle_workstation(&mut h);
    assert!(h.state().window().is_some());
    assert_eq!(h.state().label(), "На этом компьютере");
    assert!(h.query_by_label("Не удалось подключиться к базе данных").is_none());
}
