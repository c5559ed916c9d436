//! «Резервная копия» on the settings page: the same backup and restore as `skvoz backup` and
//! `skvoz restore`, run in the background so the window never waits for the disk.

use super::{AdminEvent, error_label, note, ok_label};
use crate::ui::Window;
use std::path::PathBuf;

#[derive(Default)]
pub struct BackupScreen {
    /// Where «Сохранить копию» writes; filled with a dated name in the home folder.
    pub save_path: String,
    /// The copy «Восстановить» reads.
    pub restore_path: String,
    /// «Заменить все данные?» is asked.
    pub confirm_restore: bool,
    pub running: bool,
    pub result: Option<Result<String, String>>,
}

/// `~/skvoz-2026-12-04.backup.jsonl` (the documents folder where there is one).
fn default_backup_path(today: jiff::civil::Date) -> PathBuf {
    let dirs = directories::UserDirs::new();
    let folder = dirs
        .as_ref()
        .and_then(|d| d.document_dir().map(PathBuf::from))
        .or_else(|| dirs.as_ref().map(|d| d.home_dir().to_path_buf()))
        .unwrap_or_default();
    folder.join(format!("skvoz-{today}.backup.jsonl"))
}

impl BackupScreen {
    pub fn on_done(&mut self, result: Result<String, String>) {
        self.running = false;
        self.result = Some(result);
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let today = app.app.today;
    let screen = &mut app.admin.backup;
    if screen.save_path.is_empty() {
        screen.save_path = default_backup_path(today).display().to_string();
    }
    ui.label(egui::RichText::new("Резервная копия").strong());
    note(
        ui,
        "Копия — один файл со всеми заявками, клиентами, справочниками, настройками и фактами аналитики \
         (как skvoz backup). Делайте её перед перенастройкой проекта Roistat и перед обновлением.",
    );
    let mut save = false;
    let mut restore = false;
    egui::Grid::new("backup_grid").num_columns(3).spacing([8.0, 6.0]).show(ui, |ui| {
        let l = ui.label("Файл копии:");
        ui.add(egui::TextEdit::singleline(&mut screen.save_path).desired_width(420.0)).labelled_by(l.id);
        save = ui.add_enabled(!screen.running, egui::Button::new("Сохранить копию")).clicked();
        ui.end_row();
        let l = ui.label("Восстановить из:");
        ui.add(
            egui::TextEdit::singleline(&mut screen.restore_path).hint_text("путь к файлу копии").desired_width(420.0),
        )
        .labelled_by(l.id);
        restore = ui
            .add_enabled(!screen.running && !screen.restore_path.trim().is_empty(), egui::Button::new("Восстановить…"))
            .clicked();
        ui.end_row();
    });
    if screen.running {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Выполняется…");
        });
    }
    match &screen.result {
        Some(Ok(text)) => ok_label(ui, text),
        Some(Err(text)) => error_label(ui, text),
        None => {}
    }
    if restore {
        screen.confirm_restore = true;
    }
    if screen.confirm_restore {
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("restore_confirm")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            ui.heading("Заменить все данные копией?");
            ui.label(
                "Заявки, клиенты, справочники, настройки и факты этого хранилища будут заменены данными из файла. \
                 Если нужны нынешние данные, сначала сохраните копию.",
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Заменить").clicked() {
                    answer = Some(true);
                }
                if ui.button("Отмена").clicked() {
                    answer = Some(false);
                }
            });
        });
        if modal.should_close() && answer.is_none() {
            answer = Some(false);
        }
        if let Some(yes) = answer {
            screen.confirm_restore = false;
            restore = yes;
        } else {
            restore = false;
        }
    }
    if save {
        let path = PathBuf::from(screen.save_path.trim());
        run(app, path, |store, path| {
            // The copy holds the service password: only its owner may read it (as `skvoz backup`).
            let file = crate::store::create_private_file(path)
                .map_err(|e| format!("Не удалось создать файл {}: {e}", path.display()))?;
            let written = store.backup(&mut std::io::BufWriter::new(file)).map_err(|e| e.to_string());
            if written.is_err() {
                // A cut copy must not pass for a whole one later.
                let _ = std::fs::remove_file(path);
            }
            let s = written?;
            Ok(format!(
                "Копия сохранена: {} ({} записей, {} заявок, {} фактов)",
                path.display(),
                s.records,
                s.leads,
                s.facts
            ))
        });
    } else if restore {
        let path = PathBuf::from(screen.restore_path.trim());
        run(app, path, |store, path| {
            let file =
                std::fs::File::open(path).map_err(|e| format!("Не удалось открыть файл {}: {e}", path.display()))?;
            let s = store.restore(&mut std::io::BufReader::new(file), true).map_err(|e| e.to_string())?;
            store.durable().map_err(|e| e.to_string())?;
            Ok(format!(
                "Восстановлено из {}: {} записей ({} заявок, {} фактов)",
                path.display(),
                s.records,
                s.leads,
                s.facts
            ))
        });
    }
}

/// Runs a backup or a restore on the background pool; its outcome comes back as an event.
fn run(
    app: &mut Window,
    path: PathBuf,
    job: impl FnOnce(&crate::store::SledStore, &std::path::Path) -> Result<String, String> + Send + 'static,
) {
    let store = app.app.sled.clone();
    app.admin.backup.running = true;
    app.admin.backup.result = None;
    app.admin.tasks.spawn_blocking(
        &app.app.bg,
        move || AdminEvent::Backup(job(&store, &path)),
        |e| AdminEvent::Backup(Err(e)),
    );
}
