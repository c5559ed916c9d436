//! «Мастер шаблона заявки»: source → marker → defaults → summary, then a template lead.

use super::Catalog;
use super::form::marker_check_ui;
use crate::domain::{Lead, LeadSource, LeadSourceKind, LeadSourceType, MARKER_FIELD, Responsible, Role};
use crate::leads::{MarkerChannel, TemplateDraft, WizardStep, marker_for_levels};
use jiff::Timestamp;

/// What the wizard asks the screen to do: it never writes to the store itself.
pub(crate) enum Outcome {
    Open,
    Cancelled,
    /// «Создать источник»: save it, then [`Wizard::source_created`].
    CreateSource(LeadSource),
    /// «Готово»: add this template lead, then close the wizard (or [`Wizard::failed`]).
    Finish(Box<Lead>),
}

pub(crate) struct Wizard {
    step: WizardStep,
    draft: TemplateDraft,
    known: Vec<MarkerChannel>,
    new_source: String,
    error: Option<String>,
}

impl Wizard {
    pub fn new(catalog: &Catalog, known: Vec<MarkerChannel>) -> Wizard {
        let mut draft = TemplateDraft::default();
        // The usual case is one Roistat source: pick it.
        if let [only] =
            catalog.sources.iter().filter(|s| s.source_type == LeadSourceType::Roistat).collect::<Vec<_>>()[..]
        {
            draft.lead_source_id = Some(only.id);
        }
        draft.responsible = Some(Responsible::Role(Role::Manager));
        Wizard { step: WizardStep::Source, draft, known, new_source: "Roistat".into(), error: None }
    }

    pub fn source_created(&mut self, id: u64) {
        self.draft.lead_source_id = Some(id);
        self.error = None;
    }

