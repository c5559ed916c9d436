//! «Доп. реквизиты и статусы»: extra fields (sync goes by the developer name), statuses with their
//! groups, and «Использовать сквозную аналитику», which creates the service fields.

use super::{note, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, Written};
use crate::domain::{DevNameError, ExtraField, FieldKind, Status, StatusGroup, validate_dev_name};
use crate::ui::Window;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct CatalogScreen {
    pub fields: Vec<ExtraField>,
    pub statuses: Vec<Status>,
    pub analytics_enabled: bool,
    pub field_form: Option<ExtraField>,
    pub status_form: Option<Status>,
    pub error: Option<String>,
    pub info: Option<String>,
    /// «Удалить статус …?» is asked for this one.
    pub confirm_delete_status: Option<Status>,
    /// A save of the field form was tried: its checks may speak before anything is typed.
    field_save_tried: bool,
    pub loads: super::Loads,
}

impl CatalogScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::Catalog { fields, statuses, analytics_enabled }) => {
                self.fields = fields;
                self.statuses = statuses;
                self.analytics_enabled = analytics_enabled;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        match result {
            Ok(Written::Analytics { enabled, created }) => {
                self.analytics_enabled = enabled;
                self.error = None;
                self.info = enabled.then(|| match created {
                    0 => "Служебные реквизиты и статусы на месте.".to_string(),
                    n => format!("Создано недостающих реквизитов и статусов: {n}"),
                });
                self.loads.stale = true;
            }
            Ok(Written::StatusOrder) => {
                self.error = None;
                self.loads.stale = true;
            }
            Ok(Written::Status) => {
                self.status_form = None;
                self.error = None;
                self.loads.stale = true;
            }
            Ok(Written::StatusUseCount { status, count: 0 }) => self.confirm_delete_status = Some(status),
            Ok(Written::StatusUseCount { status, count }) => {
                self.error = Some(format!(
                    "Статус «{}» стоит у заявок: {count}. Сначала переведите их в другой статус (групповое изменение).",
                    status.name
                ))
            }
            Ok(Written::StatusDeleted(status)) => {
                self.error = None;
                self.info = Some(format!("Статус «{}» удалён", status.name));
                self.loads.stale = true;
            }
            Ok(Written::ExtraField | Written::ExtraFieldDeleted) => {
                self.error = None;
                self.field_form = None;
                self.field_save_tried = false;
                self.loads.stale = true;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    /// Why a developer name cannot be taken, if it cannot. Silent on an untouched new form: no
    /// red line before anything was typed.
    pub fn dev_name_error(&self) -> Option<String> {
        let form = self.field_form.as_ref()?;
        let name = form.dev_name.trim();
        if name.is_empty() && !self.field_save_tried {
            return None;
        }
        if let Err(e) = validate_dev_name(name) {
            return Some(e.to_string());
        }
        if self.fields.iter().any(|f| f.dev_name == name && f.id != form.id) {
            return Some(DevNameError::Duplicate(name.to_string()).to_string());
        }
        None
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.catalog, &mut app.app.commands);
    if screen.loads.ask(false) {
        commands.push(Command::Admin(AdminCommand::Load(AdminForm::Catalog)));
    }
    ui.heading("Доп. реквизиты и статусы");
    if !screen.loads.loaded() {
        super::loading_ui(ui);
        return;
    }
    let mut enabled = screen.analytics_enabled;
    if ui.checkbox(&mut enabled, "Использовать сквозную аналитику").changed() {
        commands.push(write(AdminWrite::Analytics(enabled)));
    }
    note(
        ui,
        "При включении создаются служебные реквизиты для идентификаторов Roistat и поля utm_source, utm_medium, \
         utm_campaign. Если какого-то не хватает, выключите и снова включите флажок: недостающие будут созданы.",
    );
    super::message_line(ui, None, screen.info.as_deref());
    ui.add_space(8.0);
    ui.label(RichText::new(format!("Доп. реквизиты ({})", screen.fields.len())).strong());
    let fields = screen.fields.clone();
    let mut pick = None;
    TableBuilder::new(ui)
        .id_salt("extra_fields")
        .striped(true)
        .column(Column::initial(260.0).clip(true))
        .column(Column::initial(220.0).clip(true))
        .column(Column::initial(90.0))
        .column(Column::remainder())
        .header(22.0, |mut h| {
            for t in ["Наименование", "Имя для разработчиков", "Тип", ""] {
                h.col(|ui| {
                    ui.strong(t);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, fields.len(), |mut row| {
                let f = &fields[row.index()];
                row.col(|ui| {
                    ui.label(&f.name);
                });
                row.col(|ui| {
                    ui.label(RichText::new(&f.dev_name).monospace());
                });
                row.col(|ui| {
                    ui.label("Строка");
                });
                row.col(|ui| {
                    if f.service {
                        ui.label(RichText::new("служебный").weak());
                    } else if ui.small_button("Изменить").clicked() {
                        pick = Some(f.clone());
                    }
                });
            });
        });
    if let Some(f) = pick {
        screen.field_form = Some(f);
    }
    if ui.button("Добавить доп. реквизит").clicked() {
        screen.field_save_tried = false;
        screen.error = None;
        screen.field_form = Some(ExtraField {
            id: 0,
            name: String::new(),
            dev_name: String::new(),
            kind: FieldKind::Text,
            service: false,
        });
    }
    if screen.field_form.is_some() {
        field_form_ui(ui, app);
    }
    let (screen, commands) = (&mut app.admin.catalog, &mut app.app.commands);
    ui.add_space(12.0);
    ui.label(RichText::new(format!("Статусы ({})", screen.statuses.len())).strong());
    let mut pick = None;
    let mut swap = None;
    let mut delete = None;
    let count = screen.statuses.len();
    egui::Grid::new("statuses").num_columns(4).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
        for t in ["Порядок", "Статус", "Группа", ""] {
            ui.strong(t);
        }
        ui.end_row();
        for (i, s) in screen.statuses.iter().enumerate() {
            ui.label((i + 1).to_string());
            ui.label(&s.name);
            ui.label(s.group.title());
            ui.horizontal(|ui| {
                if ui.small_button("Изменить").clicked() {
                    pick = Some(s.clone());
                }
                if ui.add_enabled(i > 0, egui::Button::new("Выше").small()).clicked() {
                    swap = Some((i - 1, i));
                }
                if ui.add_enabled(i + 1 < count, egui::Button::new("Ниже").small()).clicked() {
                    swap = Some((i, i + 1));
                }
                if ui
                    .small_button("Удалить")
                    .on_hover_text("Только статус, который не стоит ни у одной заявки")
                    .clicked()
                {
                    delete = Some(s.clone());
                }
            });
            ui.end_row();
        }
    });
    if let Some(s) = pick {
        screen.status_form = Some(s);
    }
    if let Some((a, b)) = swap {
        // The order is the list's order: numbered anew, so equal or sparse numbers cannot stall a move.
        let mut statuses = screen.statuses.clone();
        statuses.swap(a, b);
        let mut moved = Vec::new();
        for (order, status) in statuses.iter_mut().enumerate() {
            let order = order as i32;
            if status.order != order {
                status.order = order;
                moved.push(status.clone());
            }
        }
        commands.push(write(AdminWrite::StatusOrder(moved)));
    }
    if let Some(status) = delete {
        commands.push(write(AdminWrite::AskDeleteStatus(status)));
    }
    if let Some(status) = screen.confirm_delete_status.clone() {
        ui.horizontal(|ui| {
            ui.label(format!("Удалить статус «{}»?", status.name));
            if ui.button("Да, удалить").clicked() {
                commands.push(write(AdminWrite::DeleteStatus(status)));
                screen.confirm_delete_status = None;
            }
            if ui.button("Нет").clicked() {
                screen.confirm_delete_status = None;
            }
        });
    }
    if ui.button("Добавить статус").clicked() {
        let order = screen.statuses.iter().map(|s| s.order).max().map_or(0, |o| o + 1);
        screen.status_form = Some(Status { id: 0, name: String::new(), group: StatusGroup::InWork, order });
    }
    if let Some(form) = screen.status_form.as_mut() {
        let mut save = false;
        let mut close = false;
        egui::Grid::new("status_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            text_row(ui, "Наименование статуса:", &mut form.name);
            ui.label("Группа:");
            let combo =
                egui::ComboBox::from_id_salt("status_group").selected_text(form.group.title()).show_ui(ui, |ui| {
                    for g in StatusGroup::ALL {
                        ui.selectable_value(&mut form.group, g, g.title());
                    }
                });
            crate::ui::widgets::name_combo(&combo.response, "Группа", form.group.title());
            ui.end_row();
            let l = ui.label("Порядок:");
            ui.add(egui::DragValue::new(&mut form.order)).labelled_by(l.id);
            ui.end_row();
        });
        note(ui, "Группа задаёт, как статус учитывается в воронке и в распределении статусов Roistat.");
        ui.horizontal(|ui| {
            save = ui.button("Сохранить статус").clicked();
            close = ui.button("Закрыть").clicked();
        });
        if save {
            form.name = form.name.trim().to_string();
            if form.name.is_empty() {
                screen.error = Some("Укажите наименование статуса".into());
            } else {
                commands.push(write(AdminWrite::Status(form.clone())));
            }
        }
        if close {
            screen.status_form = None;
        }
    }
    super::message_line(ui, screen.error.as_deref(), None);
}

fn field_form_ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.catalog, &mut app.app.commands);
    let dev_error = screen.dev_name_error();
    let Some(form) = screen.field_form.as_mut() else { return };
    ui.add_space(6.0);
    ui.label(RichText::new(if form.id == 0 { "Новый доп. реквизит" } else { "Доп. реквизит" }).strong());
    egui::Grid::new("field_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Наименование реквизита:", &mut form.name);
        text_row(ui, "Имя для разработчиков:", &mut form.dev_name);
        ui.label("Тип значения:");
        ui.label("Строка");
        ui.end_row();
    });
    super::message_line(ui, dev_error.as_deref(), None);
    note(
        ui,
        "Синхронизация с Roistat идёт по имени для разработчиков: оно должно совпадать с ключом поля в Roistat. \
         Тип — только «Строка»: Roistat передаёт все значения строками.",
    );
    let mut save = false;
    let mut close = false;
    let mut delete = false;
    ui.horizontal(|ui| {
        save = ui.button("Сохранить реквизит").clicked();
        if form.id != 0 {
            delete = ui.button("Удалить реквизит").clicked();
        }
        close = ui.button("Закрыть").clicked();
    });
    if save {
        form.name = form.name.trim().to_string();
        form.dev_name = form.dev_name.trim().to_string();
        let dev_error = dev_error.or_else(|| validate_dev_name(&form.dev_name).err().map(|e| e.to_string()));
        screen.field_save_tried = true;
        if let Some(e) = dev_error {
            screen.error = Some(format!("Реквизит не сохранён: {e}"));
        } else if form.name.is_empty() {
            screen.error = Some("Укажите наименование доп. реквизита".into());
        } else {
            commands.push(write(AdminWrite::ExtraField(form.clone())));
        }
    }
    if delete {
        commands.push(write(AdminWrite::DeleteExtraField(form.id)));
    }
    if close {
        screen.field_form = None;
        screen.field_save_tried = false;
    }
}

fn write(write: AdminWrite) -> Command {
    Command::Admin(AdminCommand::Write(write))
}
