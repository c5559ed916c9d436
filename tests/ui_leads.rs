//! The leads workspace driven through its UI on a real store: the template wizard, F9, the marker
//! button, the group change with undo, and the keyboard.

#[path = "support/screen_host.rs"]
mod screen_host;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use jiff::Timestamp;
use screen_host::settle;
use skvoz::app::ScreenHost;
use skvoz::domain::{
    Attraction, Lead, LeadSource, LeadSourceKind, LeadSourceType, Marker, Origin, Responsible, Role as UserRole,
};
#[path = "support/blocking.rs"]
mod blocking;
use blocking::BlockingStore;
use skvoz::ui::leads::{Clock, LeadsScreen};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Host = ScreenHost<LeadsScreen>;

const NOW: i64 = 1_795_000_000;

fn clock() -> Clock {
    let now = Timestamp::from_second(NOW).unwrap();
    Arc::new(move || now)
}

/// A store with the schema, one Roistat lead source and the given leads.
fn store_with(leads: Vec<Lead>) -> (tempfile::TempDir, BlockingStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    store.ensure_schema().unwrap();
    store
        .put(LeadSource {
            name: "Roistat".into(),
            kind: LeadSourceKind::CallTracking,
            source_type: LeadSourceType::Roistat,
            responsible: Some(Responsible::Role(UserRole::Manager)),
            use_leads: true,
            ..LeadSource::default()
        })
        .unwrap();
    store.add_leads(leads).unwrap();
    (dir, store)
}

fn lead(title: &str, minute: i64) -> Lead {
    let at = Timestamp::from_second(NOW - 86_400 + minute * 60).unwrap();
    Lead { created: at, updated: at, title: title.into(), origin: Origin::ProxyLead, ..Lead::default() }
}

fn harness_sized(store: &BlockingStore, size: [f32; 2]) -> Harness<'static, Host> {
    let screen = LeadsScreen::new(clock()).with_time_zone(jiff::tz::TimeZone::UTC);
    let host = ScreenHost::new(&store.handle(), screen).unwrap();
    let mut h =
        Harness::builder().with_size(size).build_ui_state(|ui: &mut egui::Ui, host: &mut Host| host.ui(ui), host);
    settle(&mut h);
    h
}

fn harness(store: &BlockingStore) -> Harness<'static, Host> {
    harness_sized(store, [1500.0, 950.0])
}

/// Steps frames until `label` shows (a change made outside the screen arrives by the change feed).
fn until_shown(h: &mut Harness<'_, Host>, label: &str) {
    let start = Instant::now();
    while h.query_by_label(label).is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "«{label}» never showed");
        h.state().bg.wait_for_event(Duration::from_millis(20));
        settle(h);
    }
}

fn user(id: u64, name: &str) -> skvoz::domain::User {
    skvoz::domain::User { id, name: name.into(), role: UserRole::Manager, ..Default::default() }
}