    pub fn failed(&mut self, message: String) {
        self.error = Some(message);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog, now: Timestamp) -> Outcome {
        let mut outcome = Outcome::Open;
        let modal = egui::Modal::new(egui::Id::unique("leads_template_wizard")).show(ui.ctx(), |ui| {
            ui.set_width(600.0);
            ui.heading("Мастер шаблона заявки");
            ui.label(self.step.title());
            ui.separator();
            egui::ScrollArea::vertical().max_height(420.0).auto_shrink([false, true]).show(ui, |ui| match self.step {
                WizardStep::Source => {
                    if let Some(source) = self.source_ui(ui, catalog) {
                        outcome = Outcome::CreateSource(source);
                    }
                }
                WizardStep::Marker => self.marker_ui(ui),
                WizardStep::Defaults => self.defaults_ui(ui, catalog),
                WizardStep::Summary => self.summary_ui(ui, catalog),
            });
            ui.separator();
            let can_leave = self.draft.can_leave(self.step);
            // One line kept for what blocks «Далее» or the error: the buttons below stay put.
            crate::ui::widgets::reserved_line(ui, |ui| {
                if let Some(e) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                } else if let Err(reason) = &can_leave {
                    ui.colored_label(ui.visuals().warn_fg_color, reason);
                }
            });
            ui.horizontal(|ui| {
                if ui.add_enabled(self.step != WizardStep::Source, egui::Button::new("Назад")).clicked() {
                    self.step = self.step.back();
                }
                let last = self.step == WizardStep::Summary;
                if ui.add_enabled(!last && can_leave.is_ok(), egui::Button::new("Далее")).clicked() {
                    self.step = self.step.next();
                }
                if ui.add_enabled(last, egui::Button::new("Готово")).clicked() {
                    match self.draft.to_template(now) {
                        Ok(template) => outcome = Outcome::Finish(Box::new(template)),
                        Err(e) => self.error = Some(e),
                    }
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

    fn source_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) -> Option<LeadSource> {
        let mut create = None;
        ui.label("Заявки из шаблона уйдут в Roistat через источник получения заявок с типом «Roistat».");
        let roistat: Vec<&LeadSource> =
            catalog.sources.iter().filter(|s| s.source_type == LeadSourceType::Roistat).collect();
        if roistat.is_empty() {
            ui.weak("Источников с типом Roistat нет: создайте его здесь.");
        }
        for source in roistat {
            ui.radio_value(&mut self.draft.lead_source_id, Some(source.id), &source.name);
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let l = ui.label("Новый источник");
            ui.add(egui::TextEdit::singleline(&mut self.new_source).desired_width(200.0)).labelled_by(l.id);
            if ui.add_enabled(!self.new_source.trim().is_empty(), egui::Button::new("Создать источник")).clicked()
            {
                let source = LeadSource {
                    name: self.new_source.trim().to_string(),
                    kind: LeadSourceKind::CallTracking,
                    source_type: LeadSourceType::Roistat,
                    responsible: Some(Responsible::Role(Role::Manager)),
                    use_leads: true,
                    ..LeadSource::default()
                };
                create = Some(source);
            }
        });
        if let Some(id) = self.draft.lead_source_id
            && !catalog.sources.iter().any(|s| s.id == id)
        {
            ui.weak(format!("Создан источник «{}»", self.new_source.trim()));
        }
        create
    }

    fn marker_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(
            "Roistat маркер — источник обращения, под которым Roistat покажет заявку. Без пробелов; «/» и «_» делят уровни.",
        );
        ui.horizontal(|ui| {
            let l = ui.label("Roistat маркер");
            ui.add(
                egui::TextEdit::singleline(&mut self.draft.marker).desired_width(300.0).hint_text("offline/fair2026"),
            )
            .labelled_by(l.id);
        });
        marker_check_ui(ui, &self.draft.marker);
        ui.add_space(6.0);
        ui.strong("Известные маркеры (из аналитики Roistat)");
        if self.known.is_empty() {
            ui.weak("Аналитика ещё не загружена: введите маркер вручную.");
        }
        let mut picked = None;
        for channel in &self.known {
            egui::CollapsingHeader::new(format!("{} ({})", channel.level.label(), channel.level.value))
                .id_salt(("wizard_channel", &channel.level.value))
                .show(ui, |ui| {
                    if ui.link(format!("Весь канал: {}", channel.level.value)).clicked() {
                        picked = Some(marker_for_levels(&[&channel.level]));
                    }
                    for (source, campaigns) in &channel.sources {
                        let marker = marker_for_levels(&[&channel.level, source]);
                        if ui.link(format!("{} — {marker}", source.label())).clicked() {
                            picked = Some(marker.clone());
                        }
                        ui.indent(("wizard_source", &channel.level.value, &source.value), |ui| {
                            for campaign in campaigns {
                                let marker = marker_for_levels(&[&channel.level, source, campaign]);
                                if ui.link(format!("{} — {marker}", campaign.label())).clicked() {
                                    picked = Some(marker);
                                }
                            }
                        });
                    }
                });
        }
        if let Some(marker) = picked {
            self.draft.marker = marker;
        }
    }

    fn defaults_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) {
        egui::Grid::new("wizard_defaults").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            let l = ui.label("Наименование шаблона");
            ui.add(egui::TextEdit::singleline(&mut self.draft.name).desired_width(280.0)).labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Тема заявки");
            ui.add(
                egui::TextEdit::singleline(&mut self.draft.title)
                    .desired_width(280.0)
                    .hint_text("по умолчанию — наименование шаблона"),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Статус");
            catalog.status_ui(ui, "wizard_status", &mut self.draft.status_id).labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Ответственный");
            catalog.responsible_ui(ui, "wizard_responsible", &mut self.draft.responsible).labelled_by(l.id);
            ui.end_row();
            for field in catalog.fields.iter().filter(|f| !f.service && f.dev_name != MARKER_FIELD) {
                let l = ui.label(&field.name);
                let value = self.draft.extra.entry(field.dev_name.clone()).or_default();
                ui.add(egui::TextEdit::singleline(value).desired_width(280.0)).labelled_by(l.id);
                ui.end_row();
            }
        });
    }

    fn summary_ui(&mut self, ui: &mut egui::Ui, catalog: &Catalog) {
        let d = &self.draft;
        ui.label("Будет создан шаблон заявки (в Roistat не выгружается и в отчётах не считается):");
        egui::Grid::new("wizard_summary").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.strong(v);
                ui.end_row();
            };
            row("Шаблон", d.name.trim().to_string());
            row("Тема заявки", if d.title.trim().is_empty() { d.name.trim().to_string() } else { d.title.clone() });
            row("Источник получения заявок", catalog.source_name(d.lead_source_id));
            row("Roistat маркер", d.marker.clone());
            row("Статус", catalog.status_name(d.status_id));
            row("Ответственный", catalog.responsible_title(d.responsible));
            for (dev_name, value) in d.extra.iter().filter(|(_, v)| !v.is_empty()) {
                row(&catalog.field_name(dev_name), value.clone());
            }
        });
        ui.add_space(6.0);
        ui.label(format!("В Roistat заявки по шаблону появятся в источнике: {}", d.roistat_path()));
        ui.weak("Новые заявки — «Создать по шаблону» или F9 на шаблоне: копия получит маркер, новый номер и дату.");
    }
}
