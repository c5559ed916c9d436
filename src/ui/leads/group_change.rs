//! «Групповое изменение реквизитов»: one field or the status for the selected leads, confirmed first.

use super::Catalog;
use super::form::marker_check_ui;
use crate::domain::{LeadId, MARKER_FIELD, Responsible, StatusGroup};
use crate::leads::{GroupChange, GroupEdit, check_marker};

pub(crate) enum Outcome {
    Open,
    Cancelled,
    Run(GroupChange),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum What {
    Field,
    Status,
    Responsible,
}

pub(crate) struct GroupDialog {
    ids: Vec<LeadId>,
    what: What,
    dev_name: String,
    value: String,
    status_id: Option<u64>,
    responsible: Option<Responsible>,
    /// How many of the selected leads are in a paid status now.
    paid: usize,
    confirming: bool,
}

impl GroupDialog {
    pub fn new(ids: Vec<LeadId>, paid: usize) -> GroupDialog {
        GroupDialog {
            ids,
            what: What::Field,
            dev_name: MARKER_FIELD.into(),
            value: String::new(),
            status_id: None,
            responsible: None,
            paid,
            confirming: false,
        }
    }

    fn edit(&self) -> Result<GroupEdit, String> {
        match self.what {
            What::Status => self.status_id.map(GroupEdit::Status).ok_or_else(|| "Выберите статус".to_string()),
            What::Responsible => Ok(GroupEdit::Responsible(self.responsible)),
            What::Field => {
                if self.dev_name == MARKER_FIELD && !self.value.is_empty() && !check_marker(&self.value).is_valid() {
                    return Err("Исправьте Roistat маркер".into());
                }
                Ok(GroupEdit::Field { dev_name: self.dev_name.clone(), value: self.value.clone() })
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> Outcome {
        let mut outcome = Outcome::Open;
        let modal = egui::Modal::new(egui::Id::unique("leads_group_change")).show(ui.ctx(), |ui| {
            ui.set_width(480.0);
            ui.heading("Групповое изменение реквизитов");
            ui.label(format!("Выделено заявок: {}", self.ids.len()));
            ui.separator();
            if self.confirming {
                let change = self.edit();
                if let Ok(edit) = &change {
                    ui.strong(catalog.describe(edit));
                }
                let unpaid = matches!(change, Ok(GroupEdit::Status(id))
                    if catalog.status_group(Some(id)) != Some(StatusGroup::Paid));
                if unpaid && self.paid > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Оплачено выделенных заявок: {}. Новый статус вернёт их из оплаченных: продажи и выручка по ним перестанут учитываться.",
                            self.paid
                        ),
                    );
                }
                ui.label(format!("Будет изменено заявок: {}. Изменение можно будет отменить.", self.ids.len()));
                ui.label("Продолжить?");
                ui.horizontal(|ui| {
                    if ui.button("Да").clicked()
                        && let Ok(edit) = change
                    {
                        outcome = Outcome::Run(GroupChange { ids: self.ids.clone(), edit });
                    }
                    if ui.button("Нет").clicked() {
                        self.confirming = false;
                    }
                });
                return;
            }
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.what, What::Field, "Доп. реквизит");
                ui.radio_value(&mut self.what, What::Status, "Статус");
                ui.radio_value(&mut self.what, What::Responsible, "Ответственный");
            });
            egui::Grid::new("group_change_grid").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| match self.what {
                What::Field => {
                    let l = ui.label("Реквизит");
                    egui::ComboBox::from_id_salt("group_change_field")
                        .selected_text(catalog.field_name(&self.dev_name))
                        .width(260.0)
                        .show_ui(ui, |ui| {
                            for field in &catalog.fields {
                                ui.selectable_value(&mut self.dev_name, field.dev_name.clone(), &field.name);
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Значение");
                    ui.add(egui::TextEdit::singleline(&mut self.value).desired_width(260.0)).labelled_by(l.id);
                    ui.end_row();
                    if self.dev_name == MARKER_FIELD && !self.value.is_empty() {
                        ui.label("");
                        marker_check_ui(ui, &self.value);
                        ui.end_row();
                    }
                }
                What::Status => {
                    let l = ui.label("Статус");
                    catalog.status_ui(ui, "group_change_status", &mut self.status_id).labelled_by(l.id);
                    ui.end_row();
                }
                What::Responsible => {
                    let l = ui.label("Ответственный");
                    catalog.responsible_ui(ui, "group_change_responsible", &mut self.responsible).labelled_by(l.id);
                    ui.end_row();
                }
            });
            if self.what == What::Field && self.value.is_empty() {
                ui.weak("Пустое значение удалит реквизит у выбранных заявок.");
            }
            let edit = self.edit();
            if let Err(reason) = &edit {
                ui.colored_label(ui.visuals().warn_fg_color, reason);
            }
            ui.horizontal(|ui| {
                if ui.add_enabled(edit.is_ok(), egui::Button::new("Изменить")).clicked() {
                    self.confirming = true;
                }
                if ui.button("Отмена").clicked() {
                    outcome = Outcome::Cancelled;
                }
            });
        });
        if modal.should_close() && matches!(outcome, Outcome::Open) {
            outcome = Outcome::Cancelled;
        }
        outcome
    }
}