fn is_disabled(h: &Harness<'_, Host>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

fn type_into(h: &mut Harness<'_, Host>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    settle(h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, label).type_text(text);
    settle(h);
}

#[test]
fn wizard_creates_a_template_and_f9_copies_it() {
    let (_dir, store) = store_with(vec![lead("Заявка с сайта", 1), lead("Обратный звонок", 2)]);
    let mut h = harness(&store);
    settle(&mut h);
    h.get_by_label("Мастер шаблона").click();
    settle(&mut h);
    assert!(h.query_by_label("Шаг 1 из 4. Источник получения заявок").is_some());
    // The only Roistat source is picked already.
    assert!(!is_disabled(&h, "Далее"));
    h.get_by_label("Далее").click();
    settle(&mut h);
    assert!(h.query_by_label("Шаг 2 из 4. Roistat маркер").is_some());
    assert!(is_disabled(&h, "Далее"), "an empty marker cannot go on");

    type_into(&mut h, "Roistat маркер", "offline fair");
    assert!(!h.query_all_by_label_contains("не может содержать пробелы").collect::<Vec<_>>().is_empty());
    assert!(is_disabled(&h, "Далее"), "a marker with a space cannot go on");

    type_into(&mut h, "Roistat маркер", "offline/fair2026");
    assert!(h.query_by_label("Уровень 1: offline · Уровень 2: fair2026").is_some());
    assert!(!is_disabled(&h, "Далее"));
    h.get_by_label("Далее").click();
    settle(&mut h);
    assert!(h.query_by_label("Шаг 3 из 4. Шаблон и значения по умолчанию").is_some());
    assert_eq!(h.get_by_role_and_label(Role::TextInput, "Наименование шаблона").value().as_deref(), Some("Шаблон"));
    h.get_by_label("Далее").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("offline › fair2026").is_some(), "the summary shows the path in Roistat");
    h.get_by_label("Готово").click();
    settle(&mut h);

    let leads = store.all_leads().unwrap();
    let templates: Vec<&Lead> = leads.iter().filter(|l| l.is_template).collect();
    assert_eq!(templates.len(), 1);
    let template = templates[0].clone();
    assert_eq!(template.marker.as_ref().map(Marker::as_str), Some("offline/fair2026"));
    assert_eq!(template.title, "Шаблон");
    assert!(!template.is_exportable());
    assert!(h.query_by_label("Шаблон").is_none(), "the list does not show templates");
    assert!(h.query_by_label("Заявка с сайта").is_some());

    h.get_by_label("Шаблоны").click();
    settle(&mut h);
    assert!(h.query_by_label("Заявка с сайта").is_none());
    h.get_by_label("Шаблон").click();
    settle(&mut h);

    // F9 on the template opens an unsaved copy, as 1C does: nothing is written (nor exported)
    // before «Записать».
    h.key_press(egui::Key::F9);
    settle(&mut h);
    assert!(h.query_by_label("Новая заявка").is_some());
    assert_eq!(store.all_leads().unwrap().len(), 3, "an abandoned copy would reach Roistat");
    // Saved: a normal, exportable lead with the marker and a new number.
    h.get_by_label("Записать").click();
    settle(&mut h);
    let leads = store.all_leads().unwrap();
    assert_eq!(leads.len(), 4);
    let copy = leads.iter().max_by_key(|l| l.id).unwrap();
    assert!(!copy.is_template && copy.is_exportable());
    assert_eq!(copy.marker, template.marker);
    assert_ne!(copy.number, template.number);
    assert!(leads.iter().filter(|l| l.id != copy.id).all(|l| l.number != copy.number));
    assert_eq!(copy.created, Timestamp::from_second(NOW).unwrap());
    assert_eq!(copy.status_id, store.initial_status().unwrap());
    assert_eq!(copy.lead_source_id, template.lead_source_id);
    assert!(store.lead(template.id).unwrap().unwrap().is_template, "the template stays a template");
    assert!(h.query_by_label(&format!("Заявка № {}", copy.number)).is_some(), "the copy is open");
}

#[test]
fn add_marker_button_fills_it_from_the_source_of_attraction() {
    let mut seo = lead("Заявка с сайта", 1);
    seo.attraction = Attraction { channel: "seo".into(), source: "yandex".into(), campaign: String::new() };
    let (_dir, store) = store_with(vec![seo, lead("Обратный звонок", 2)]);
    let mut h = harness(&store);
    settle(&mut h);
    h.get_by_label("Заявка с сайта").click();
    settle(&mut h);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    h.get_by_label("Добавить Roistat маркер").click();
    settle(&mut h);
    let field = h.get_by_role_and_label(Role::TextInput, "Roistat маркер");
    assert_eq!(field.value().as_deref(), Some("seo_yandex"));
    assert!(h.query_by_label("Уровень 1: seo · Уровень 2: yandex").is_some());

    // An invalid marker refuses the save with a message.
    type_into(&mut h, "Roistat маркер", "seo yandex");
    h.get_by_label("Записать").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("Roistat маркер: Маркер не может содержать пробелы").is_some());
    assert!(store.all_leads().unwrap().iter().all(|l| l.marker.is_none()));

    type_into(&mut h, "Roistat маркер", "seo_yandex");
    h.get_by_label("Записать").click();
    settle(&mut h);
    let saved = store.all_leads().unwrap().into_iter().find(|l| l.title == "Заявка с сайта").unwrap();
    assert_eq!(saved.marker.as_ref().map(Marker::as_str), Some("seo_yandex"));
    assert!(saved.updated > lead("", 1).updated, "saving moves `updated` for the export");
}

