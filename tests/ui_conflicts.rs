//! Saves without lost updates, driven through the leads workspace on a real store: what Roistat
//! adds while a form is open survives «Записать», a group change and its undo; undo leaves a later
//! change by someone else; a change of the same field shows who made it, with «Обновить» and
//! «Записать поверх».

#[path = "support/screen_host.rs"]
mod screen_host;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::Timestamp;
use screen_host::settle;
use skvoz::app::ScreenHost;
use skvoz::domain::{Comment, Lead, LeadEdit, LeadId, LeadValue, Marker, Money, Origin, Role as UserRole, User};
use skvoz::store::Store;
use skvoz::ui::leads::LeadsScreen;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Host = ScreenHost<LeadsScreen>;
type H = Harness<'static, Host>;

const NOW: i64 = 1_795_000_000;

struct Setup {
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    store: Store,
    ids: Vec<LeadId>,
}

impl Setup {
    fn new(titles: &[&str]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = rt.block_on(Store::open_embedded(dir.path())).unwrap();
        rt.block_on(store.ensure_schema()).unwrap();
        let at = Timestamp::from_second(NOW - 86_400).unwrap();
        let leads = titles
            .iter()
            .map(|t| Lead {
                created: at,
                updated: at,
                title: t.to_string(),
                origin: Origin::ProxyLead,
                ..Lead::default()
            })
            .collect();
        let ids = rt.block_on(store.add_leads(leads)).unwrap().into_iter().map(|l| l.id).collect();
        Setup { _dir: dir, rt, store, ids }
    }

    fn lead(&self, id: LeadId) -> Lead {
        self.rt.block_on(self.store.lead(id)).unwrap().unwrap()
    }

    /// What the HTTP service does on Roistat's `action=message`.
    fn roistat_comment(&self, id: LeadId, text: &str) {
        let comment = Comment { at: Timestamp::now(), title: "Roistat".into(), text: text.into(), from_roistat: true };
        self.rt.block_on(self.store.append_comment(id, comment, "Roistat")).unwrap();
    }

    /// Another person saves a field of the lead in their own window.
    fn someone_sets(&self, id: LeadId, by: &str, value: LeadValue) {
        let before = self.lead(id);
        self.rt
            .block_on(self.store.change_lead(id, Some(before.version), vec![LeadEdit::set(&before, value)], by))
            .unwrap();
    }

    fn harness(&self) -> H {
        let now = Timestamp::from_second(NOW).unwrap();
        let screen = LeadsScreen::new(Arc::new(move || now)).with_time_zone(jiff::tz::TimeZone::UTC);
        let host = ScreenHost::new(&self.store, screen).unwrap();
        let mut h = Harness::builder()
            .with_size([1500.0, 950.0])
            .build_ui_state(|ui: &mut egui::Ui, host: &mut Host| host.ui(ui), host);
        let me = User { id: 7, name: "Петрова Анна".into(), role: UserRole::Manager, ..User::default() };
        h.state_mut().screen.set_current_user(Some(&me));
        settle(&mut h);
        h
    }
}

/// Steps frames until a label containing `text` shows.
fn until_shown(h: &mut H, text: &str) {
    let start = Instant::now();
    while h.query_by_label_contains(text).is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "«{text}» never showed");
        h.state().bg.wait_for_event(Duration::from_millis(20));
        settle(h);
    }
}

