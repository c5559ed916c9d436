//! The window on a team database, signed in as a person: the login decides who works at the
//! window and in which role, and the pages are those the role may use (PostgreSQL refuses the rest
//! anyway).

mod common;
#[path = "support/pg.rs"]
mod pg;

use common::{FolderPicker, TODAY, harness, until};
use egui_kittest::kittest::Queryable;
use skvoz::app::{App, AppOptions, AppState, Page};
use skvoz::domain::{Lead, Secret};
use skvoz::store::{Database, Store, TeamRole};

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
}
