//! The dashboard on the demo data: cards, period presets, drill-down, sorting, channel filter, export.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use jiff::ToSpan;
use skvoz::app::AppState;
use skvoz::report::{Grouping, Query, Report, fmt_count, fmt_money, fmt_percent, fmt_ratio_money};
use skvoz::ui::Window;
use std::io::Read;

fn expected(setup: &Setup, days: i32, channel: Option<&str>) -> Report {
    let from = TODAY.checked_sub((days - 1).days()).unwrap();
    let query = Query { channel: channel.map(String::from), ..Query::new(from, TODAY, Grouping::Channel) };
    setup.store.run(skvoz::app::report(&setup.store.handle(), &query)).unwrap()
}

fn assert_cards(h: &egui_kittest::Harness<'static, Window>, r: &Report) {
    let f = &r.totals.figures;
    for label in [
        format!("Визиты: {}", fmt_count(f.visits)),
        format!("Заявки: {}", fmt_count(f.leads)),
        format!("Продажи: {}", fmt_count(f.sales)),
        format!("Выручка: {}", fmt_money(f.revenue)),
        format!("Расходы: {}", fmt_money(f.cost)),
        format!("Прибыль: {}", fmt_money(f.profit())),
        format!("CPL: {}", fmt_ratio_money(f.cpl())),
        format!("ROI: {}", fmt_percent(f.roi())),
    ] {
        assert!(has_label(h, &label), "card {label} not shown");
    }
}

/// The channel rows' titles in the order the table shows them (top to bottom).
fn shown_channels(h: &egui_kittest::Harness<'static, Window>, r: &Report) -> Vec<String> {
    let mut shown: Vec<(f32, String)> = r
        .rows
        .iter()
        .filter_map(|row| {
            let (closed, open) = (format!("▶ {}", row.title), format!("▼ {}", row.title));
            let y = h.query_by_label(&closed).or_else(|| h.query_by_label(&open))?.rect().min.y;
            Some((y, row.title.clone()))
        })
        .collect();
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    shown.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn cards_presets_drill_down_and_sorting() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));

    // The default: 30 days ending at the last fact (today in the demo data).
    let month = expected(&setup, 30, None);
    assert_cards(&h, &month);

    click(&mut h, "7 дней");
    let week = expected(&setup, 7, None);
    assert_ne!(week.totals.figures.visits, month.totals.figures.visits);
    assert_cards(&h, &week);
    assert!(has_label(
        &h,
        &format!("{} — {}", skvoz::report::fmt_date(week.query.from), skvoz::report::fmt_date(TODAY))
    ));

    // Drill-down: a channel's sources appear under it.
    let direct = week.rows.iter().find(|r| r.key == "direct").unwrap();
    let source = &direct.children[0].title;
    assert!(!has_label(&h, &format!("▶ {source}")));
    click(&mut h, &format!("▶ {}", direct.title));
    for s in &direct.children {
        assert!(has_label(&h, &format!("▶ {}", s.title)), "source {} not shown", s.title);
    }
    assert!(has_label(&h, &format!("▼ {}", direct.title)));

    // Sorting: by visits (descending on first click), then by cost, then cost ascending.
    click(&mut h, "Сортировать: Визиты");
    let mut by_visits = week.rows.clone();
    by_visits.sort_by_key(|r| std::cmp::Reverse(r.figures.visits));
    assert_eq!(shown_channels(&h, &week), by_visits.iter().map(|r| r.title.clone()).collect::<Vec<_>>());
    click(&mut h, "Сортировать: Расходы");
    let mut by_cost = week.rows.clone();
    by_cost.sort_by(|a, b| b.figures.cost.cmp(&a.figures.cost).then(a.title.cmp(&b.title)));
    assert_eq!(shown_channels(&h, &week), by_cost.iter().map(|r| r.title.clone()).collect::<Vec<_>>());
    click(&mut h, "Сортировать: Расходы");
    by_cost.sort_by(|a, b| a.figures.cost.cmp(&b.figures.cost).then(a.title.cmp(&b.title)));
    assert_eq!(shown_channels(&h, &week), by_cost.iter().map(|r| r.title.clone()).collect::<Vec<_>>());
}

