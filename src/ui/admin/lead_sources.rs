//! «Источники получения заявок»: the list and the form, with the telephony light.

use super::{SourcesTab, copy_button, error_label, note, ok_label, secret_row, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, LeadSourceCheck, Written};
use crate::domain::{LeadSource, Light, Responsible, Role, Secret, Telephony, User};
use crate::ui::Window;
use egui::RichText;

#[derive(Default)]
pub struct LeadSourcesScreen {
    pub list: Vec<LeadSource>,
    pub telephony: Telephony,
    /// The source being edited (id 0: new).
    pub form: Option<LeadSource>,
    pub api_key: String,
    pub show_key: bool,
    pub error: Option<String>,
    pub saved: bool,
    /// What «Проверить подключение» found.
    pub check: Option<LeadSourceCheck>,
    /// The check runs.
    pub checking: bool,
    /// The address Roistat is given: the service's «Внешний адрес для Roistat» and path.
    pub roistat_url: String,
    /// Why Roistat cannot reach that address, if it cannot.
    pub reach_problem: Option<String>,
    pub loads: super::Loads,
}

impl LeadSourcesScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::LeadSources { list, telephony, roistat_url, reach_problem }) => {
                self.list = list;
                self.telephony = telephony;
                self.roistat_url = roistat_url;
                self.reach_problem = reach_problem;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        match result {
            Ok(Written::LeadSource(saved)) => {
                if self.form.as_ref().is_some_and(|f| f.id == 0 || f.id == saved.id) {
                    self.form = Some(*saved);
                }
                self.error = None;
                self.saved = true;
            }
            Ok(Written::LeadSourceDeleted) => self.form = None,
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    fn edit(&mut self, source: LeadSource) {
        self.api_key = source.api_key.expose().to_string();
        self.form = Some(source);
        self.error = None;
        self.saved = false;
        self.check = None;
    }
}

/// What the check verified, part by part: each line says what was checked and how it went.
fn check_ui(ui: &mut egui::Ui, check: &LeadSourceCheck) {
    match &check.service {
        Ok(address) => {
            ok_label(ui, &format!("Сервис: отвечает по адресу {address} с логином и паролем из настроек HTTP-сервиса"))
        }
        Err(e) => error_label(ui, &format!("Сервис: {e}")),
    }
    match &check.key {
        Some(Ok(projects)) => ok_label(
            ui,
            &format!("API-ключ: принят Roistat (запрос списка проектов; проектов, видных ключу: {projects})"),
        ),
        Some(Err(e)) => error_label(ui, &format!("API-ключ: {e}")),
        None => note(ui, "API-ключ не указан, поэтому не проверялся."),
    }
    note(
        ui,
        "Заявки от Roistat эта проверка не создаёт: что Roistat действительно обращается к сервису, видно в журнале \
         обмена.",
    );
}

/// The light's accessible text: why it has this colour.
pub fn light_text(telephony: &Telephony) -> String {
    match telephony.light() {
        Light::Green => "Телефония: настроена, проверка пройдена".into(),
        Light::Amber => "Телефония: настроена, проверка не пройдена или не выполнялась".into(),
        Light::Red => "Телефония не настроена".into(),
    }
}

fn light_tooltip(telephony: &Telephony) -> String {
    match &telephony.last_check {
        _ if !telephony.is_set_up() => {
            "Укажите провайдера и адрес АТС на вкладке «Телефония», иначе звонки не станут заявками".into()
        }
        Some(c) => format!("Последняя проверка {}: {}", super::time(c.at), c.message),
        None => "Проверка ещё не выполнялась: нажмите «Проверить» на вкладке «Телефония»".into(),
    }
}

/// The traffic light: a coloured dot and its meaning.
pub fn light_ui(ui: &mut egui::Ui, telephony: &Telephony) -> bool {
    let color = match telephony.light() {
        Light::Green => egui::Color32::from_rgb(40, 170, 60),
        Light::Amber => egui::Color32::from_rgb(230, 160, 20),
        Light::Red => egui::Color32::from_rgb(210, 40, 40),
    };
    let tip = light_tooltip(telephony);
    let text = light_text(telephony);
    ui.label(RichText::new("●").color(color).size(18.0)).on_hover_text(&tip);
    ui.label(&text).on_hover_text(&tip);
    ui.link("Настройки телефонии").clicked()
}

fn responsible_title(r: Option<Responsible>, users: &[User]) -> String {
    match r {
        None => "Не указан".into(),
        Some(Responsible::User(id)) => {
            users.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_else(|| format!("Пользователь №{id}"))
        }
        Some(Responsible::Role(role)) => format!("Роль: {}", role.title()),
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let screen = &mut app.admin.lead_sources;
    if screen.loads.ask(false) {
        app.app.commands.push(Command::Admin(AdminCommand::Load(AdminForm::LeadSources)));
    }
    if !screen.loads.loaded() {
        super::loading_ui(ui);
        return;
    }
    if screen.list.is_empty() {
        ui.label("Не настроено ни одного источника получения заявок.");
    }
    let mut pick = None;
    for s in &screen.list {
        let on = screen.form.as_ref().is_some_and(|f| f.id == s.id);
        if ui.selectable_label(on, format!("{} — {}, {}", s.name, s.kind.title(), s.source_type.title())).clicked() {
            pick = Some(s.clone());
        }
    }
    if let Some(s) = pick {
        screen.edit(s);
    }
    if ui.button("Добавить источник получения заявок").clicked() {
        screen.edit(LeadSource { use_leads: true, ..LeadSource::default() });
    }
    if screen.form.is_none() {
        return;
    }
    ui.separator();
    let users = &app.app.users;
    let mut go_telephony = false;
    let mut go_settings = false;
    let mut check_clicked = false;
    let Some(form) = screen.form.as_mut() else { return };
    ui.label(RichText::new(if form.id == 0 { "Новый источник" } else { "Источник" }).strong());
    egui::Grid::new("lead_source_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Наименование:", &mut form.name);
        ui.label("Вид:");
        ui.label(form.kind.title());
        ui.end_row();
        ui.label("Тип:");
        ui.label(form.source_type.title());
        ui.end_row();
        ui.label("Ответственный:");
        let current = responsible_title(form.responsible, users);
        let combo =
            egui::ComboBox::from_id_salt("responsible").selected_text(&current).width(280.0).show_ui(ui, |ui| {
                if ui.selectable_label(form.responsible.is_none(), "Не указан").clicked() {
                    form.responsible = None;
                }
                ui.label(RichText::new("Пользователи").weak());
                for u in users {
                    let r = Some(Responsible::User(u.id));
                    if ui.selectable_label(form.responsible == r, &u.name).clicked() {
                        form.responsible = r;
                    }
                }
                ui.label(RichText::new("Роли").weak());
                for role in Role::ALL {
                    let r = Some(Responsible::Role(role));
                    if ui.selectable_label(form.responsible == r, format!("Роль: {}", role.title())).clicked() {
                        form.responsible = r;
                    }
                }
            });
        crate::ui::widgets::name_combo(&combo.response, "Ответственный", &current);
        ui.end_row();
        ui.label("");
        ui.horizontal(|ui| {
            ui.checkbox(&mut form.use_calls, "Использовать звонки");
            ui.add_space(12.0);
            go_telephony = light_ui(ui, &screen.telephony);
        });
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut form.use_leads, "Использовать заявки");
        ui.end_row();
        ui.label("Адрес сервиса Roistat:");
        let service_address = &screen.roistat_url;
        ui.horizontal(|ui| {
            let l = ui.label(RichText::new(service_address).monospace());
            l.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Label, true, format!("Адрес сервиса Roistat: {service_address}"))
            });
            copy_button(ui, "адрес сервиса Roistat", service_address);
        });
        ui.end_row();
        secret_row(ui, "API-ключ:", &mut screen.api_key, &mut screen.show_key);
        text_row(ui, "Адрес API (пусто — облако Roistat):", &mut form.api_base);
    });
    // Below the grid, across the form's width: the hint is long and wraps.
    match &screen.reach_problem {
        Some(problem) => error_label(ui, problem),
        None => note(ui, "Адрес сервиса собран из настройки «Внешний адрес для Roistat»."),
    }
    if ui.link("Изменить внешний адрес").clicked() {
        go_settings = true;
    }
    note(ui, "Адрес сервиса Roistat вставьте в Roistat («Своя CRM»); API-ключ возьмите в настройках проекта Roistat.");
    ui.horizontal(|ui| {
        if ui.button("Сохранить").clicked() {
            form.name = form.name.trim().to_string();
            form.api_key = Secret::new(screen.api_key.trim());
            form.api_base = form.api_base.trim().to_string();
            if form.name.is_empty() {
                screen.error = Some("Укажите наименование источника".into());
            } else {
                screen.saved = false;
                app.app
                    .commands
                    .push(Command::Admin(AdminCommand::Write(AdminWrite::LeadSource(Box::new(form.clone())))));
            }
        }
        if ui
            .add_enabled(!screen.checking, egui::Button::new("Проверить подключение"))
            .on_hover_text("Проверяет сервис по адресу для Roistat и API-ключ запросом к API Roistat")
            .clicked()
        {
            check_clicked = true;
        }
        if form.id != 0 && ui.button("Удалить").clicked() {
            app.app.commands.push(Command::Admin(AdminCommand::Write(AdminWrite::DeleteLeadSource(form.id))));
        }
    });
    super::message_line(ui, screen.error.as_deref(), screen.saved.then_some("Источник сохранён."));
    if screen.checking {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Проверяется…");
        });
    }
    if let Some(check) = &screen.check {
        check_ui(ui, check);
    }
    if check_clicked && let Some(form) = &screen.form {
        screen.check = None;
        screen.checking = true;
        app.app.commands.push(Command::Admin(AdminCommand::CheckLeadSource {
            api_base: form.api_base.trim().to_string(),
            api_key: Secret::new(screen.api_key.trim()),
        }));
    }
    if go_settings {
        app.app.commands.push(Command::Navigate(crate::app::Page::Settings));
    }
    if go_telephony {
        app.admin.sources_tab = Some(SourcesTab::Telephony);
    }
}
