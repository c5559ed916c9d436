//! The lead form: every field of a lead, extra fields as rows, the Roistat marker with live checks.

use super::Catalog;
use crate::domain::{
    Call, Client, Comment, HistoryEntry, Lead, LeadEdit, LeadValue, MARKER_FIELD, Marker, Money,
    marker_text_from_attraction,
};
use crate::leads::{MarkerCheck, check_marker};
use jiff::Timestamp;

pub(crate) enum FormAction {
    None,
    Save,
    SaveAndClose,
    Close,
    Copy,
    /// After a conflict: read the lead again, keeping what was typed where nobody else changed.
    Refresh,
    /// After a conflict: save what was typed over the other change («Записать поверх»).
    Overwrite,
}

pub(crate) struct LeadForm {
    /// As stored (or the blank new lead): what «changed» compares against.
    pub original: Lead,
    pub lead: Lead,
    pub is_new: bool,
    /// The «Roistat маркер» row: `None` when the lead has no such row.
    pub marker: Option<String>,
    pub price: String,
    pub cost: String,
    client_original: Client,
    pub client: Client,
    new_comment: String,
    calls: Vec<Call>,
    pub error: Option<String>,
    tz: jiff::tz::TimeZone,
    /// «Сохранить изменения?» is asked.
    pub confirm_close: bool,
    /// A save is under way: «Записать» waits for its answer.
    pub saving: bool,
    /// «Обновить» is under way.
    pub refreshing: bool,
    /// Someone changed a field this form changed too, after the form read the lead.
    pub conflict: Option<Conflict>,
    /// Other people who have this lead open now (team database).
    pub present: Vec<String>,
    /// Shown, not changed (a marketer).
    pub read_only: bool,
    /// «История изменений»: `None` while it loads.
    pub history: Option<Result<Vec<HistoryEntry>, String>>,
}

/// A save refused because someone changed the same fields meanwhile.
pub(crate) struct Conflict {
    /// Who, when, and what to do (the store's words).
    pub message: String,
    pub by: String,
    /// The lead as stored now.
    pub current: Lead,
    /// «Сравнить» is open: the fields both changed, this form's value and the stored one.
    pub clashes: Option<Vec<(LeadValue, LeadValue)>>,
}

fn money_text(m: Money) -> String {
    if m == Money::ZERO { String::new() } else { m.to_input_text() }
}

fn parse_money(text: &str, what: &str) -> Result<Money, String> {
    if text.trim().is_empty() {
        return Ok(Money::ZERO);
    }
    Money::parse(text).ok_or_else(|| format!("{what}: введите число, например 12500 или 12 500,50"))
}

impl LeadForm {
    pub fn new(lead: Lead, client: Option<Client>, calls: Vec<Call>, is_new: bool, tz: jiff::tz::TimeZone) -> LeadForm {
        let client = client.unwrap_or_default();
        LeadForm {
            marker: lead.marker.as_ref().map(|m| m.to_string()),
            price: money_text(lead.price),
            cost: money_text(lead.cost),
            original: lead.clone(),
            lead,
            is_new,
            client_original: client.clone(),
            client,
            new_comment: String::new(),
            calls,
            error: None,
            tz,
            confirm_close: false,
            saving: false,
            refreshing: false,
            conflict: None,
            present: Vec::new(),
            read_only: false,
            history: None,
        }
    }