#[test]
fn channel_filter_changes_cards_and_table() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    let all = expected(&setup, 30, None);
    let vk = expected(&setup, 30, Some("vk"));
    assert!(has_label(&h, "▶ Яндекс.Директ"));

    h.get_by_label("Канал: Все каналы").click();
    h.run_ok();
    h.get_by_role_and_label(egui::Role::Button, "ВКонтакте").click();
    wait(&mut h);

    assert!(has_label(&h, "Канал: ВКонтакте"));
    assert_ne!(vk.totals.figures, all.totals.figures);
    assert_cards(&h, &vk);
    assert!(has_label(&h, "▶ ВКонтакте"));
    assert!(!has_label(&h, "▶ Яндекс.Директ"));
    assert!(!has_label(&h, "▶ Google Ads"));
    // The totals row matches the filtered cards.
    assert!(h.query_all_by_label(&fmt_count(vk.totals.figures.visits)).count() >= 2);
}

#[test]
fn export_csv_and_xlsx_through_the_picker() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    let r = expected(&setup, 30, None);

    click(&mut h, "Выгрузить в CSV");
    let csv = std::fs::read_to_string(setup.dir.path().join("report.csv")).unwrap();
    // What the figures are, then the table.
    assert!(csv.starts_with(&format!("\u{feff}{}\n", r.caption())), "{}", csv.lines().next().unwrap_or(""));
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert!(lines[0].starts_with("Уровень;Канал;Источник;Кампания;Визиты;Заявки;Продажи;Выручка, ₽;Расходы, ₽"));
    // Every channel, source and campaign, plus header and totals.
    assert_eq!(lines.len(), skvoz::report::flatten(&r.rows).len() + 2);
    for row in &r.rows {
        let line = format!(
            "1;{};;;{};{};{};{};{}",
            row.title,
            row.figures.visits,
            row.figures.leads,
            row.figures.sales,
            row.figures.revenue.to_decimal_string().replace('.', ","),
            row.figures.cost.to_decimal_string().replace('.', ",")
        );
        assert!(lines.iter().any(|l| l.starts_with(&line)), "no line {line}");
    }
    let f = &r.totals.figures;
    let total = format!(";Итого;;;{};{};{};", f.visits, f.leads, f.sales);
    assert!(lines.last().unwrap().starts_with(&total), "{}", lines.last().unwrap());
    assert!(h.query_by_label_contains("Отчёт сохранён").is_some());

    click(&mut h, "Выгрузить в Excel");
    let file = std::fs::File::open(setup.dir.path().join("report.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    let strings = read("xl/sharedStrings.xml");
    let sheet = read("xl/worksheets/sheet1.xml");
    assert!(strings.contains("Итого") && strings.contains("Яндекс.Директ") && strings.contains("Визиты"));
    assert!(strings.contains(&r.caption()), "the period is written inside the file");
    let styles = read("xl/styles.xml");
    assert!(styles.contains("#,##0.00\\ &quot;₽&quot;"), "money in a format Excel localises: {styles}");
    // Numbers are numbers: the totals' visits and cost as cell values.
    assert!(sheet.contains(&format!("<v>{}</v>", f.visits)), "total visits not in the sheet");
    assert!(sheet.contains(&format!("<v>{}</v>", f.cost.as_f64_rubles())), "total cost not in the sheet");
}

#[test]
fn custom_period_from_the_calendar() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    click(&mut h, "Произвольный");
    // The custom period starts as what was on screen: the 30 days.
    assert!(h.query_by_role_and_label(egui::Role::Button, "по 24.11.2026").is_some());
    h.get_by_role_and_label(egui::Role::Button, "с 26.10.2026").click();
    h.run_ok();
    assert!(has_label(&h, "Октябрь 2026"));
    for day in ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"] {
        assert!(has_label(&h, day), "{day}");
    }
    h.get_by_role_and_label(egui::Role::Button, "1").click();
    wait(&mut h);
    assert!(h.query_by_role_and_label(egui::Role::Button, "с 01.10.2026").is_some());
    let query = Query::new(jiff::civil::Date::constant(2026, 10, 1), TODAY, Grouping::Channel);
    let r = setup.store.run(skvoz::app::report(&setup.store.handle(), &query)).unwrap();
    assert_cards(&h, &r);
}