fn type_into(h: &mut H, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    settle(h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    settle(h);
}

fn field(h: &H, label: &str) -> Option<String> {
    h.get_by_role_and_label(Role::TextInput, label).value()
}

fn open(h: &mut H, title: &str) {
    h.get_by_label(title).click();
    settle(h);
    h.key_press(egui::Key::Enter);
    settle(h);
}

#[test]
fn a_roistat_comment_that_arrives_while_the_form_is_open_survives_the_save() {
    let s = Setup::new(&["Заявка с сайта"]);
    let id = s.ids[0];
    let mut h = s.harness();
    open(&mut h, "Заявка с сайта");
    type_into(&mut h, "Выручка, руб.", "15 000");

    s.roistat_comment(id, "Клиент перезвонит в пятницу");
    h.get_by_label("Записать").click();
    settle(&mut h);

    let saved = s.lead(id);
    assert_eq!(saved.price, Money::from_rubles(15_000), "the user's edit is stored");
    assert_eq!(saved.comments.len(), 1, "Roistat's comment survives the save");
    assert_eq!(saved.comments[0].text, "Клиент перезвонит в пятницу");
    assert_eq!(saved.changed_by, "Петрова Анна");
    assert!(h.query_by_label("Клиент перезвонит в пятницу").is_some(), "the form shows the lead as stored");
    assert!(h.query_by_label_contains("записана").is_some());
}

#[test]
fn a_group_change_and_its_undo_keep_roistat_comments() {
    let s = Setup::new(&["Заявка 1", "Заявка 2", "Заявка 3"]);
    let mut h = s.harness();
    h.get_by_label("Заявка 1").click();
    settle(&mut h);
    h.get_by_label("Заявка 3").click_modifiers(egui::Modifiers::SHIFT);
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 3);
    h.get_by_label("Групповое изменение").click();
    settle(&mut h);
    type_into(&mut h, "Значение", "offline_fair");
    h.get_by_label("Изменить").click();
    settle(&mut h);
    // Roistat comments on one of the three while the dialog asks.
    s.roistat_comment(s.ids[1], "Звонок с выставки");
    h.get_by_label("Да").click();
    settle(&mut h);
    for id in &s.ids {
        assert_eq!(s.lead(*id).marker.as_ref().map(Marker::as_str), Some("offline_fair"));
    }
    assert_eq!(s.lead(s.ids[1]).comments.len(), 1, "the comment survives the group change");

    // Another comment after the change: the undo takes back the marker, not the comment.
    s.roistat_comment(s.ids[2], "Просит счёт");
    h.get_by_label("Отменить изменение").click();
    settle(&mut h);
    for id in &s.ids {
        assert!(s.lead(*id).marker.is_none(), "undone");
    }
    assert_eq!(s.lead(s.ids[1]).comments.len(), 1);
    assert_eq!(s.lead(s.ids[2]).comments.len(), 1, "the comment survives the undo");
    assert!(h.query_by_label_contains("заявок возвращено 3").is_some());
}

#[test]
fn undo_leaves_a_later_change_by_someone_else_and_says_so() {
    let s = Setup::new(&["Заявка 1", "Заявка 2", "Заявка 3"]);
    let mut h = s.harness();
    h.get_by_label("Заявка 1").click();
    settle(&mut h);
    h.get_by_label("Заявка 3").click_modifiers(egui::Modifiers::SHIFT);
    settle(&mut h);
    h.get_by_label("Групповое изменение").click();
    settle(&mut h);
    type_into(&mut h, "Значение", "offline_fair");
    h.get_by_label("Изменить").click();
    settle(&mut h);
    h.get_by_label("Да").click();
    settle(&mut h);

    let theirs = Marker::parse_source("seo_yandex").unwrap();
    s.someone_sets(s.ids[0], "Иванов Пётр", LeadValue::Marker(Some(theirs.clone())));
    h.get_by_label("Отменить изменение").click();
    settle(&mut h);
    assert_eq!(s.lead(s.ids[0]).marker, Some(theirs), "undo does not revert someone else's later change");
    assert!(s.lead(s.ids[1]).marker.is_none());
    assert!(s.lead(s.ids[2]).marker.is_none());
    assert!(h.query_by_label_contains("заявок возвращено 2; пропущено 1").is_some(), "the skipped row is reported");
}

