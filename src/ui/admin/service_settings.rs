//! «Настройки HTTP-сервиса»: publication, login, password, limits, anonymous mode, the minimum
//! order date, the trusted proxies, the connection caps, and what to paste into Roistat's «Своя CRM».

use super::{copy_button, error_label, note, ok_label, secret_row, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, Written};
use crate::domain::{Secret, ServiceSettings};
use crate::ui::Window;
use egui::RichText;

/// The exchange log's size is set in megabytes.
const MEGABYTE: u64 = 1024 * 1024;

#[derive(Default)]
pub struct SettingsScreen {
    /// The settings being edited; `None` until first read.
    pub form: Option<ServiceSettings>,
    /// The form's password (clear text while editing).
    pub password: String,
    pub show_password: bool,
    /// «Не выгружать заказы, созданные до» as typed (`ГГГГ-ММ-ДД`, empty for none).
    pub min_created: String,
    /// «Доверенные прокси» as typed: addresses or networks separated by commas.
    pub trusted_proxies: String,
    /// The listen address the service was started with (to tell when a restart is needed).
    saved_listen: Option<String>,
    pub error: Option<String>,
    pub saved: bool,
    pub check: Option<Result<(), String>>,
    pub dirty: bool,
    pub loads: super::Loads,
    saving: bool,
    /// The saved listen address differs from the running one: restart the service.
    restart: bool,
}

impl SettingsScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::Settings(s)) => {
                self.password = s.password.expose().to_string();
                self.min_created = s.export_min_created.map(|d| d.to_string()).unwrap_or_default();
                self.trusted_proxies = s.trusted_proxies.join(", ");
                self.saved_listen = Some(s.listen.clone());
                self.form = Some(*s);
                self.dirty = false;
                self.error = None;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        self.saving = false;
        match result {
            Ok(Written::ServiceSettings { restart, listen }) => {
                self.error = None;
                self.saved = true;
                self.restart = restart;
                self.saved_listen = Some(listen);
            }
            Ok(_) => {}
            Err(e) => {
                self.error = Some(e);
                self.dirty = true;
            }
        }
    }

    /// The URL Roistat calls: `http://<listen address><path>`.
    pub fn url(&self) -> String {
        self.form.as_ref().map(|s| format!("http://{}{}", s.listen.trim(), s.path())).unwrap_or_default()
    }
}

