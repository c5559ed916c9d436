//! «Резервная копия» on the settings page: the same backup and restore as `skvoz backup` and
//! `skvoz restore`, run in the background so the window never waits for the disk.

use super::{error_label, note, ok_label};
use crate::app::Command;
use crate::app::admin::AdminCommand;
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
    if save || restore {
        let command = if save {
            AdminCommand::Backup(PathBuf::from(screen.save_path.trim()))
        } else {
            AdminCommand::Restore(PathBuf::from(screen.restore_path.trim()))
        };
        screen.running = true;
        screen.result = None;
        app.app.commands.push(Command::Admin(command));
    }
}
