//! «Телефония»: provider, PBX address, login, secret, and «Проверить»; the light follows.

use super::{error_label, note, ok_label, secret_row, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, Written};
use crate::domain::{CheckResult, Secret, Telephony};
use crate::ui::Window;

#[derive(Default)]
pub struct TelephonyScreen {
    pub form: Option<Telephony>,
    pub secret: String,
    pub show_secret: bool,
    pub error: Option<String>,
    pub saved: bool,
    pub checking: bool,
    pub loads: super::Loads,
}

impl TelephonyScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::Telephony(t)) => {
                self.secret = t.secret.expose().to_string();
                self.form = Some(t);
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        match result {
            Ok(_) => {
                self.error = None;
                self.saved = true;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The outcome of «Проверить», already stored with the settings by the app.
    pub(super) fn on_checked(&mut self, result: Result<CheckResult, String>) {
        self.checking = false;
        match result {
            Ok(result) => {
                if let Some(form) = &mut self.form {
                    form.last_check = Some(result);
                }
            }
            Err(e) => self.error = Some(e),
        }
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.telephony, &mut app.app.commands);
    if screen.loads.ask(screen.checking) {
        commands.push(Command::Admin(AdminCommand::Load(AdminForm::Telephony)));
    }
    note(ui, "Светофор у «Использовать звонки» показывает, настроена ли телефония и прошла ли её проверка.");
    let Some(form) = screen.form.as_mut() else {
        if let Some(e) = &screen.error {
            error_label(ui, e);
        }
        return;
    };
    ui.horizontal(|ui| {
        let _ = super::lead_sources::light_ui(ui, form);
    });
    egui::Grid::new("telephony_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Провайдер:", &mut form.provider);
        text_row(ui, "Адрес АТС / API:", &mut form.address);
        text_row(ui, "Логин АТС:", &mut form.login);
        secret_row(ui, "Ключ / пароль АТС:", &mut screen.secret, &mut screen.show_secret);
    });
    let mut save = false;
    let mut check_now = false;
    ui.horizontal(|ui| {
        save = ui.button("Сохранить телефонию").clicked();
        check_now = ui.add_enabled(!screen.checking, egui::Button::new("Проверить")).clicked();
        if screen.checking {
            ui.spinner();
        }
    });
    if save || check_now {
        form.provider = form.provider.trim().to_string();
        form.address = form.address.trim().to_string();
        form.secret = Secret::new(screen.secret.clone());
        if check_now {
            form.last_check = None;
        }
        screen.saved = false;
        if !check_now {
            commands.push(Command::Admin(AdminCommand::Write(AdminWrite::Telephony(Box::new(form.clone())))));
        } else if form.address.is_empty() {
            screen.error = Some("Укажите адрес АТС, чтобы её проверить".into());
        } else {
            screen.checking = true;
            screen.error = None;
            commands.push(Command::Admin(AdminCommand::CheckTelephony(Box::new(form.clone()))));
        }
    }
    if let Some(c) = &form.last_check {
        // A pass says what it verified (the address answers), which is less than «the PBX works».
        let outcome = if c.ok { "пройдена" } else { "не пройдена" };
        let text = format!("Проверка {} {outcome}: {}", super::time(c.at), c.message);
        if c.ok { ok_label(ui, &text) } else { error_label(ui, &text) }
    }
    super::message_line(ui, screen.error.as_deref(), screen.saved.then_some("Настройки телефонии сохранены."));
}