const LOAD: Command = Command::Admin(AdminCommand::Load(AdminForm::Settings));

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let screen = &mut app.admin.settings;
    if screen.loads.ask(screen.dirty || screen.saving) {
        app.app.commands.push(LOAD);
    }
    if std::mem::take(&mut screen.restart) {
        app.app.commands.push(Command::RestartService);
    }
    ui.heading("Настройки HTTP-сервиса");
    note(ui, "Встроенный HTTP-сервис принимает заявки Roistat и отдаёт ему заказы: Apache или IIS не нужны.");
    ui.add_space(6.0);
    let Some(form) = screen.form.as_mut() else {
        if let Some(e) = &screen.error {
            error_label(ui, e);
        }
        return;
    };
    let mut changed = false;
    egui::Grid::new("service_settings").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        changed |= text_row(ui, "Адрес сервиса (IP:порт):", &mut form.listen).changed();
        let l = ui.label("Внешний адрес для Roistat:");
        changed |= ui
            .add(
                egui::TextEdit::singleline(&mut form.external_address)
                    .hint_text("https://crm.example.ru — как Roistat видит этот сервис")
                    .desired_width(360.0),
            )
            .labelled_by(l.id)
            .changed();
        ui.end_row();
        changed |= text_row(ui, "Имя публикации:", &mut form.publication).changed();
        changed |= text_row(ui, "Логин:", &mut form.login).changed();
        changed |= secret_row(ui, "Пароль:", &mut screen.password, &mut screen.show_password).changed();
        ui.label("");
        ui.horizontal(|ui| {
            if ui.button("Сгенерировать новый").clicked() {
                screen.password = crate::app::generate_password();
                changed = true;
            }
            copy_button(ui, "пароль", &screen.password);
        });
        ui.end_row();
        let l = ui.label("Предельная длина запроса, байт:");
        changed |= ui
            .add(egui::DragValue::new(&mut form.max_request_bytes).range(8_192..=64_000_000).speed(1000))
            .labelled_by(l.id)
            .changed();
        ui.end_row();
        let l = ui.label("Журнал обмена: не больше, МБ:");
        let mut megabytes = form.exchange_log_max_bytes / MEGABYTE;
        if ui.add(egui::DragValue::new(&mut megabytes).range(1..=100_000)).labelled_by(l.id).changed() {
            form.exchange_log_max_bytes = megabytes * MEGABYTE;
            changed = true;
        }
        ui.end_row();
        ui.label("");
        changed |= ui.checkbox(&mut form.anonymous, "Анонимный режим (без логина и пароля)").changed();
        ui.end_row();
        changed |= text_row(ui, "Не выгружать заказы, созданные до:", &mut screen.min_created).changed();
        changed |= text_row(ui, "Доверенные прокси:", &mut screen.trusted_proxies).changed();
        let l = ui.label("Соединений всего, не более:");
        changed |=
            ui.add(egui::DragValue::new(&mut form.max_connections).range(16..=60_000)).labelled_by(l.id).changed();
        ui.end_row();
        let l = ui.label("Соединений с одного адреса, не более:");
        changed |= ui
            .add(egui::DragValue::new(&mut form.max_connections_per_address).range(1..=60_000))
            .labelled_by(l.id)
            .changed();
        ui.end_row();
        let l = ui.label("Память на принимаемые запросы, байт:");
        changed |= ui
            .add(egui::DragValue::new(&mut form.max_buffered_bytes).range(1_000_000..=16_000_000_000u64).speed(100_000))
            .labelled_by(l.id)
            .changed();
        ui.end_row();
    });
    note(ui, "Дата в виде ГГГГ-ММ-ДД; пусто — выгружать все заказы. Укажите ту же дату, что и в Roistat.");
    note(
        ui,
        "Доверенные прокси — адреса или сети через запятую (например, 127.0.0.0/8, ::1, 10.0.0.0/8): только им \
         сервис верит, что клиент указан в X-Forwarded-For или X-Real-IP. По этому адресу считаются неудачные \
         входы и пишется журнал обмена. Пусто — не доверять никому.",
    );
    if form.anonymous {
        error_label(
            ui,
            "Внимание: в анонимном режиме любой, кто знает адрес, может создавать заявки и читать заказы. \
             Включайте его только в закрытой сети.",
        );
    }
    if changed {
        screen.dirty = true;
        screen.saved = false;
    }
    ui.add_space(8.0);
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        if ui.add_enabled(screen.dirty && !screen.saving, egui::Button::new("Сохранить")).clicked() {
            save(screen, &mut commands);
        }
        if screen.saving {
            ui.spinner();
            ui.label("Записывается…");
        }
        if screen.dirty && !screen.saving && ui.button("Отменить изменения").clicked() && screen.loads.reload()
        {
            commands.push(LOAD);
        }
    });
    let saved = screen.saved.then_some("Настройки сохранены. Новый пароль действует сразу.");
    super::message_line(ui, screen.error.as_deref(), saved);

    ui.add_space(12.0);
    roistat_block(ui, app);
    app.app.commands.extend(commands);
}