#[test]
fn group_change_sets_a_field_on_the_selected_leads_and_undoes() {
    let (_dir, store) = store_with((1..=6).map(|i| lead(&format!("Заявка {i}"), i)).collect());
    let mut h = harness(&store);
    settle(&mut h);
    // Shift+click selects a range of the list (newest first: 4, 3, 2).
    h.get_by_label("Заявка 2").click();
    settle(&mut h);
    h.get_by_label("Заявка 4").click_modifiers(egui::Modifiers::SHIFT);
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 3);
    // A plain click starts again; Ctrl+click adds.
    h.get_by_label("Заявка 1").click();
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 1);
    h.get_by_label("Заявка 3").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut h);
    h.get_by_label("Заявка 5").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 3);
    h.get_by_label("Групповое изменение").click();
    settle(&mut h);
    type_into(&mut h, "Значение", "offline_fair");
    h.get_by_label("Изменить").click();
    settle(&mut h);
    assert!(h.query_by_label("Будет изменено заявок: 3. Изменение можно будет отменить.").is_some());
    h.get_by_label("Да").click();
    settle(&mut h);

    let marked = |store: &BlockingStore| {
        let mut titles: Vec<String> = store
            .all_leads()
            .unwrap()
            .into_iter()
            .filter(|l| l.marker.as_ref().map(Marker::as_str) == Some("offline_fair"))
            .map(|l| l.title)
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(marked(&store), vec!["Заявка 1", "Заявка 3", "Заявка 5"]);
    h.get_by_label("Колонки").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::CheckBox, "Roistat маркер").click();
    settle(&mut h);
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert_eq!(h.query_all_by_label("offline_fair").count(), 3, "the list shows the new marker");

    h.get_by_label("Отменить изменение").click();
    settle(&mut h);
    assert!(marked(&store).is_empty());
    assert!(store.all_leads().unwrap().iter().all(|l| l.marker.is_none()));
    assert!(h.query_by_label("Отменить изменение").is_none(), "one level of undo");
}

