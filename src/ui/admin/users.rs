//! «Пользователи»: who works in skvoz and with which role (the role decides the screens).

use super::text_row;
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminWrite, Written};
use crate::domain::{Role, User};
use crate::ui::Window;
use egui::RichText;

#[derive(Default)]
pub struct UsersScreen {
    pub name: String,
    pub role: Option<Role>,
    pub error: Option<String>,
    pub stale: bool,
}

impl UsersScreen {
    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        match result {
            Ok(_) => {
                self.name.clear();
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let screen = &mut app.admin.users;
    screen.stale = false;
    ui.label(RichText::new("Пользователи").strong());
    egui::Grid::new("users").num_columns(2).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
        for u in &app.app.users {
            ui.label(&u.name);
            ui.label(u.role.title());
            ui.end_row();
        }
    });
    let role = screen.role.unwrap_or(Role::Manager);
    egui::Grid::new("user_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        // The error was about the name as it was: a new name makes it stale.
        if text_row(ui, "Имя пользователя:", &mut screen.name).changed() {
            screen.error = None;
        }
        ui.label("Роль:");
        let combo = egui::ComboBox::from_id_salt("user_role").selected_text(role.title()).show_ui(ui, |ui| {
            for r in Role::ALL {
                if ui.selectable_label(role == r, r.title()).clicked() {
                    screen.role = Some(r);
                }
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Роль", role.title());
        ui.end_row();
    });
    if ui.button("Добавить пользователя").clicked() {
        let name = screen.name.trim().to_string();
        if name.is_empty() {
            screen.error = Some("Укажите имя пользователя".into());
        } else if app.app.users.iter().any(|u| u.name == name) {
            screen.error = Some(format!("Пользователь «{name}» уже есть: укажите другое имя"));
        } else {
            let user = User { name, role, ..User::default() };
            app.app.commands.push(Command::Admin(AdminCommand::Write(AdminWrite::User(user))));
        }
    }
    super::message_line(ui, screen.error.as_deref(), None);
}