fn save(screen: &mut SettingsScreen, commands: &mut Vec<Command>) {
    let Some(form) = screen.form.as_mut() else { return };
    let min = screen.min_created.trim();
    form.export_min_created = if min.is_empty() {
        None
    } else {
        match min.parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                screen.error = Some(format!("Дата «{min}» не распознана: укажите её в виде ГГГГ-ММ-ДД"));
                return;
            }
        }
    };
    let proxies: Vec<String> = screen
        .trusted_proxies
        .split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if let Err(e) = crate::service::client_addr::TrustedProxies::parse(&proxies) {
        screen.error = Some(e.to_string());
        return;
    }
    form.trusted_proxies = proxies;
    if form.publication.trim().trim_matches('/').is_empty() {
        screen.error = Some("Укажите имя публикации, например crm_httpAnalytics".into());
        return;
    }
    if form.listen.trim().parse::<std::net::SocketAddr>().is_err() {
        screen.error = Some(format!(
            "Адрес сервиса «{}» не распознан: укажите его в виде 127.0.0.1:8085 или 0.0.0.0:8085",
            form.listen.trim()
        ));
        return;
    }
    if screen.password.is_empty() {
        screen.error = Some("Пароль не может быть пустым: нажмите «Сгенерировать новый»".into());
        return;
    }
    form.listen = form.listen.trim().to_string();
    form.login = form.login.trim().to_string();
    form.password = Secret::new(screen.password.clone());
    let restart = screen.saved_listen.as_deref() != Some(form.listen.as_str());
    screen.saving = true;
    screen.dirty = false;
    screen.saved = false;
    let write = AdminWrite::ServiceSettings { settings: Box::new(form.clone()), restart };
    commands.push(Command::Admin(AdminCommand::Write(write)));
}

/// «Что указать в Roistat»: the exact values for «Своя CRM», each with a copy button.
fn roistat_block(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.settings, &mut app.app.commands);
    let Some(form) = screen.form.as_ref() else { return };
    // Roistat calls the external address; the check below calls the service on this computer.
    let url = form.roistat_url();
    let local_url = screen.url();
    let reach_problem = form.roistat_reach_problem();
    let login = form.login.clone();
    let password = screen.password.clone();
    ui.label(RichText::new("Что указать в Roistat").strong());
    note(ui, "Roistat → Интеграции → «Своя CRM (новая интеграция)»: вставьте эти значения.");
    egui::Grid::new("roistat_block").num_columns(3).spacing([16.0, 6.0]).show(ui, |ui| {
        ui.label("URL:");
        ui.label(RichText::new(&url).monospace());
        copy_button(ui, "URL", &url);
        ui.end_row();
        ui.label("Пользователь:");
        ui.label(RichText::new(&login).monospace());
        copy_button(ui, "пользователя", &login);
        ui.end_row();
        ui.label("Пароль:");
        ui.label(
            RichText::new(if screen.show_password { password.clone() } else { Secret::new(password.clone()).masked() })
                .monospace(),
        );
        copy_button(ui, "пароль для Roistat", &password);
        ui.end_row();
        ui.label("Метод:");
        ui.label(RichText::new("GET").monospace());
        copy_button(ui, "метод", "GET");
        ui.end_row();
        ui.label("Формат данных:");
        ui.label(RichText::new("JSON").monospace());
        copy_button(ui, "формат", "JSON");
        ui.end_row();
    });
    note(ui, "В форме Roistat выберите формат JSON, не XML: сервис отвечает только в JSON.");
    if let Some(problem) = &reach_problem {
        error_label(ui, problem);
    }
    if screen.dirty {
        note(ui, "Значения вступят в силу после «Сохранить».");
    }
    ui.horizontal(|ui| {
        if ui.button("Проверить").on_hover_text("Запрос к сервису по этому URL должен вернуть OK").clicked()
        {
            screen.check = None;
            let check_url =
                format!("{local_url}?user={}&token={}", login, crate::service::auth::token(&login, &password));
            let shown = local_url.clone();
            commands.push(Command::Admin(AdminCommand::CheckService { url: check_url, shown }));
        }
        match &screen.check {
            Some(Ok(())) => ok_label(ui, "OK"),
            Some(Err(e)) => error_label(ui, e),
            None => {}
        }
    });
    ui.add_space(8.0);
    ui.label(RichText::new("Перенос проекта Roistat на другую базу").strong());
    note(
        ui,
        "Если подключить проект Roistat к другой базе, Roistat удалит у себя старые заказы за последние \
         один-два месяца и загрузит заказы новой базы; сделки, которых в ней нет, пропадут из отчётов. \
         Перед переносом сделайте резервную копию, а в Roistat и здесь укажите одинаковую минимальную \
         дату заказа («Не выгружать заказы, созданные до»).",
    );
}
