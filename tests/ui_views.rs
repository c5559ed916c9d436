//! The dashboard's view tabs in the window: the tabs, the caption (period, date basis, source of
//! the figures), the basis switch, recomputation when leads change, export of the shown view; and
//! the view table widget on a hand-made table (indentation, right-aligned numbers, totals, heat map).

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::{Timestamp, ToSpan};
use skvoz::app::{AppState, ExportFormat};
use skvoz::domain::{Attraction, Lead, Money, Origin};
use skvoz::report::views::{Basis, SOURCE_LEADS, View, ViewTable};
use skvoz::report::{Cell, fmt_date};
use skvoz::ui::Window;
use skvoz::ui::widgets::view_table::view_table_ui;
use std::io::Read;

/// A store with the schema (statuses) and a few leads of the last days, in two channels; no
/// Roistat figures.
fn store_with_leads() -> Setup {
    let setup = store(false);
    setup.store.ensure_schema().unwrap();
    let noon = TODAY.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::system()).unwrap().timestamp();
    let lead = |title: &str, channel: &str, days_ago: i64| {
        let at: Timestamp = noon - (days_ago * 24).hours();
        Lead {
            created: at,
            updated: at,
            title: title.into(),
            origin: Origin::ProxyLead,
            price: Money::from_rubles(15_000),
            attraction: Attraction { channel: channel.into(), source: "Поиск".into(), campaign: String::new() },
            ..Lead::default()
        }
    };
    setup
        .store
        .add_leads(vec![
            lead("Заявка 1", "Яндекс.Директ", 1),
            lead("Заявка 2", "Яндекс.Директ", 3),
            lead("Заявка 3", "ВКонтакте", 5),
        ])
        .unwrap();
    setup
}

fn tab(h: &mut Harness<'static, Window>, title: &str) {
    h.get_by_role_and_label(Role::Tab, title).click();
    wait(h);
}

/// The caption of the view on screen, each of its lines checked to be shown.
fn shown_caption(h: &Harness<'static, Window>, view: View) -> Vec<String> {
    let table = h.state().views.table_for(view).unwrap_or_else(|| panic!("«{}» is not on screen", view.title()));
    for line in &table.caption {
        assert!(has_label(h, line), "caption line «{line}» not shown");
    }
    table.caption.clone()
}

#[test]
fn view_tabs_say_their_period_basis_and_source() {
    let setup = store_with_leads();
    let mut h = harness(app(&setup, AppState::default()));
    for title in ["Сквозная аналитика", "Воронка", "Новые и повторные", "Менеджеры", "Когорты", "План / факт"]
    {
        assert!(h.query_by_role_and_label(Role::Tab, title).is_some(), "tab {title}");
    }
    // The default period: 30 days ending today (no Roistat figures to end earlier).
    let (from, to) = (TODAY.checked_sub(29.days()).unwrap(), TODAY);

    tab(&mut h, "Воронка");
    assert_eq!(h.state().state.view, Some(View::Funnel));
    let caption = shown_caption(&h, View::Funnel).join("\n");
    assert!(caption.contains("Воронка"), "{caption}");
    assert!(caption.contains(&fmt_date(from)) && caption.contains(&fmt_date(to)), "the period: {caption}");
    assert!(caption.contains("по дате заявки"), "the basis: {caption}");
    assert!(!caption.contains("по дате продажи"), "{caption}");
    assert!(caption.contains(SOURCE_LEADS), "the source of the figures: {caption}");

    click(&mut h, "по дате продажи");
    assert_eq!(h.state().state.basis, Basis::Sale);
    let caption = shown_caption(&h, View::Funnel).join("\n");
    assert!(caption.contains("по дате продажи") && !caption.contains("по дате заявки"), "{caption}");
    // By sale date the date may come from a field that holds it.
    let field = skvoz::domain::ExtraField {
        id: 0,
        name: "Дата оплаты".into(),
        dev_name: "paid_on".into(),
        kind: skvoz::domain::FieldKind::Text,
        service: false,
    };
    setup.store.run(setup.store.handle().put(field)).unwrap();
    until(&mut h, "the field among the lists", |h| {
        h.state().lists.extra_fields.iter().any(|f| f.dev_name == "paid_on")
    });
    h.get_by_role_and_label(Role::ComboBox, "Дата продажи: первый переход в «Оплачен»").click();
    h.run_steps(2);
    click(&mut h, "Дата оплаты");
    assert_eq!(h.state().state.sale_field.as_deref(), Some("paid_on"));
    let caption = shown_caption(&h, View::Funnel).join("\n");
    assert!(caption.contains("(дата из поля «paid_on»)"), "{caption}");

    // The dashboard's period applies to the views.
    click(&mut h, "7 дней");
    let week_from = TODAY.checked_sub(6.days()).unwrap();
    let caption = shown_caption(&h, View::Funnel).join("\n");
    assert!(caption.contains(&fmt_date(week_from)), "the new period: {caption}");

    // Every view says where its figures come from and offers the basis (a cohort's revenue falls in
    // the month of the lead or of the sale).
    for view in View::ALL {
        tab(&mut h, view.title());
        let caption = shown_caption(&h, view).join("\n");
        assert!(caption.contains(SOURCE_LEADS), "«{}»: {caption}", view.title());
        let switch = h.query_by_role_and_label(Role::Button, "по дате продажи").is_some();
        assert!(switch, "the basis switch on «{}»", view.title());
    }

    // Back to the ROI table: without Roistat figures, its empty state.
    tab(&mut h, "Сквозная аналитика");
    assert_eq!(h.state().state.view, None);
    assert!(h.query_by_role_and_label(Role::Button, "Загрузить демо-данные").is_some());
}