#[test]
fn insert_opens_a_new_lead_and_esc_asks_before_closing() {
    let (_dir, store) = store_with(vec![lead("Заявка с сайта", 1)]);
    let mut h = harness(&store);
    settle(&mut h);
    h.key_press(egui::Key::Insert);
    settle(&mut h);
    assert!(h.query_by_label("Новая заявка").is_some());
    type_into(&mut h, "Наименование", "Звонок с выставки");
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(h.query_by_label("Сохранить изменения?").is_some());
    h.get_by_label("Отмена").click();
    settle(&mut h);
    assert!(h.query_by_label("Сохранить изменения?").is_none());
    assert!(h.query_by_label("Новая заявка").is_some(), "Отмена keeps the form open");

    h.key_press(egui::Key::Escape);
    settle(&mut h);
    h.get_by_label("Да").click();
    settle(&mut h);
    assert!(h.query_by_label("Новая заявка").is_none(), "Да saves and closes");
    let leads = store.all_leads().unwrap();
    let added = leads.iter().find(|l| l.title == "Звонок с выставки").expect("saved");
    assert_eq!(added.origin, Origin::Manual);
    assert!(!added.is_template);
    assert!(h.query_by_label("Звонок с выставки").is_some(), "the list shows it");

    // An unchanged form closes without asking; Delete marks the selected lead, with undo.
    h.get_by_label("Звонок с выставки").click();
    settle(&mut h);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    assert!(h.query_by_label(&format!("Заявка № {}", added.number)).is_some());
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(h.query_by_label("Сохранить изменения?").is_none());
    assert!(h.query_by_label(&format!("Заявка № {}", added.number)).is_none());
    h.key_press(egui::Key::Delete);
    settle(&mut h);
    assert!(h.query_by_label(&format!("Пометить на удаление заявку № {}?", added.number)).is_some());
    assert!(!store.lead(added.id).unwrap().unwrap().deleted, "nothing happens before the answer");
    h.get_by_label("Да").click();
    settle(&mut h);
    assert!(store.lead(added.id).unwrap().unwrap().deleted);
    assert!(h.query_by_label("Звонок с выставки").is_none());
    h.get_by_label("Отменить изменение").click();
    settle(&mut h);
    assert!(!store.lead(added.id).unwrap().unwrap().deleted);

    // Ctrl+F puts the cursor into the search; typing filters the list.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    settle(&mut h);
    assert!(h.get_by_role_and_label(Role::TextInput, "Поиск").is_focused());
    h.get_by_role_and_label(Role::TextInput, "Поиск").type_text("выставк");
    settle(&mut h);
    assert_eq!(h.state().screen.visible_len(), 1);
    assert!(h.query_by_label("Заявка с сайта").is_none());
}

#[test]
fn wizard_creates_a_source_in_place_and_picks_a_known_marker() {
    use skvoz::domain::{DailyFact, Level};
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    store.ensure_schema().unwrap();
    let day = jiff::civil::Date::constant(2026, 11, 1);
    let fact = DailyFact {
        visits: 10,
        ..DailyFact::new(
            day,
            [
                Level::new("direct", "Яндекс.Директ"),
                Level::new("brand", "Брендовая кампания"),
                Level::new("ad1", "Объявление 1"),
            ],
        )
    };
    store.replace_facts(0, day, day, &[fact]).unwrap();
    let mut h = harness(&store);
    settle(&mut h);
    h.get_by_label("Мастер шаблона").click();
    settle(&mut h);
    assert!(is_disabled(&h, "Далее"), "no lead source yet");
    assert!(h.query_by_label("Выберите источник получения заявок типа Roistat или создайте его").is_some());
    h.get_by_label("Создать источник").click();
    settle(&mut h);
    let sources = store.list::<LeadSource>().unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].source_type, LeadSourceType::Roistat);
    assert!(!is_disabled(&h, "Далее"));
    h.get_by_label("Далее").click();
    settle(&mut h);
    h.get_by_label("Яндекс.Директ (direct)").click();
    settle(&mut h);
    h.get_by_label("Брендовая кампания — direct_brand").click();
    settle(&mut h);
    assert_eq!(h.get_by_role_and_label(Role::TextInput, "Roistat маркер").value().as_deref(), Some("direct_brand"));
    assert!(h.query_by_label("Уровень 1: direct · Уровень 2: brand").is_some());
    assert!(!is_disabled(&h, "Далее"));
}

#[test]
fn a_lead_that_arrives_while_the_screen_is_open_shows_up_with_its_client() {
    let (_dir, store) = store_with(vec![lead("Заявка с сайта", 1)]);
    let mut h = harness(&store);
    settle(&mut h);
    let contact = skvoz::domain::Contact {
        name: "Соколова Мария".into(),
        phone: "+7 901 555-44-33".into(),
        email: String::new(),
    };
    store.intake_lead(lead("Пойманный лид", 5), &contact).unwrap();
    until_shown(&mut h, "Соколова Мария");
    assert!(h.query_by_label("Пойманный лид").is_some());
    assert!(h.query_by_label("Соколова Мария").is_some());
    assert_eq!(h.state().screen.visible_len(), 2);
}

