//! The window on a team database that goes away and comes back (its own test binary: it stops
//! the harness's PostgreSQL). The window keeps what it shows, lights «Нет связи с базой», a save
//! fails with a clear message and keeps what was typed, and once the server is back the light goes
//! out by itself and the same save lands.

mod common;
#[path = "support/pg.rs"]
mod pg;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use skvoz::app::{AppState, Page};
use skvoz::store::{Database, Location, Store};
use skvoz::ui::{StartOptions, Workstation};

const OFFLINE: &str = "● Нет связи с базой";
const TITLE: &str = "Звонок во время обрыва";

#[test]
fn an_outage_lights_the_status_bar_keeps_the_form_and_the_save_lands_after_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(config) = runtime.block_on(pg::fresh_database()) else { return };
    let url = pg::url(&config);
    let dir = tempfile::tempdir().unwrap();
    let location = Location::Postgres(Box::new(Database::parse(&url).unwrap()));
    let state = AppState { page: Page::Leads, ..AppState::default() };
    let w = Workstation::new(dir.path(), Some(location), state, StartOptions { today: Some(TODAY), services: false })
        .unwrap();
    let mut h = workstation(w);
    settle_workstation(&mut h);
    assert!(h.state().window().is_some(), "the team database opened");
    let label = h.state().label().to_string();
    assert!(label.starts_with("PostgreSQL: ") && label.ends_with(", skvoz"), "{label}");
    assert!(h.query_by_label(&label).is_some(), "the status bar says where");
    assert!(h.query_by_label(OFFLINE).is_none());

    // A new lead, typed and not yet saved.
    h.get_by_role_and_label(Role::Button, "Заявки").click();
    settle_workstation(&mut h);
    h.key_press(egui::Key::Insert);
    settle_workstation(&mut h);
    h.get_by_role_and_label(Role::TextInput, "Наименование").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "Наименование").type_text(TITLE);
    h.run_steps(2);

    if !pg::stop() {
        eprintln!("сервер PostgreSQL задан через PGHOST: обрыв связи не проверен");
        return;
    }
    workstation_until(&mut h, "the red light", |h| h.query_by_label(OFFLINE).is_some());
    assert!(h.query_by_label(&label).is_some(), "the status bar still says where");

    h.get_by_role_and_label(Role::Button, "Записать").click();
    workstation_until(&mut h, "the save's failure", |h| {
        h.query_by_label_contains("Заявка не записана: нет связи с базой данных").is_some()
    });
    let typed = h.get_by_role_and_label(Role::TextInput, "Наименование").accesskit_node().value();
    assert_eq!(typed.as_deref(), Some(TITLE), "what was typed is still in the form");

    assert!(pg::start());
    workstation_until(&mut h, "the light to go out", |h| h.query_by_label(OFFLINE).is_none());
    settle_workstation(&mut h);
    h.get_by_role_and_label(Role::Button, "Записать").click();
    workstation_until(&mut h, "the save", |h| h.query_by_label_contains("нет связи").is_none() && !h.state().is_busy());

    let store = runtime.block_on(Store::open_postgres(&Database::from_config(config))).unwrap();
    let leads = runtime.block_on(store.all_leads()).unwrap();
    assert_eq!(leads.iter().filter(|l| l.title == TITLE).count(), 1, "the lead landed once");
}