#[test]
fn the_period_is_compared_with_the_chosen_days() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    wait(&mut h);
    // 30 days ending 24.11.2026 against the 30 days before them.
    assert!(has_label(&h, "26.09.2026 — 25.10.2026"));
    h.get_by_label("Изменения —").click();
    h.run_steps(2);
    h.get_by_label("с теми же днями прошлого месяца").click();
    wait(&mut h);
    assert!(has_label(&h, "26.09.2026 — 24.10.2026"));
    assert_eq!(h.state().state.comparison, skvoz::report::Comparison::MonthAgo);
    // The cards' changes are counted against those days.
    let from = TODAY.checked_sub(29.days()).unwrap();
    let query = Query { comparison: skvoz::report::Comparison::MonthAgo, ..Query::new(from, TODAY, Grouping::Channel) };
    let r = setup.store.run(skvoz::app::report(&setup.store.handle(), &query)).unwrap();
    assert_eq!(r.previous.from, jiff::civil::Date::constant(2026, 9, 26));
    let change = skvoz::report::change(Some(r.totals.figures.visits as f64), Some(r.previous.figures.visits as f64));
    let shown = skvoz::report::fmt_change(change);
    assert!(h.query_all_by_label_contains(&shown).count() > 0, "the visits card shows {shown}");
}

#[test]
fn charts_have_their_legends_outside_and_name_free_channels() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    wait(&mut h);
    // The legends stand above the plots (their hover texts are tested in `report::chart`).
    for legend in ["Расходы, ₽", "Визиты", "Яндекс.Директ", "Google Ads", "ВКонтакте"]
    {
        assert!(h.query_all_by_label(legend).count() > 0, "legend {legend}");
    }
    let title = h.get_by_label("Расходы по каналам по дням").rect();
    let legend = h.query_all_by_label("Google Ads").map(|n| n.rect()).find(|r| r.top() > title.top()).unwrap();
    assert!(legend.top() < title.bottom() + 30.0, "the legend is right under the title, not inside the plot");
    assert!(has_label(&h, "Без расходов: Поисковые системы, Прямые заходы"), "free channels are named, not drawn");
}

#[test]
fn thirty_days_end_today_and_say_where_roistats_data_end() {
    let setup = store(false);
    let last = jiff::civil::Date::constant(2026, 11, 20);
    let fact = skvoz::domain::DailyFact {
        visits: 10,
        ..skvoz::domain::DailyFact::new(
            last,
            [skvoz::domain::Level::new("direct27", "Яндекс.Директ"), Default::default(), Default::default()],
        )
    };
    setup.store.replace_facts(0, last, last, &[fact]).unwrap();
    let mut h = harness(app(&setup, AppState::default()));
    wait(&mut h);
    assert_eq!(h.state().period(), (jiff::civil::Date::constant(2026, 10, 26), TODAY), "«30 дней» ends today");
    assert!(has_label(
        &h,
        "Данные Roistat загружены по 20.11.2026: более поздние дни появятся после следующей загрузки"
    ));
}

/// A save dialog where the person typed a name without its extension.
struct TypedWithoutExtension(std::path::PathBuf);

impl skvoz::app::FilePicker for TypedWithoutExtension {
    fn save_path(
        &self,
        _suggested: &str,
        _format: skvoz::app::ExportFormat,
    ) -> Result<Option<std::path::PathBuf>, String> {
        Ok(Some(self.0.join("отчёт за месяц")))
    }
}

#[test]
fn an_exported_file_gets_the_extension_of_its_format() {
    let setup = store(true);
    let options = skvoz::app::AppOptions {
        today: Some(TODAY),
        file_picker: Box::new(TypedWithoutExtension(setup.dir.path().to_path_buf())),
        state: AppState::default(),
    };
    let mut h = harness(skvoz::app::App::new(setup.store.handle(), options).unwrap());
    click(&mut h, "Выгрузить в Excel");
    assert!(setup.dir.path().join("отчёт за месяц.xlsx").is_file(), "the .xlsx extension was added");
    assert!(!setup.dir.path().join("отчёт за месяц").exists());
}

#[test]
fn the_table_fits_roi_at_1280_chooses_columns_and_its_drill_down_narrows_the_charts() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    h.set_size(egui::vec2(1280.0, 800.0));
    wait(&mut h);
    let roi = h.get_by_label("Сортировать: ROI").rect();
    assert!(roi.right() <= 1280.0, "ROI is in view at 1280 pixels: {roi:?}");
    assert!(h.query_by_label("Сортировать: CPO").is_none(), "CPO waits in the column chooser");
    h.get_by_label("Столбцы таблицы…").click();
    h.run_ok();
    h.get_by_label("CPO").click();
    wait(&mut h);
    assert!(h.query_by_label("Сортировать: CPO").is_some(), "a chosen column shows");

    // Opening a channel in the table narrows the charts to it; closing it shows every channel again.
    let narrowed = "Расходы и визиты по дням — только «Яндекс.Директ»";
    assert!(h.query_by_label_contains(narrowed).is_none());
    assert!(h.query_by_label("Google Ads").is_some(), "the channel chart's legend names every paid channel");
    click(&mut h, "▶ Яндекс.Директ");
    assert!(h.query_by_label_contains(narrowed).is_some());
    assert!(h.query_by_label("Google Ads").is_none(), "another channel left the legend");
    click(&mut h, "▼ Яндекс.Директ");
    assert!(h.query_by_label_contains(narrowed).is_none());
    assert!(h.query_by_label("Google Ads").is_some());
}