#[test]
fn arrows_move_through_the_list_and_enter_opens() {
    let (_dir, store) = store_with((1..=30).map(|i| lead(&format!("Заявка {i}"), i)).collect());
    let mut h = harness(&store);
    settle(&mut h);
    let number_of = |h: &Harness<'_, Host>| {
        let ids = h.state().screen.selection();
        assert_eq!(ids.len(), 1, "the current row is the selection");
        store.lead(ids[0]).unwrap().unwrap().title
    };
    // Newest first: the first ↓ takes the top row.
    h.key_press(egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 30");
    h.key_press(egui::Key::ArrowDown);
    h.key_press(egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 28");
    h.key_press(egui::Key::ArrowUp);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 29");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::End);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 1");
    h.key_press(egui::Key::PageUp);
    settle(&mut h);
    let after_page_up = number_of(&h);
    assert_ne!(after_page_up, "Заявка 1");
    assert_ne!(after_page_up, "Заявка 2", "PageUp moves by a screen, not a row");
    h.key_press(egui::Key::Home);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 30");
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowDown);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 3, "Shift+↓ stretches the selection");
    h.key_press(egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(number_of(&h), "Заявка 27");
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    let opened = store.lead(h.state().screen.open_lead_id().unwrap()).unwrap().unwrap();
    assert_eq!(opened.title, "Заявка 27");
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert_eq!(h.state().screen.open_lead_id(), None, "Esc returns to the list");
}

#[test]
fn delete_asks_and_never_reaches_a_row_the_filter_hides() {
    let (_dir, store) = store_with(vec![lead("Заявка с сайта", 1), lead("Обратный звонок", 2)]);
    let mut h = harness(&store);
    settle(&mut h);
    h.get_by_label("Заявка с сайта").click();
    settle(&mut h);
    h.get_by_label("Обратный звонок").click_modifiers(egui::Modifiers::COMMAND);
    settle(&mut h);
    assert_eq!(h.state().screen.selection().len(), 2);
    // «Нет» leaves both as they were.
    h.key_press(egui::Key::Delete);
    settle(&mut h);
    assert!(h.query_by_label("Пометить на удаление выделенные строки (2)?").is_some());
    h.get_by_label("Нет").click();
    settle(&mut h);
    assert!(store.all_leads().unwrap().iter().all(|l| !l.deleted));
    // A search hides one of the selected rows: it leaves the selection and Delete cannot reach it.
    type_into(&mut h, "Поиск", "звонок");
    assert_eq!(h.state().screen.selection().len(), 1);
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    h.get_by_label("Обратный звонок").click();
    settle(&mut h);
    h.key_press(egui::Key::Delete);
    settle(&mut h);
    h.get_by_label("Да").click();
    settle(&mut h);
    let leads = store.all_leads().unwrap();
    let deleted: Vec<&str> = leads.iter().filter(|l| l.deleted).map(|l| l.title.as_str()).collect();
    assert_eq!(deleted, vec!["Обратный звонок"]);
}