#[test]
fn a_view_is_computed_again_when_leads_change() {
    let setup = store_with_leads();
    let mut h = harness(app(&setup, AppState { view: Some(View::Managers), ..AppState::default() }));
    shown_caption(&h, View::Managers);
    let before = h.state().views.generation;
    let at = Timestamp::now();
    setup.store.add_lead(Lead { created: at, updated: at, title: "Новая".into(), ..Lead::default() }).unwrap();
    until(&mut h, "the view computed again", |h| h.state().views.generation > before && !h.state().views.loading);
    shown_caption(&h, View::Managers);
}

#[test]
fn the_roi_tab_says_its_figures_are_roistats_and_a_view_exports_with_its_caption() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    assert!(has_label(&h, skvoz::ui::dashboard::SOURCE_ROISTAT));

    tab(&mut h, "Воронка");
    let caption = shown_caption(&h, View::Funnel);
    assert!(!has_label(&h, skvoz::ui::dashboard::SOURCE_ROISTAT), "the view's figures are not Roistat's");
    click(&mut h, "Выгрузить в CSV");
    assert!(h.query_by_label_contains("Отчёт сохранён").is_some());
    let csv = std::fs::read_to_string(setup.dir.path().join("report.csv")).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(lines[..caption.len()], caption.iter().map(String::as_str).collect::<Vec<_>>()[..], "{csv}");
    assert!(lines[caption.len()].starts_with("Уровень;"), "the table's header after the caption: {csv}");

    click(&mut h, "Выгрузить в Excel");
    let file = std::fs::File::open(setup.dir.path().join("report.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml").unwrap().read_to_string(&mut strings).unwrap();
    for line in &caption {
        assert!(strings.contains(line.as_str()), "«{line}» inside the file");
    }

    // A file name is never a folder path: «План / факт» is saved as «План - факт …».
    tab(&mut h, "План / факт");
    let name = h.state().export_file_name(ExportFormat::Xlsx);
    assert!(name.starts_with("План - факт ") && name.ends_with(".xlsx") && !name.contains('/'), "{name}");
}

#[test]
fn the_view_table_indents_levels_aligns_numbers_and_totals() {
    let table = sample_view_table();
    let mut h = Harness::builder().with_size([900.0, 400.0]).build_ui(move |ui| {
        skvoz::ui::fonts::install(ui.ctx());
        view_table_ui(ui, &table);
    });
    h.run_steps(3);
    for text in ["Когорты за 01.06.2026 — 30.11.2026", SOURCE_LEADS, "Когорта", "Клиенты", "Месяц 2", "Итого"]
    {
        assert!(h.query_by_label(text).is_some(), "{text}");
    }
    // A source sits indented under its cohort.
    let month = h.get_by_label("Июнь 2026").rect();
    let channel = h.get_by_label("Яндекс.Директ").rect();
    assert!(channel.min.x > month.min.x + 10.0, "indented: {channel:?} under {month:?}");
    assert!(channel.min.y > month.min.y);
    // Numbers right-aligned: figures of different widths end at the same edge.
    let big = h.get_by_label(&skvoz::report::fmt_money(Money::from_rubles(480_000))).rect();
    let small = h.get_by_label(&skvoz::report::fmt_money(Money::from_rubles(210_000))).rect();
    assert!((big.max.x - small.max.x).abs() < 1.0, "{big:?} {small:?}");
    let wide = h.get_by_label("12").rect();
    let narrow = h.get_by_label("7").rect();
    assert!((wide.max.x - narrow.max.x).abs() < 1.0 && wide.width() > narrow.width());
    // The totals line under the rows, its figures in it.
    let total = h.get_by_label("Итого").rect();
    assert!(total.min.y > h.get_by_label("Июль 2026").rect().min.y);
    let total_sum = h.get_by_label(&skvoz::report::fmt_money(Money::from_rubles(690_000))).rect();
    assert!((total_sum.center().y - total.center().y).abs() < 4.0);
    assert!(h.query_by_label("меньше").is_some() && h.query_by_label("больше").is_some(), "the heat map's legend");
}

#[test]
fn an_empty_view_says_so_under_its_caption() {
    let totals = vec![Cell::Count(0), Cell::Money(Some(Money(0))), Cell::Money(Some(Money(0))), Cell::Money(None)];
    let table = ViewTable { rows: Vec::new(), totals, heat_map: false, ..sample_view_table() };
    let mut h = Harness::builder().with_size([900.0, 300.0]).build_ui(move |ui| view_table_ui(ui, &table));
    h.run_steps(2);
    assert!(h.query_by_label(SOURCE_LEADS).is_some());
    assert!(h.query_by_label("За выбранный период заявок нет").is_some());
    assert!(h.query_by_label("Итого").is_none());
}
