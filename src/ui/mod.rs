//! The window: eframe around [`crate::app::App`], fonts, and the screens.

pub mod admin;
pub mod alerts_bell;
pub mod calls;
pub mod connection;
pub mod dashboard;
pub mod fonts;
pub mod leads;
pub mod plans;
pub mod shell;
pub mod views;
pub mod widgets;
pub mod workstation;

use crate::app::AppState;
pub use shell::Window;
use std::process::ExitCode;
pub use workstation::{StartOptions, Workstation};

/// Whether a display server is reachable, checked before winit so the user gets one clear line.
fn display_available() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
            || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
    } else {
        true
    }
}

const NO_DISPLAY: &str =
    "Не удалось открыть окно: нет графического дисплея. Для работы без окна запустите «skvoz serve».";

/// The key of the persisted [`AppState`] in eframe's storage.
const STATE_KEY: &str = "skvoz-state";

/// Opens the window at once; the store opens behind it: `command_line` (`--database-url`) when
/// given, else the one chosen in «Подключение» last time, else the embedded store in `data_dir`.
pub fn run_window(data_dir: &std::path::Path, command_line: Option<crate::app::Location>) -> anyhow::Result<ExitCode> {
    if !display_available() {
        eprintln!("{NO_DISPLAY}");
        return Ok(ExitCode::from(2));
    }
    let data_dir = data_dir.to_path_buf();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Сквозная аналитика — skvoz")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([960.0, 600.0])
            .with_app_id("skvoz")
            .with_icon(window_icon()),
        ..Default::default()
    };
    let result = eframe::run_native(
        "skvoz",
        options,
        Box::new(move |cc| {
            let state: AppState = cc.storage.and_then(|s| eframe::get_value(s, STATE_KEY)).unwrap_or_default();
            let options = StartOptions { today: None, services: true };
            Ok(Box::new(Workstation::new(&data_dir, command_line, state, options)?))
        }),
    );
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("{NO_DISPLAY} ({e})");
            Ok(ExitCode::from(2))
        }
    }
}

/// The same icon as the desktop entry's, rendered from `resources/icons/skvoz.svg`.
fn window_icon() -> egui::IconData {
    eframe::icon_data::from_png_bytes(include_bytes!("../../resources/icons/hicolor/256x256/skvoz.png"))
        .unwrap_or_default()
}

impl eframe::App for Workstation {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        Workstation::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STATE_KEY, self.state());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shutdown();
    }
}