#[test]
fn phones_and_money_read_as_people_write_them_and_a_new_lead_is_mine() {
    let (_dir, store) = store_with(vec![lead("Заявка с сайта", 1)]);
    let contact =
        skvoz::domain::Contact {
            name: "Орлова Ирина".into(), phone: "89161234567".into(), email: String::new()
        };
    store.intake_lead(lead("Пойманный лид", 5), &contact).unwrap();
    let mut h = harness(&store);
    h.state_mut().screen.set_current_user(Some(&user(7, "Петрова Анна")));
    settle(&mut h);
    assert!(h.query_by_label("+7 916 123-45-67").is_some(), "the list shows the phone grouped");
    type_into(&mut h, "Поиск", "916 123 45");
    assert_eq!(h.state().screen.visible_len(), 1, "searched by digits");

    h.get_by_label("Пойманный лид").click();
    settle(&mut h);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    type_into(&mut h, "Выручка, руб.", "12 500,50");
    h.get_by_label("Записать").click();
    settle(&mut h);
    let saved = store.all_leads().unwrap().into_iter().find(|l| l.title == "Пойманный лид").unwrap();
    assert_eq!(saved.price, skvoz::domain::Money(1_250_050));
    let field = h.get_by_role_and_label(Role::TextInput, "Выручка, руб.");
    assert_eq!(field.value().as_deref(), Some("12\u{a0}500,50"), "the saved sum reads as it was typed");

    h.key_press(egui::Key::Escape);
    settle(&mut h);
    h.key_press(egui::Key::Insert);
    settle(&mut h);
    type_into(&mut h, "Наименование", "Звонок с выставки");
    h.get_by_label("Записать").click();
    settle(&mut h);
    let added = store.all_leads().unwrap().into_iter().find(|l| l.title == "Звонок с выставки").unwrap();
    assert_eq!(added.responsible, Some(Responsible::User(7)), "a new lead starts with its author responsible");
}

#[test]
fn the_list_fits_1280_pixels_and_filters_as_a_manager_works() {
    let mut mine = lead("Заявка с сайта", 1);
    mine.responsible = Some(Responsible::User(7));
    mine.attraction = Attraction { channel: "seo".into(), source: "yandex".into(), campaign: String::new() };
    let mut other = lead("Обратный звонок", 2);
    other.attraction = Attraction { channel: "direct".into(), source: "brand".into(), campaign: String::new() };
    let (_dir, store) = store_with(vec![mine, other]);
    // A 1280-pixel window less the navigation column.
    let mut h = harness_sized(&store, [1070.0, 700.0]);
    h.state_mut().screen.set_current_user(Some(&user(7, "Петрова Анна")));
    settle(&mut h);
    for header in ["Номер", "Дата", "Заявка", "Клиент", "Телефон", "Статус", "Ответственный", "Выручка, руб."]
    {
        let rect = h.get_by_label(header).rect();
        assert!(rect.max.x <= 1070.0, "«{header}» is cut off at {}", rect.max.x);
    }
    assert!(h.query_by_label("Roistat маркер").is_none(), "not a default column");

    // «Мои заявки», the channel and «Сбросить фильтры».
    h.get_by_label("Мои\u{a0}заявки").click();
    settle(&mut h);
    assert_eq!(h.state().screen.visible_len(), 1);
    assert!(h.query_by_label("Заявка с сайта").is_some());
    h.get_by_label("Сбросить фильтры").click();
    settle(&mut h);
    assert_eq!(h.state().screen.visible_len(), 2);
    h.get_by_label("Канал:").click();
    settle(&mut h);
    h.get_by_label("direct").click();
    settle(&mut h);
    assert_eq!(h.state().screen.visible_len(), 1);
    assert!(h.query_by_label("Обратный звонок").is_some());
    h.get_by_label("Сбросить фильтры").click();
    settle(&mut h);

    // A typed period: the day before the clock holds both leads, the clock's day none.
    h.get_by_label("Период:").click();
    settle(&mut h);
    h.get_by_label("Произвольный").click();
    settle(&mut h);
    let day = |offset: i64| {
        Timestamp::from_second(NOW + offset * 86_400)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%d.%m.%Y")
            .to_string()
    };
    type_into(&mut h, "с", &day(0));
    type_into(&mut h, "по", &day(0));
    assert_eq!(h.state().screen.visible_len(), 0);
    type_into(&mut h, "с", &day(-1));
    assert_eq!(h.state().screen.visible_len(), 2);
    h.get_by_label("Сбросить фильтры").click();
    settle(&mut h);

    // A column chosen in «Колонки» appears.
    h.get_by_label("Колонки").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::CheckBox, "Roistat маркер").click();
    settle(&mut h);
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    assert!(h.query_by_label("Roistat маркер").is_some());

    // At this width an open lead takes the screen instead of squeezing the list.
    h.get_by_label("Обратный звонок").click();
    settle(&mut h);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    assert!(h.query_by_label("К списку").is_some());
    assert!(h.query_by_label("Телефон").is_some_and(|n| n.accesskit_node().role() != Role::ColumnHeader));
    h.get_by_label("К списку").click();
    settle(&mut h);
    assert_eq!(h.state().screen.open_lead_id(), None);
    assert!(h.query_by_label("Выручка, руб.").is_some(), "the list is back");
}