#[test]
fn a_conflict_on_the_same_field_says_who_and_offers_refresh_and_overwrite() {
    let s = Setup::new(&["Заявка с сайта"]);
    let id = s.ids[0];
    let mut h = s.harness();
    open(&mut h, "Заявка с сайта");
    type_into(&mut h, "Наименование", "Окна ПВХ, 3 шт.");
    type_into(&mut h, "Выручка, руб.", "42 000");

    s.someone_sets(id, "Иванов Пётр", LeadValue::Title("Окна ПВХ".into()));
    h.get_by_label("Записать").click();
    settle(&mut h);
    let theirs = s.lead(id);
    let when = theirs.updated.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M");
    let said = format!("Заявку № {} изменил Иванов Пётр в {when}", theirs.number);
    assert!(h.query_by_label_contains(&said).is_some(), "who and when: {said}");
    assert!(h.query_by_label("Обновить").is_some() && h.query_by_label("Записать поверх").is_some());
    let stored = s.lead(id);
    assert_eq!((stored.title.as_str(), stored.price), ("Окна ПВХ", Money::ZERO), "nothing of the form is written");

    // «Обновить»: the other's title, the user's own sum (a field nobody else changed).
    h.get_by_label("Обновить").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("изменил Иванов Пётр").is_none());
    assert_eq!(field(&h, "Наименование").as_deref(), Some("Окна ПВХ"));
    assert_eq!(field(&h, "Выручка, руб.").as_deref(), Some("42\u{a0}000"));
    h.get_by_label("Записать").click();
    settle(&mut h);
    let stored = s.lead(id);
    assert_eq!((stored.title.as_str(), stored.price), ("Окна ПВХ", Money::from_rubles(42_000)));

    // A second conflict, answered with «Записать поверх»: the user's value wins.
    type_into(&mut h, "Наименование", "Окна ПВХ и двери");
    s.someone_sets(id, "Иванов Пётр", LeadValue::Title("Окна и подоконники".into()));
    h.get_by_label("Записать").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("изменил Иванов Пётр").is_some());
    assert!(!h.get_by_label("Записать поверх").accesskit_node().is_disabled());
    h.get_by_label("Записать поверх").click();
    settle(&mut h);
    let stored = s.lead(id);
    assert_eq!(stored.title, "Окна ПВХ и двери");
    assert_eq!(stored.changed_by, "Петрова Анна");
    assert!(h.query_by_label_contains("изменил Иванов Пётр").is_none());
    until_shown(&mut h, "записана");
}

#[test]
fn compare_shows_the_fields_both_changed_side_by_side() {
    let s = Setup::new(&["Заявка с сайта"]);
    let id = s.ids[0];
    let mut h = s.harness();
    open(&mut h, "Заявка с сайта");
    type_into(&mut h, "Наименование", "Окна ПВХ, 3 шт.");
    type_into(&mut h, "Выручка, руб.", "42 000");
    // The other person changed the title (which this form changed too) and the sum is left alone.
    s.someone_sets(id, "Иванов Пётр", LeadValue::Title("Окна деревянные".into()));
    h.get_by_label("Записать").click();
    settle(&mut h);
    assert!(h.query_by_label("Ваше значение").is_none(), "closed until asked");
    // The list may show the stored title too: count labels before and after.
    let count = |h: &H, text: &str| h.query_all_by_label(text).count();
    let (mine_before, theirs_before, name_before, sum_before) = (
        count(&h, "Окна ПВХ, 3 шт."),
        count(&h, "Окна деревянные"),
        count(&h, "Наименование"),
        count(&h, "Выручка, руб."),
    );

    h.get_by_label("Сравнить").click();
    settle(&mut h);
    assert!(h.query_by_label("Ваше значение").is_some());
    assert!(h.query_by_label("Записал Иванов Пётр").is_some());
    // One row, the title: the form's value beside the stored one. The sum only this form
    // changed, so it is no clash.
    assert_eq!(count(&h, "Наименование"), name_before + 1);
    assert_eq!(count(&h, "Окна ПВХ, 3 шт."), mine_before + 1, "the form's value");
    assert_eq!(count(&h, "Окна деревянные"), theirs_before + 1, "the stored value");
    assert_eq!(count(&h, "Выручка, руб."), sum_before, "the sum is no clash");

    // A second click closes it; nothing was written meanwhile.
    h.get_by_label("Сравнить").click();
    settle(&mut h);
    assert!(h.query_by_label("Ваше значение").is_none());
    assert_eq!(s.lead(id).title, "Окна деревянные");
}
