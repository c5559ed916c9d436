//! Shared helpers of the window tests: an app on a temp store, driven by egui_kittest.
#![allow(dead_code)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use jiff::civil::Date;
use skvoz::app::{App, AppOptions, AppState, ExportFormat, FilePicker};
#[path = "../support/blocking.rs"]
pub mod blocking;
pub use blocking::BlockingStore;
use skvoz::ui::Window;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const TODAY: Date = Date::constant(2026, 11, 24);

/// Saves exports into a folder, no dialog.
pub struct FolderPicker(pub PathBuf);

impl FilePicker for FolderPicker {
    fn save_path(&self, _suggested: &str, format: ExportFormat) -> Result<Option<PathBuf>, String> {
        Ok(Some(self.0.join(format!("report.{}", format.extension()))))
    }
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub store: BlockingStore,
}

pub fn store(demo: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockingStore::open(dir.path());
    if demo {
        store.run(skvoz::demo::fill(&store.handle(), skvoz::demo::DEFAULT_SEED, TODAY)).unwrap();
    }
    Setup { dir, store }
}

pub fn app(setup: &Setup, state: AppState) -> App {
    let options =
        AppOptions { today: Some(TODAY), file_picker: Box::new(FolderPicker(setup.dir.path().to_path_buf())), state };
    App::new(setup.store.handle(), options).unwrap()
}

pub fn harness(app: App) -> Harness<'static, Window> {
    let mut h =
        Harness::builder().with_size([1400.0, 1300.0]).build_ui_state(|ui, w: &mut Window| w.ui(ui), Window::new(app));
    wait(&mut h);
    h
}

/// Steps frames until background work the screen waits for has arrived and nothing new started
/// for a few frames (a page opened by a click asks for its data on its first frame).
pub fn wait(h: &mut Harness<'static, Window>) {
    let start = Instant::now();
    let mut idle = 0;
    while idle < 3 {
        h.step();
        if h.state().is_busy() {
            idle = 0;
            assert!(start.elapsed() < Duration::from_secs(60), "background work did not finish");
            h.state().bg.wait_for_event(Duration::from_millis(50));
        } else {
            idle += 1;
        }
    }
}

/// Steps frames until `cond` holds (bounded).
pub fn until(h: &mut Harness<'static, Window>, what: &str, cond: impl Fn(&Harness<'static, Window>) -> bool) {
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

/// Clicks a button by its label and waits for what it started.
pub fn click(h: &mut Harness<'static, Window>, label: &str) {
    h.get_by_role_and_label(egui::Role::Button, label).click();
    wait(h);
}

pub fn has_label(h: &Harness<'static, Window>, label: &str) -> bool {
    h.query_by_label(label).is_some()
}

/// The whole window (connection and all) in a harness of the usual window size.
pub fn workstation(w: skvoz::ui::Workstation) -> Harness<'static, skvoz::ui::Workstation> {
    Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, w: &mut skvoz::ui::Workstation| w.ui(ui), w)
}

/// Steps frames until what the whole window waits for has arrived and is shown.
pub fn settle_workstation(h: &mut Harness<'static, skvoz::ui::Workstation>) {
    let start = Instant::now();
    let mut idle = 0;
    while idle < 3 {
        h.step();
        if h.state().is_busy() {
            idle = 0;
            assert!(start.elapsed() < Duration::from_secs(60), "background work did not finish");
            h.state().wait_for_event(Duration::from_millis(50));
        } else {
            idle += 1;
        }
    }
}

/// Steps frames of the whole window until `cond` holds (bounded).
pub fn workstation_until(
    h: &mut Harness<'static, skvoz::ui::Workstation>,
    what: &str,
    cond: impl Fn(&Harness<'static, skvoz::ui::Workstation>) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if cond(h) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "waited in vain for: {what}");
        h.state().wait_for_event(Duration::from_millis(50));
    }
    h.run_steps(2);
}

/// A cohort-like heat map with a drill-down and a totals line.
pub fn sample_view_table() -> skvoz::report::views::ViewTable {
    use skvoz::domain::Money;
    use skvoz::report::Cell;
    use skvoz::report::views::{SOURCE_LEADS, View, ViewColumn, ViewRow, ViewTable};
    let money = |r: i64| Cell::Money(Some(Money::from_rubles(r)));
    let row = |depth: usize, title: &str, cells: Vec<Cell>| ViewRow { depth, title: title.into(), cells };
    ViewTable {
        view: View::Cohorts,
        caption: vec!["Когорты за 01.06.2026 — 30.11.2026".into(), SOURCE_LEADS.into()],
        name_title: "Когорта".into(),
        columns: vec![
            ViewColumn::new("Клиенты", ""),
            ViewColumn::new("Месяц 0", ", ₽"),
            ViewColumn::new("Месяц 1", ", ₽"),
            ViewColumn::new("Месяц 2", ", ₽"),
        ],
        rows: vec![
            row(0, "Июнь 2026", vec![Cell::Count(12), money(480_000), money(95_000), money(12_000)]),
            row(1, "Яндекс.Директ", vec![Cell::Count(7), money(300_000), money(5_000), money(0)]),
            row(0, "Июль 2026", vec![Cell::Count(9), money(210_000), money(40_000), Cell::Money(None)]),
        ],
        totals: vec![Cell::Count(21), money(690_000), money(135_000), money(12_000)],
        heat_map: true,
    }
}
