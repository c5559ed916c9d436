//! The window.

pub mod leads;

use std::path::Path;
use std::process::ExitCode;

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

/// Opens the window on the store in `data_dir`.
pub fn run_window(data_dir: &Path) -> anyhow::Result<ExitCode> {
    if !display_available() {
        eprintln!("{NO_DISPLAY}");
        return Ok(ExitCode::from(2));
    }
    let store = crate::store::Store::open(data_dir)?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Сквозная аналитика — skvoz")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    let result = eframe::run_native("skvoz", options, Box::new(move |_cc| Ok(Box::new(Placeholder { store }))));
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("{NO_DISPLAY} ({e})");
            Ok(ExitCode::from(2))
        }
    }
}

struct Placeholder {
    store: crate::store::Store,
}

impl eframe::App for Placeholder {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Сквозная аналитика");
            ui.label(format!("Заявок в хранилище: {}", self.store.lead_count()));
        });
    }
}
