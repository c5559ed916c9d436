//! The leads workspace alone in a window, on a data folder: `leads_screen /tmp/leads-demo`.
//! Until the window shell takes it in, this is how to look at the screen. A second argument opens
//! something at once: `new` (a new lead), `wizard` (the template wizard), or a lead id.

use skvoz::store::Store;
use skvoz::ui::leads::{LeadsScreen, repaint_on_store_events, system_clock};
use std::path::PathBuf;
use std::process::ExitCode;

struct LeadsApp {
    screen: LeadsScreen,
}

impl eframe::App for LeadsApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.screen.ui(ui);
    }
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("Укажите каталог данных: leads_screen /tmp/leads-demo");
        return ExitCode::from(2);
    };
    let store = match Store::open(&dir) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("Не удалось открыть хранилище {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Заявки — skvoz")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    let result = eframe::run_native(
        "skvoz-leads",
        options,
        Box::new(move |cc| {
            repaint_on_store_events(&store, cc.egui_ctx.clone());
            let mut screen = LeadsScreen::new(store, system_clock());
            match std::env::args().nth(2).as_deref() {
                Some("new") => screen.open_new_lead(),
                Some("wizard") => screen.open_wizard(),
                Some(id) => {
                    if let Ok(id) = id.parse() {
                        screen.open_lead(id);
                    }
                }
                None => {}
            }
            Ok(Box::new(LeadsApp { screen }))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Не удалось открыть окно: {e}");
            ExitCode::FAILURE
        }
    }
}