#[test]
fn days_are_in_date_order_when_grouped_by_day() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    click(&mut h, "7 дней");
    h.state_mut().app.commands.push(skvoz::app::Command::SetGrouping(Grouping::Day));
    wait(&mut h);
    let days: Vec<jiff::civil::Date> = (0..7).map(|i| TODAY.checked_sub(i.days()).unwrap()).collect();
    let mut shown: Vec<(f32, jiff::civil::Date)> =
        days.iter().map(|d| (h.get_by_label(&skvoz::report::fmt_date(*d)).rect().min.y, *d)).collect();
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<_> = shown.into_iter().map(|(_, d)| d).collect();
    let mut by_date = days.clone();
    by_date.sort();
    assert_eq!(order, by_date, "top to bottom from the first day to the last");
}

/// A system without a save dialog; its «Загрузки» is a temp folder.
struct NoDialog(std::path::PathBuf);

impl skvoz::app::FilePicker for NoDialog {
    fn save_path(
        &self,
        _suggested: &str,
        _format: skvoz::app::ExportFormat,
    ) -> Result<Option<std::path::PathBuf>, String> {
        Err("окно выбора файла не открылось (в системе нет диалога сохранения)".into())
    }

    fn fallback_dir(&self) -> Option<std::path::PathBuf> {
        Some(self.0.clone())
    }
}

#[test]
fn without_a_save_dialog_the_export_goes_to_downloads_and_the_window_says_where() {
    let setup = store(true);
    let downloads = setup.dir.path().join("Загрузки");
    std::fs::create_dir(&downloads).unwrap();
    let options = skvoz::app::AppOptions {
        today: Some(TODAY),
        file_picker: Box::new(NoDialog(downloads.clone())),
        state: AppState::default(),
    };
    let mut h = harness(skvoz::app::App::new(setup.store.handle(), options).unwrap());
    let name = h.state().app.export_file_name(skvoz::app::ExportFormat::Csv);
    click(&mut h, "Выгрузить в CSV");
    let first = downloads.join(&name);
    assert!(first.is_file(), "the report is in «Загрузки»");
    let said = format!(
        "окно выбора файла не открылось (в системе нет диалога сохранения), поэтому отчёт сохранён в папку «Загрузки»: {}",
        first.display()
    );
    assert!(h.query_by_label_contains(&said).is_some(), "the window names the dialog's failure and the path");
    // A second export does not overwrite the first.
    click(&mut h, "Выгрузить в CSV");
    let second = downloads.join(name.replace(".csv", " (2).csv"));
    assert!(second.is_file(), "{second:?}");
    assert!(h.query_by_label_contains(&second.display().to_string()).is_some());
}

#[test]
fn a_date_is_typed_or_reached_by_years_in_the_calendar() {
    let setup = store(true);
    let mut h = harness(app(&setup, AppState::default()));
    click(&mut h, "Произвольный");
    h.get_by_role_and_label(egui::Role::Button, "с 26.10.2026").click();
    h.run_ok();
    // A year back and forth by one click each.
    h.get_by_label("Предыдущий год").click();
    h.run_ok();
    assert!(has_label(&h, "Октябрь 2025"));
    h.get_by_label("Следующий год").click();
    h.run_ok();
    assert!(has_label(&h, "Октябрь 2026"));

    // A typo is named; a good date applies.
    let field = h.get_by_label("Дата:");
    field.click();
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    h.get_by_label("Дата:").type_text("31.02.2026");
    h.run_ok();
    h.get_by_role_and_label(egui::Role::Button, "Перейти").click();
    h.run_ok();
    assert!(has_label(&h, "Дата не распознана: введите ДД.ММ.ГГГГ"));
    h.get_by_label("Дата:").click();
    h.run_ok();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_ok();
    h.get_by_label("Дата:").type_text("15.09.2026");
    h.run_ok();
    h.get_by_role_and_label(egui::Role::Button, "Перейти").click();
    wait(&mut h);
    assert!(h.query_by_role_and_label(egui::Role::Button, "с 15.09.2026").is_some());
}
