//! Image snapshots of the window: the dashboard on the demo data and the empty store, a view tab
//! with a heat map, and the admin's start page on a new store, at 1280×800, compared with the PNGs in `tests/snapshots/`.
//!
//! Rendering needs wgpu and a Vulkan driver; the `snapshots` feature (on by default) brings wgpu in,
//! and CI installs lavapipe, Mesa's software Vulkan, so the pixels do not depend on a graphics
//! card. Without the feature (`--no-default-features`) or without a
//! Vulkan adapter the tests say why and pass (under `SKVOZ_REQUIRE_TOOLS=1`, as in CI, they fail);
//! everything but the rendering still runs.
//!
//! After an intended change of the screens:
//! `UPDATE_SNAPSHOTS=1 cargo test --test ui_snapshots`, then look at the new
//! PNGs before committing them.

mod common;
#[path = "support/tools.rs"]
mod tools;

use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use skvoz::app::{App, AppOptions, AppState, PeriodPreset};
use skvoz::ui::Window;
use std::path::PathBuf;

const SIZE: [f32; 2] = [1280.0, 800.0];

/// A store at a path relative to the crate root (where cargo runs tests), so that whatever shows
/// the path reads the same on every machine. Emptied first.
fn store_at(name: &str, demo: bool) -> BlockingStore {
    let dir = PathBuf::from("target/ui-snapshots").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let store = BlockingStore::open(&dir);
    if demo {
        // Fixed seed and fixed "today": the same facts on every run.
        store.run(skvoz::demo::fill(&store.handle(), skvoz::demo::DEFAULT_SEED, TODAY)).unwrap();
    }
    store
}

/// The window at its default size with "today" fixed, once start-up reads have arrived.
fn window(store: BlockingStore, state: AppState) -> Harness<'static, Window> {
    let options = AppOptions { today: Some(TODAY), file_picker: Box::new(FolderPicker(std::env::temp_dir())), state };
    let app = App::new(store.handle(), options).unwrap();
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_theme(egui::Theme::Dark)
        .build_ui_state(|ui, w: &mut Window| w.ui(ui), Window::new(app));
    wait(&mut h);
    h
}

#[test]
fn dashboard_on_demo_data() {
    let mut h = window(store_at("dashboard", true), AppState::default());
    // What the image must show, checked first so a wrong screen is not taken for a rendering change.
    assert_eq!(h.state().state.preset, PeriodPreset::Days30);
    assert!(h.state().dashboard.report.is_some(), "the report is on screen");
    assert!(has_label(&h, "Выручка"));
    assert!(has_label(&h, "На этом компьютере"), "the status bar says which store");
    render::check(&mut h, "dashboard_demo");
}

#[test]
fn empty_state() {
    let mut h = window(store_at("empty", false), AppState::default());
    assert!(!h.state().has_facts());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Загрузить демо-данные").is_some());
    assert!(h.query_by_role_and_label(egui::Role::Button, "Настроить источник аналитики").is_some());
    render::check(&mut h, "dashboard_empty");
}

/// A view tab on the demo data with a hand-made heat map (the cohorts' shape) in place of what the
/// view computed: the tabs, the controls with no basis switch, the caption and the coloured cells.
#[test]
fn view_tab_with_a_heat_map() {
    use skvoz::report::views::{View, ViewOutput};
    let state = AppState { view: Some(View::Cohorts), ..AppState::default() };
    let mut h = window(store_at("view_heat_map", true), state);
    assert!(h.state().views.table_for(View::Cohorts).is_some(), "the view was computed");
    let table = sample_view_table();
    h.state_mut().app.views.output = Some(ViewOutput { table, json: serde_json::Value::Null });
    wait(&mut h);
    assert!(has_label(&h, "Когорты за 01.06.2026 — 30.11.2026"), "the hand-made table is on screen");
    assert!(has_label(&h, "меньше"));
    render::check(&mut h, "view_heat_map");
}

/// The admin's start page on a new store: the sources, with the setup checklist on top.
#[test]
fn admin_start_page_on_an_empty_store() {
    let mut h = window(store_at("admin_start", false), AppState::default());
    h.state_mut().go_to_start_page();
    wait(&mut h);
    assert_eq!(h.state().state.page, skvoz::app::Page::Sources);
    assert!(h.query_by_label_contains("Подключение к Roistat: выполнено").is_some());
    render::check(&mut h, "admin_start_empty");
}

/// The comparison must notice a real change: the same dashboard for «7 дней» (other figures in
/// the cards and the table, other bars) fails against the 30-day image, while the rounding noise
/// another rasterizer build leaves (one step per channel) passes.
#[test]
fn the_comparison_tells_a_change_from_rasterizer_noise() {
    let mut h = window(store_at("changed", true), AppState { preset: PeriodPreset::Days7, ..AppState::default() });
    assert_eq!(h.state().state.preset, PeriodPreset::Days7);
    render::must_differ(&mut h, "dashboard_demo");
}