    /// «Обновить» after a conflict: the form shows `current`, with this form's changes of fields
    /// that nobody else changed; where another change won, its value shows. The comment being
    /// typed and the client fields stay as typed.
    pub fn rebase(&mut self, current: Lead, calls: Vec<Call>, now: Timestamp) {
        self.refreshing = false;
        let edited = match self.build(now) {
            Ok(lead) => lead,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let mut merged = current.clone();
        for edit in LeadEdit::diff(&self.original, &edited) {
            if matches!(edit, LeadEdit::Set { .. }) && edit.fits(&current) {
                edit.apply(&mut merged);
            }
        }
        let (client, client_original) = (self.client.clone(), self.client_original.clone());
        let new_comment = std::mem::take(&mut self.new_comment);
        let history = self.history.take();
        *self = LeadForm::new(merged, Some(client_original), calls, false, self.tz.clone());
        self.history = history;
        self.original = current;
        self.client = client;
        self.new_comment = new_comment;
    }

    /// Opens or closes «Сравнить»: what this form would write against what is stored now.
    fn toggle_compare(&mut self) {
        let edited = self.build(Timestamp::now());
        let Some(conflict) = &mut self.conflict else { return };
        if conflict.clashes.take().is_some() {
            return;
        }
        match edited {
            Ok(edited) => conflict.clashes = Some(LeadEdit::clashes(&self.original, &edited, &conflict.current)),
            Err(e) => self.error = Some(e),
        }
    }

    /// After a save: the saved lead becomes the new original.
    pub fn reset_to(&mut self, lead: Lead, client: Option<Client>) {
        let calls = std::mem::take(&mut self.calls);
        *self = LeadForm::new(lead, client, calls, false, self.tz.clone());
    }

    pub fn is_changed(&self) -> bool {
        self.lead != self.original
            || self.marker != self.original.marker.as_ref().map(|m| m.to_string())
            || self.price != money_text(self.original.price)
            || self.cost != money_text(self.original.cost)
            || self.client != self.client_original
            || !self.new_comment.trim().is_empty()
    }

    /// The lead to save, or why not. Saving moves `updated`, so Roistat's export re-reads it.
    pub fn build(&self, now: Timestamp) -> Result<Lead, String> {
        let mut lead = self.lead.clone();
        lead.marker = match &self.marker {
            None => None,
            Some(text) => match check_marker(text) {
                MarkerCheck::Valid { .. } => Some(Marker::parse_source(text).map_err(|e| e.to_string())?),
                MarkerCheck::Empty => {
                    return Err("Roistat маркер пуст: введите его или удалите строку маркера".into());
                }
                MarkerCheck::Error(e) => return Err(format!("Roistat маркер: {e}")),
            },
        };
        lead.price = parse_money(&self.price, "Выручка")?;
        lead.cost = parse_money(&self.cost, "Себестоимость")?;
        if !self.new_comment.trim().is_empty() {
            lead.comments.push(Comment {
                at: now,
                title: "Комментарий".into(),
                text: self.new_comment.trim().to_string(),
                from_roistat: false,
            });
        }
        lead.updated = now;
        if self.is_new {
            lead.created = now;
        }
        Ok(lead)
    }

    /// The client to write, when its fields changed or a new one was typed.
    pub fn client_to_save(&self, now: Timestamp) -> Option<Client> {
        let empty = self.client.name.trim().is_empty()
            && self.client.phone.trim().is_empty()
            && self.client.email.trim().is_empty();
        if self.client == self.client_original || (self.client.id == 0 && empty) {
            return None;
        }
        let mut client = self.client.clone();
        client.updated = now;
        if client.id == 0 {
            client.created = now;
        }
        Some(client)
    }

    fn time(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone()).strftime("%d.%m.%Y %H:%M").to_string()
    }

