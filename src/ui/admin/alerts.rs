//! «Оповещения» on the settings page: the rules with their thresholds, working hours, and the
//! delivery channels (Telegram, e-mail, webhook) with «Проверить», which sends a test message.

use super::{error_label, note, ok_label, secret_row, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, Written};
use crate::app::control::DeliveryOutcome;
use crate::domain::{AlertKind, AlertSettings, Secret, TELEGRAM_API_BASE};
use crate::ui::Window;
use egui::RichText;

#[derive(Default)]
pub struct AlertsScreen {
    pub form: Option<AlertSettings>,
    pub token: String,
    pub smtp_password: String,
    show_token: bool,
    show_password: bool,
    pub error: Option<String>,
    pub saved: bool,
    pub testing: bool,
    /// What «Проверить» gave, channel by channel.
    pub tested: Option<Vec<DeliveryOutcome>>,
    pub loads: super::Loads,
}

impl AlertsScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::Alerts(settings)) => {
                self.token = settings.telegram_token.expose().to_string();
                self.smtp_password = settings.smtp_password.expose().to_string();
                self.form = Some(*settings);
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

    pub(super) fn on_tested(&mut self, result: Result<Vec<DeliveryOutcome>, String>) {
        self.testing = false;
        match result {
            Ok(outcomes) if outcomes.is_empty() => {
                self.error = Some("Ни один канал не включён: отметьте Telegram, e-mail или webhook".into());
            }
            Ok(outcomes) => {
                self.error = None;
                self.tested = Some(outcomes);
            }
            Err(e) => self.error = Some(e),
        }
    }
}

const DAYS: [&str; 7] = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.alerts, &mut app.app.commands);
    if screen.loads.ask(screen.testing) {
        commands.push(Command::Admin(AdminCommand::Load(AdminForm::Alerts)));
    }
    ui.label(RichText::new("Оповещения").strong());
    note(
        ui,
        "Колокольчик вверху окна показывает текущие оповещения; включённые каналы получают каждое новое один раз \
         (их отправляет skvoz serve, а на этом компьютере — окно).",
    );
    let Some(form) = screen.form.as_mut() else {
        if let Some(e) = &screen.error {
            error_label(ui, e);
        }
        return;
    };
    egui::Grid::new("alert_rules").num_columns(3).spacing([16.0, 6.0]).show(ui, |ui| {
        for kind in AlertKind::ALL {
            let rule = form.rules.get_mut(kind);
            let on = ui.checkbox(&mut rule.enabled, kind.title());
            ui.add_enabled(rule.enabled, egui::DragValue::new(&mut rule.threshold).range(1..=100_000))
                .labelled_by(on.id);
            ui.label(match kind {
                AlertKind::ReconcileMissing => kind.unit().to_string(),
                _ => format!("{} и дольше", kind.unit()),
            });
            ui.end_row();
        }
    });
    ui.checkbox(&mut form.rules.lead_in_working_time, "Заявку ждут только в рабочее время");
    let hours = &mut form.working_hours;
    ui.horizontal(|ui| {
        ui.label("Рабочее время:");
        for (i, day) in DAYS.iter().enumerate() {
            let number = i as u8 + 1;
            let mut on = hours.days.contains(&number);
            if ui.checkbox(&mut on, *day).changed() {
                hours.days.retain(|d| *d != number);
                if on {
                    hours.days.push(number);
                    hours.days.sort_unstable();
                }
            }
        }
        let from = ui.label("с");
        ui.add(egui::DragValue::new(&mut hours.start_hour).range(0..=23).suffix(":00")).labelled_by(from.id);
        let to = ui.label("до");
        ui.add(egui::DragValue::new(&mut hours.end_hour).range(1..=24).suffix(":00")).labelled_by(to.id);
    });
    egui::Grid::new("alert_zone").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Часовой пояс:", &mut hours.time_zone);
    });
    ui.add_space(8.0);
    ui.checkbox(&mut form.telegram_enabled, "Telegram");
    egui::Grid::new("alert_telegram").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        secret_row(ui, "Токен бота:", &mut screen.token, &mut screen.show_token);
        text_row(ui, "chat_id:", &mut form.telegram_chat_id);
        text_row(ui, "Адрес Bot API:", &mut form.telegram_api_base)
            .on_hover_text(format!("Пусто — {TELEGRAM_API_BASE}"));
    });
    ui.checkbox(&mut form.email_enabled, "E-mail (SMTP)");
    egui::Grid::new("alert_email").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "SMTP-сервер:", &mut form.smtp_host);
        let l = ui.label("Порт:");
        ui.add(egui::DragValue::new(&mut form.smtp_port).range(1..=65535)).labelled_by(l.id);
        ui.end_row();
        text_row(ui, "Логин SMTP:", &mut form.smtp_login);
        secret_row(ui, "Пароль SMTP:", &mut screen.smtp_password, &mut screen.show_password);
        text_row(ui, "От кого:", &mut form.email_from);
        text_row(ui, "Кому (через запятую):", &mut form.email_to);
    });
    ui.checkbox(&mut form.webhook_enabled, "Webhook");
    egui::Grid::new("alert_webhook").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Адрес webhook:", &mut form.webhook_url);
    });
    let mut save = false;
    let mut test = false;
    ui.horizontal(|ui| {
        save = ui.button("Сохранить оповещения").clicked();
        let check = ui
            .add_enabled(!screen.testing, egui::Button::new("Проверить"))
            .on_hover_text("Сохранить и отправить проверочное сообщение по включённым каналам");
        // Named apart from the service's «Проверить» on the same page.
        check.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, !screen.testing, "Проверить оповещения"));
        test = check.clicked();
        if screen.testing {
            ui.spinner();
        }
    });
    if save || test {
        form.telegram_token = Secret::new(screen.token.trim());
        form.smtp_password = Secret::new(screen.smtp_password.clone());
        form.working_hours.time_zone = form.working_hours.time_zone.trim().to_string();
        screen.saved = false;
        screen.tested = None;
        if jiff::tz::TimeZone::get(&form.working_hours.time_zone).is_err() {
            screen.error = Some(format!(
                "Часовой пояс «{}» не найден: укажите имя из базы IANA, например Europe/Moscow",
                form.working_hours.time_zone
            ));
        } else if test {
            screen.testing = true;
            screen.error = None;
            commands.push(Command::Admin(AdminCommand::TestAlerts(Box::new(form.clone()))));
        } else {
            commands.push(Command::Admin(AdminCommand::Write(AdminWrite::AlertSettings(Box::new(form.clone())))));
        }
    }
    for (channel, error) in screen.tested.iter().flatten() {
        match error {
            None => ok_label(ui, &format!("{channel}: проверочное сообщение отправлено")),
            Some(e) => error_label(ui, &format!("{channel}: не отправлено — {e}")),
        }
    }
    super::message_line(ui, screen.error.as_deref(), screen.saved.then_some("Настройки оповещений сохранены."));
}