#[test]
fn group_change_sets_the_responsible_and_warns_before_unpaying() {
    let (_dir, store) = store_with((1..=3).map(|i| lead(&format!("Заявка {i}"), i)).collect());
    let statuses = store.statuses().unwrap();
    let paid = statuses.iter().find(|s| s.group == skvoz::domain::StatusGroup::Paid).unwrap().clone();
    let before = store.all_leads().unwrap().into_iter().find(|l| l.title == "Заявка 1").unwrap();
    let first = skvoz::domain::Lead { status_id: Some(paid.id), ..before.clone() };
    store.edit_lead(&before, &first, "Петров").unwrap();
    let manager = store
        .put(skvoz::domain::User {
            name: "Петров Сергей".into(), role: UserRole::Manager, ..Default::default()
        })
        .unwrap();
    let mut h = harness(&store);
    settle(&mut h);
    h.get_by_label("Заявка 1").click();
    settle(&mut h);
    h.get_by_label("Заявка 3").click_modifiers(egui::Modifiers::SHIFT);
    settle(&mut h);
    h.get_by_label("Групповое изменение").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "Ответственный").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::ComboBox, "Ответственный").click();
    settle(&mut h);
    h.get_by_label("Петров Сергей").click();
    settle(&mut h);
    h.get_by_label("Изменить").click();
    settle(&mut h);
    assert!(h.query_by_label("Ответственным станет «Петров Сергей»").is_some(), "it says what it will set");
    assert!(h.query_by_label_contains("Оплачено выделенных заявок").is_none(), "no status change, no warning");
    h.get_by_label("Да").click();
    settle(&mut h);
    assert!(store.all_leads().unwrap().iter().all(|l| l.responsible == Some(Responsible::User(manager.id))));

    // A status that is not paid: the paid lead among the selection is named first.
    h.get_by_label("Групповое изменение").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "Статус").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::ComboBox, "Статус").click();
    settle(&mut h);
    h.get_by_label("В работе").click();
    settle(&mut h);
    h.get_by_label("Изменить").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("Оплачено выделенных заявок: 1.").is_some());
}

#[test]
fn the_lead_form_shows_who_changed_which_field_from_what_to_what() {
    let (_dir, store) = store_with(vec![lead("Окна деревянные", 1)]);
    let before = store.all_leads().unwrap().remove(0);
    let after = Lead { title: "Окна ПВХ".into(), ..before.clone() };
    store.edit_lead(&before, &after, "Петров").unwrap();
    let mut h = harness(&store);
    h.key_press(egui::Key::ArrowDown);
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    assert_eq!(h.state().screen.open_lead_id(), Some(before.id));
    h.get_by_label("История изменений").click();
    settle(&mut h);
    until_shown(&mut h, "Петров");
    // The edit, newest first, and the creation below it.
    for label in ["Когда", "Было", "Стало", "создана"] {
        assert!(h.query_by_label(label).is_some(), "«{label}» in the history");
    }
    let row = |label: &str| h.get_by_label(label).rect().min.y;
    assert!(row("Петров") < row("создана"), "the edit is above the creation");
    // The old title: what the edit changed from, and what the lead was created with.
    let old_title: Vec<f32> = h.query_all_by_label("Окна деревянные").map(|n| n.rect().min.y).collect();
    assert_eq!(old_title.len(), 2);
    assert!(old_title.contains(&row("Петров")), "from what, on the author's row");
}