    /// «Добавить Roistat маркер»: adds the row and fills it from the source of attraction.
    pub fn add_marker(&mut self) {
        let suggested = marker_text_from_attraction(&self.lead.attraction);
        match &mut self.marker {
            Some(text) if !text.is_empty() => {}
            slot => *slot = Some(suggested.unwrap_or_default()),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> FormAction {
        let mut action = FormAction::None;
        let heading = if self.is_new {
            "Новая заявка".to_string()
        } else if self.original.is_template {
            format!("Шаблон заявки № {}", self.original.number)
        } else {
            format!("Заявка № {}", self.original.number)
        };
        ui.horizontal(|ui| {
            ui.heading(heading);
            if self.is_changed() {
                ui.weak("(изменена)");
            }
        });
        if !self.present.is_empty() {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Сейчас открыта у: {}", self.present.join(", ")))
                .on_hover_text(
                    "Если вы оба измените одни и те же реквизиты, записавший вторым увидит, что изменил первый",
                );
        }
        if self.read_only {
            ui.horizontal(|ui| {
                if ui.button("Закрыть").on_hover_text("Esc").clicked() {
                    action = FormAction::Close;
                }
                ui.weak("Только просмотр");
            });
            ui.separator();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| ui.add_enabled_ui(false, |ui| self.fields_ui(ui, catalog)));
            return action;
        }
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(!self.saving, egui::Button::new("Записать")).clicked() {
                action = FormAction::Save;
            }
            if ui.add_enabled(!self.saving, egui::Button::new("Записать и закрыть")).clicked() {
                action = FormAction::SaveAndClose;
            }
            if ui
                .add_enabled(!self.is_new, egui::Button::new("Скопировать"))
                .on_hover_text("Новая заявка со всеми реквизитами этой (F9)")
                .clicked()
            {
                action = FormAction::Copy;
            }
            if ui.button("Закрыть").on_hover_text("Esc").clicked() {
                if self.is_changed() {
                    self.confirm_close = true;
                } else {
                    action = FormAction::Close;
                }
            }
        });
        // One line kept for «Записывается…» or the error, so the fields below do not jump.
        crate::ui::widgets::reserved_line(ui, |ui| {
            if self.saving {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Записывается…");
                });
            } else if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        });
        let mut compare = false;
        if let Some(conflict) = &self.conflict {
            ui.colored_label(ui.visuals().error_fg_color, &conflict.message);
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(!self.refreshing, egui::Button::new("Обновить"))
                    .on_hover_text("Прочитать заявку заново; ваши изменения других реквизитов сохранятся")
                    .clicked()
                {
                    action = FormAction::Refresh;
                }
                if ui
                    .add_enabled(!self.saving, egui::Button::new("Записать поверх"))
                    .on_hover_text("Записать ваши значения вместо чужих")
                    .clicked()
                {
                    action = FormAction::Overwrite;
                }
                let open = conflict.clashes.is_some();
                if ui
                    .selectable_label(open, "Сравнить")
                    .on_hover_text(
                        "Реквизиты, которые изменили и вы, и другой пользователь: ваше значение и записанное",
                    )
                    .clicked()
                {
                    compare = true;
                }
            });
            if let Some(clashes) = &conflict.clashes {
                super::compare::table_ui(ui, clashes, &conflict.by, catalog);
            }
        }
        if compare {
            self.toggle_compare();
        }
        ui.separator();
        // While a save runs the fields wait: what is typed then would be lost to the saved lead.
        let enabled = !self.saving && !self.refreshing;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| ui.add_enabled_ui(enabled, |ui| self.fields_ui(ui, catalog)));
        if self.confirm_close {
            action = self.confirm_ui(ui).unwrap_or(action);
        }
        action
    }

    fn confirm_ui(&mut self, ui: &mut egui::Ui) -> Option<FormAction> {
        let mut out = None;
        let modal = egui::Modal::new(egui::Id::unique("leads_form_confirm")).show(ui.ctx(), |ui| {
            ui.set_width(340.0);
            ui.heading("Сохранить изменения?");
            ui.label("Заявка изменена. Записать изменения перед закрытием?");
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Да").clicked() {
                    out = Some(FormAction::SaveAndClose);
                }
                if ui.button("Нет").clicked() {
                    out = Some(FormAction::Close);
                }
                if ui.button("Отмена").clicked() {
                    self.confirm_close = false;
                }
            });
        });
        if modal.should_close() && out.is_none() {
            self.confirm_close = false;
        }
        if out.is_some() {
            self.confirm_close = false;
        }
        out
    }

    fn fields_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) {
        let text_row = |ui: &mut egui::Ui, label: &str, value: &mut String| {
            let l = ui.label(label);
            ui.add(egui::TextEdit::singleline(value).desired_width(260.0)).labelled_by(l.id);
            ui.end_row();
        };
        egui::Grid::new("lead_form_main").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Дата");
            ui.label(self.time(self.lead.created));
            ui.end_row();
            text_row(ui, "Наименование", &mut self.lead.title);
            let l = ui.label("Статус");
            catalog.status_ui(ui, "lead_form_status", &mut self.lead.status_id).labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Источник получения заявок");
            egui::ComboBox::from_id_salt("lead_form_source")
                .selected_text(catalog.source_name(self.lead.lead_source_id))
                .width(240.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.lead.lead_source_id, None, "Не указан");
                    for s in &catalog.sources {
                        ui.selectable_value(&mut self.lead.lead_source_id, Some(s.id), &s.name);
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Ответственный");
            catalog.responsible_ui(ui, "lead_form_responsible", &mut self.lead.responsible).labelled_by(l.id);
            ui.end_row();
            text_row(ui, "Клиент", &mut self.client.name);
            text_row(ui, "Телефон", &mut self.client.phone);
            text_row(ui, "E-mail", &mut self.client.email);
            text_row(ui, "Выручка, руб.", &mut self.price);
            text_row(ui, "Себестоимость, руб.", &mut self.cost);
            ui.label("Происхождение");
            ui.label(self.lead.origin.title());
            ui.end_row();
        });
        ui.label("Описание");
        ui.add(egui::TextEdit::multiline(&mut self.lead.text).desired_rows(3).desired_width(f32::INFINITY));

        ui.add_space(6.0);
        ui.strong("Источник привлечения");
        egui::Grid::new("lead_form_attraction").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            text_row(ui, "Канал", &mut self.lead.attraction.channel);
            text_row(ui, "Источник", &mut self.lead.attraction.source);
            text_row(ui, "Кампания", &mut self.lead.attraction.campaign);
            let utm = &self.lead.utm;
            if !(utm.source.is_empty() && utm.medium.is_empty() && utm.campaign.is_empty()) {
                ui.label("UTM");
                ui.weak(format!("{} / {} / {}", utm.source, utm.medium, utm.campaign));
                ui.end_row();
            }
        });

        ui.add_space(6.0);
        self.extra_ui(ui, catalog);

        ui.add_space(6.0);
        ui.strong("Roistat");
        egui::Grid::new("lead_form_roistat").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Идентификатор заявки Roistat");
            ui.label(self.lead.roistat_lead_id.as_deref().unwrap_or("—"));
            ui.end_row();
            ui.label("Идентификатор менеджера Roistat");
            ui.label(self.lead.roistat_manager_id.as_deref().unwrap_or("—"));
            ui.end_row();
        });

        ui.add_space(6.0);
        ui.strong("Комментарии");
        for comment in &self.lead.comments {
            let from = if comment.from_roistat { " · из Roistat" } else { "" };
            ui.weak(format!("{}{from} · {}", self.time(comment.at), comment.title));
            ui.label(&comment.text);
        }
        let l = ui.label("Новый комментарий");
        ui.add(egui::TextEdit::multiline(&mut self.new_comment).desired_rows(2).desired_width(f32::INFINITY))
            .labelled_by(l.id);

        ui.add_space(6.0);
        ui.strong("Задачи");
        if self.lead.tasks.is_empty() {
            ui.weak("Задач нет");
        }
        for task in &mut self.lead.tasks {
            ui.horizontal(|ui| {
                // Tasks from Roistat are Roistat's: read-only here.
                ui.add_enabled(!task.from_roistat, egui::Checkbox::new(&mut task.done, ""))
                    .accessible_name("Выполнена");
                let deadline = task.deadline.map(|d| d.strftime("%d.%m.%Y").to_string()).unwrap_or_default();
                ui.label(format!("{} {deadline}", task.text));
                if task.from_roistat {
                    ui.weak("из Roistat");
                }
            });
        }

        ui.add_space(6.0);
        ui.strong("Звонки");
        if self.calls.is_empty() {
            ui.weak("Звонков нет");
        }
        for call in &self.calls {
            ui.label(format!(
                "{} · {} → {} · {} · {} с",
                self.time(call.at),
                call.caller,
                call.callee,
                call.status.title(),
                call.duration_seconds
            ));
        }
        if !self.is_new {
            ui.add_space(6.0);
            egui::CollapsingHeader::new("История изменений").id_salt("lead_form_history").show(ui, |ui| {
                self.history_ui(ui);
            });
        }
    }

    /// When, who (from where), which field from what to what; newest first.
    fn history_ui(&self, ui: &mut egui::Ui) {
        let entries = match &self.history {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("История загружается…");
                });
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Историю прочитать не удалось: {e}"));
                return;
            }
            Some(Ok(entries)) if entries.is_empty() => {
                ui.weak("Изменений пока нет");
                return;
            }
            Some(Ok(entries)) => entries,
        };
        egui::Grid::new("lead_form_history_grid").num_columns(5).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for title in ["Когда", "Кто", "Реквизит", "Было", "Стало"] {
                ui.strong(title);
            }
            ui.end_row();
            for entry in entries {
                for (i, change) in entry.changes.iter().enumerate() {
                    if i == 0 {
                        ui.label(self.time(entry.at));
                        ui.label(&entry.author).on_hover_text(format!("Откуда: {}", entry.origin));
                    } else {
                        ui.label("");
                        ui.label("");
                    }
                    ui.label(&change.field);
                    ui.label(if change.from.is_empty() { "—" } else { change.from.as_str() });
                    ui.label(&change.to);
                    ui.end_row();
                }
            }
        });
    }

    fn extra_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) {
        ui.horizontal(|ui| {
            ui.strong("Доп. реквизиты");
            if ui
                .button("Добавить Roistat маркер")
                .on_hover_text("Строка «Roistat маркер», заполненная из источника привлечения, например seo_yandex")
                .clicked()
            {
                self.add_marker();
            }
        });
        let mut remove_marker = false;
        let mut remove = None;
        if let Some(text) = &mut self.marker {
            ui.horizontal(|ui| {
                let l = ui.label("Roistat маркер");
                ui.add(egui::TextEdit::singleline(text).desired_width(240.0).hint_text("например seo_yandex"))
                    .labelled_by(l.id);
                if ui.small_button("×").on_hover_text("Удалить строку").clicked() {
                    remove_marker = true;
                }
            });
            marker_check_ui(ui, text);
        }
        egui::Grid::new("lead_form_extra").num_columns(3).spacing([8.0, 6.0]).show(ui, |ui| {
            for (dev_name, value) in &mut self.lead.extra {
                let l = ui.label(catalog.field_name(dev_name));
                // Sized explicitly: a grid measures a text field narrow on its first pass.
                ui.add_sized([240.0, 20.0], egui::TextEdit::singleline(value)).labelled_by(l.id);
                if ui.small_button("×").on_hover_text("Удалить строку").clicked() {
                    remove = Some(dev_name.clone());
                }
                ui.end_row();
            }
        });
        if remove_marker {
            self.marker = None;
        }
        if let Some(dev_name) = remove {
            self.lead.extra.remove(&dev_name);
        }
        let missing: Vec<_> = catalog
            .fields
            .iter()
            .filter(|f| {
                if f.dev_name == MARKER_FIELD {
                    self.marker.is_none()
                } else {
                    !self.lead.extra.contains_key(&f.dev_name)
                }
            })
            .collect();
        if !missing.is_empty() {
            egui::ComboBox::from_id_salt("lead_form_add_field")
                .selected_text("Добавить доп. реквизит…")
                .show_ui(ui, |ui| {
                    for field in missing {
                        if ui.selectable_label(false, &field.name).clicked() {
                            if field.dev_name == MARKER_FIELD {
                                self.add_marker();
                            } else {
                                self.lead.extra.insert(field.dev_name.clone(), String::new());
                            }
                        }
                    }
                })
                .response
                .accessible_name("Добавить доп. реквизит");
        }
        if !self.lead.unmapped.is_empty() {
            ui.weak(format!(
                "Прочие поля из Roistat: {}",
                self.lead.unmapped.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
}

/// The live check under a marker field: the error, or the levels, and a warning for digits only.
pub(crate) fn marker_check_ui(ui: &mut egui::Ui, text: &str) {
    ui.vertical(|ui| match check_marker(text) {
        MarkerCheck::Empty => {
            ui.weak("Введите маркер: без пробелов, уровни через «_» или «/»");
        }
        MarkerCheck::Error(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        MarkerCheck::Valid { preview, warning } => {
            ui.label(preview);
            if let Some(w) = warning {
                ui.colored_label(ui.visuals().warn_fg_color, w);
            }
        }
    });
}