#[cfg(feature = "snapshots")]
mod render {
    use egui_kittest::{Harness, SnapshotError, SnapshotOptions, try_image_snapshot_options};
    use skvoz::ui::Window;
    use std::sync::OnceLock;

    /// egui's default per-pixel tolerance: a weighted squared YIQ distance of 0.6, which lets a
    /// pixel differ by one step per channel (rounding in another rasterizer build); edge pixels
    /// that differ more are told apart as anti-aliasing by the comparison and not counted. No
    /// other pixel may differ: text, a number, a bar or a line that moves fails.
    pub fn options() -> SnapshotOptions {
        SnapshotOptions::new().threshold(0.6).max_failed_pixels(0)
    }

    /// The Vulkan adapter the renderer will find, or why there is none.
    fn vulkan() -> &'static Result<String, String> {
        static ADAPTER: OnceLock<Result<String, String>> = OnceLock::new();
        ADAPTER.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
            let instance = rt.block_on(egui_kittest::wgpu::default_wgpu_setup().new_instance());
            let adapters = rt.block_on(instance.enumerate_adapters(Default::default()));
            let infos: Vec<_> = adapters.iter().map(|a| a.get_info()).collect();
            infos
                .iter()
                .find(|i| i.backend.to_str() == "vulkan")
                .map(|i| format!("{} ({:?}, {})", i.name, i.device_type, i.driver_info))
                .ok_or_else(|| {
                    let found: Vec<String> = infos.iter().map(|i| format!("{} ({})", i.name, i.backend)).collect();
                    format!(
                        "no Vulkan adapter (found: {}); install Mesa's software Vulkan driver, \
                         e.g. `apt-get install mesa-vulkan-drivers`",
                        if found.is_empty() { "none".into() } else { found.join(", ") }
                    )
                })
        })
    }

    fn renderable(name: &str) -> bool {
        match vulkan() {
            Ok(_) => true,
            Err(why) => {
                super::tools::missing(&format!("snapshot «{name}» cannot render: {why}"));
                false
            }
        }
    }

    pub fn check(h: &mut Harness<'static, Window>, name: &str) {
        if !renderable(name) {
            return;
        }
        if let Err(e) = h.try_snapshot_options(name, &options()) {
            let hint = match &e {
                SnapshotError::Diff { .. } => format!(
                    "\n  the new rendering is tests/snapshots/{name}.new.png, the changed pixels are marked in \
                     tests/snapshots/{name}.diff.png (adapter: {}).\n  If the change is intended: \
                     UPDATE_SNAPSHOTS=1 cargo test --test ui_snapshots, and look at the PNG \
                     before committing it.",
                    vulkan().as_deref().unwrap_or("?")
                ),
                _ => String::new(),
            };
            panic!("snapshot «{name}» does not match: {e}{hint}");
        }
    }

    pub fn must_differ(h: &mut Harness<'static, Window>, name: &str) {
        if !renderable(name) {
            return;
        }
        let reference = image::open(format!("tests/snapshots/{name}.png"))
            .unwrap_or_else(|e| panic!("tests/snapshots/{name}.png: {e}"))
            .to_rgba8();
        // Compare in a scratch folder so the checked-in snapshot and its neighbours stay untouched.
        let scratch = std::path::PathBuf::from("target/ui-snapshots/compare");
        std::fs::create_dir_all(&scratch).unwrap();
        reference.save(scratch.join(format!("{name}.png"))).unwrap();
        let options = options().output_path(&scratch);

        let changed = h.render().expect("rendering");
        match try_image_snapshot_options(&changed, name, &options) {
            Err(SnapshotError::Diff { diff, .. }) => assert!(diff > 100, "a real change is many pixels: {diff}"),
            other => panic!("the 7-day dashboard must not pass as the 30-day one: {other:?}"),
        }

        // Rounding noise: every third pixel one step lighter or darker.
        let mut noisy = reference.clone();
        for (i, pixel) in noisy.pixels_mut().enumerate() {
            if i % 3 == 0 {
                for c in &mut pixel.0[..3] {
                    *c = if i % 2 == 0 { c.saturating_add(1) } else { c.saturating_sub(1) };
                }
            }
        }
        if let Err(e) = try_image_snapshot_options(&noisy, name, &options) {
            panic!("faint noise must pass: {e}");
        }
    }
}

/// Built without the `snapshots` feature: nothing to render with.
#[cfg(not(feature = "snapshots"))]
mod render {
    use egui_kittest::Harness;
    use skvoz::ui::Window;

    fn skipped(name: &str) {
        super::tools::missing(&format!(
            "snapshot «{name}» skipped: built without the `snapshots` feature (--no-default-features)"
        ));
    }

    pub fn check(_: &mut Harness<'static, Window>, name: &str) {
        skipped(name);
    }

    pub fn must_differ(_: &mut Harness<'static, Window>, name: &str) {
        skipped(name);
    }
}
