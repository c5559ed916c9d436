//! «Источники получения аналитики»: key, project, schedule, «Загрузить сейчас» with progress.

use super::{error_label, note, ok_label, secret_row, text_row};
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminData, AdminForm, AdminWrite, Written};
use crate::domain::{AnalyticsSource, Secret};
use crate::roistat::{Project, RunNowError, SourceState, project_zone};
use crate::ui::Window;
use egui::RichText;
use std::collections::{BTreeMap, HashSet};

#[derive(Default)]
pub struct AnalyticsScreen {
    pub list: Vec<AnalyticsSource>,
    pub form: Option<AnalyticsSource>,
    pub api_key: String,
    pub show_key: bool,
    pub projects: Vec<Project>,
    pub projects_loading: bool,
    pub projects_error: Option<String>,
    /// Roistat answered «Проверить ключ» with the key's projects (perhaps none).
    pub key_accepted: bool,
    /// Sources whose «Отменить» was pressed while their load still runs.
    pub cancelling: HashSet<u64>,
    /// «Сверить сейчас» or «Создать заявку» runs.
    pub reconciling: bool,
    /// What the last of them said.
    pub reconcile_outcome: Option<Result<String, String>>,
    pub error: Option<String>,
    pub saved: bool,
    /// «Удалить источник …?» is asked.
    pub confirm_delete: bool,
    pub loads: super::Loads,
    saving: bool,
    /// A source just saved by «Сохранить и загрузить»: its load starts on the next frame.
    load_now: Option<u64>,
}

impl AnalyticsScreen {
    pub(super) fn on_loaded(&mut self, result: Result<AdminData, String>) {
        self.loads.answered();
        match result {
            Ok(AdminData::Analytics(list)) => {
                // Keep the form in step with what the load wrote (last_* fields), not the edits.
                if let Some(form) = &mut self.form
                    && let Some(fresh) = list.iter().find(|s| s.id == form.id)
                {
                    form.last_start = fresh.last_start;
                    form.last_success = fresh.last_success;
                    form.last_error = fresh.last_error.clone();
                    form.facts_loaded = fresh.facts_loaded;
                    form.missing_metrics = fresh.missing_metrics.clone();
                    form.reconciliation = fresh.reconciliation.clone();
                }
                self.list = list;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        self.saving = false;
        match result {
            Ok(Written::AnalyticsSource { source, then_load }) => {
                if self.form.as_ref().is_some_and(|f| f.id == 0 || f.id == source.id) {
                    if then_load {
                        self.load_now = Some(source.id);
                    }
                    self.form = Some(*source);
                }
                self.error = None;
                self.saved = !then_load;
            }
            Ok(Written::AnalyticsSourceDeleted) => {
                self.form = None;
                self.error = None;
                self.saved = false;
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    /// Opens a source in the form (the dashboard's reconciliation badge comes here too).
    pub fn edit(&mut self, source: AnalyticsSource) {
        self.api_key = source.api_key.expose().to_string();
        self.form = Some(source);
        self.projects.clear();
        self.projects_error = None;
        self.key_accepted = false;
        self.error = None;
        self.saved = false;
        self.confirm_delete = false;
        self.reconcile_outcome = None;
    }

    pub(super) fn on_reconciled(&mut self, result: Result<String, String>) {
        self.reconciling = false;
        self.reconcile_outcome = Some(result);
        self.loads.stale = true;
    }

    pub(super) fn on_projects(&mut self, result: Result<Vec<Project>, String>) {
        self.projects_loading = false;
        match result {
            Ok(p) => {
                self.projects = p;
                self.projects_error = None;
                self.key_accepted = true;
            }
            Err(e) => {
                self.projects_error = Some(e);
                self.key_accepted = false;
            }
        }
    }
}

/// A project as the picker shows it: name, id and currency.
fn project_text(p: &Project) -> String {
    if p.currency.is_empty() {
        format!("{} ({})", p.name, p.id)
    } else {
        format!("{} ({}, {})", p.name, p.id, p.currency)
    }
}

fn opt_time(t: Option<jiff::Timestamp>) -> String {
    t.map(super::time).unwrap_or_else(|| "—".into())
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    // The loads run in the scheduler, whoever started them; the screen shows its states.
    let loads: BTreeMap<u64, SourceState> =
        app.app.services.scheduler.as_ref().map(|s| s.progress()).unwrap_or_default();
    let is_running = |id: u64| loads.get(&id).is_some_and(|s| s.running);
    let screen = &mut app.admin.analytics;
    if screen.loads.ask(false) {
        app.app.commands.push(Command::Admin(AdminCommand::Load(AdminForm::Analytics)));
    }
    if !screen.loads.loaded() {
        super::loading_ui(ui);
        return;
    }
    screen.cancelling.retain(|id| is_running(*id));
    if screen.list.is_empty() {
        ui.label("Не настроено ни одного источника получения аналитики.");
    }
    let mut pick = None;
    for s in &screen.list {
        let on = screen.form.as_ref().is_some_and(|f| f.id == s.id);
        let state = match (&s.last_error, s.last_success) {
            _ if is_running(s.id) => "загружается…".to_string(),
            // The error itself is shown once, in the source's card below.
            (Some(_), _) => "ошибка загрузки".to_string(),
            (None, Some(t)) => format!("загружено {}", super::time(t)),
            (None, None) => "ещё не загружался".to_string(),
        };
        if ui.selectable_label(on, format!("{} (проект {}): {state}", s.name, s.project)).clicked() {
            pick = Some(s.clone());
        }
    }
    if let Some(s) = pick {
        screen.edit(s);
    }
    if ui.button("Добавить источник получения аналитики").clicked() {
        screen.edit(AnalyticsSource::default());
    }
    let Some(form) = screen.form.as_mut() else { return };
    ui.separator();
    ui.label(RichText::new(form.job_name()).strong());
    let mut get_projects = false;
    egui::Grid::new("analytics_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Наименование:", &mut form.name);
        secret_row(ui, "API-ключ:", &mut screen.api_key, &mut screen.show_key);
        text_row(ui, "Адрес API (пусто — облако Roistat):", &mut form.api_base);
        let l = ui.label("Проект:");
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut form.project).desired_width(160.0)).labelled_by(l.id);
            get_projects = ui
                .add_enabled(
                    !screen.projects_loading && !screen.api_key.trim().is_empty(),
                    egui::Button::new("Проверить ключ"),
                )
                .on_hover_text("Запрашивает у Roistat проекты, видные этому ключу, и предлагает выбрать проект")
                .clicked();
            if screen.projects_loading {
                ui.spinner();
            }
            if !screen.projects.is_empty() {
                let current = screen
                    .projects
                    .iter()
                    .find(|p| p.id == form.project)
                    .map(project_text)
                    .unwrap_or_else(|| "выберите проект".into());
                let combo = egui::ComboBox::from_id_salt("projects").selected_text(&current).show_ui(ui, |ui| {
                    for p in &screen.projects {
                        if ui.selectable_label(form.project == p.id, project_text(p)).clicked() {
                            form.project = p.id.clone();
                            // Offer the zone Roistat reports for the project, where it reports one.
                            if !p.time_zone.trim().is_empty() {
                                form.time_zone = p.time_zone.trim().to_string();
                            }
                        }
                    }
                });
                crate::ui::widgets::name_combo(&combo.response, "Проекты Roistat", &current);
            }
        });
        ui.end_row();
        text_row(ui, "Часовой пояс проекта:", &mut form.time_zone);
        let l = ui.label("Интервал загрузки, минут:");
        ui.add(egui::DragValue::new(&mut form.interval_minutes).range(5..=1440)).labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Глубина истории, дней:");
        ui.add(egui::DragValue::new(&mut form.history_days).range(1..=1095)).labelled_by(l.id);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut form.enabled, "Загружать по расписанию");
        ui.end_row();
    });
    if let Some(e) = &screen.projects_error {
        error_label(ui, e);
    } else if screen.key_accepted {
        // Say what was verified: the key (by a call that needs it) and whether the project is the key's.
        let count = screen.projects.len();
        ok_label(ui, &format!("Ключ принят Roistat (запрос списка проектов): проектов Roistat — {count}"));
        let project = form.project.trim();
        if count == 0 {
            error_label(ui, "Этому ключу не видно ни одного проекта: проверьте, чей это ключ");
        } else if project.is_empty() {
            note(ui, "Выберите проект в списке.");
        } else if screen.projects.iter().any(|p| p.id == project) {
            ok_label(ui, &format!("Проект {project} виден этому ключу"));
        } else {
            error_label(ui, &format!("Проект {project} этому ключу не виден: выберите проект в списке"));
        }
    }
    if get_projects {
        screen.projects_loading = true;
        screen.projects_error = None;
        app.app.commands.push(Command::Admin(AdminCommand::Projects {
            api_base: form.api_base.trim().to_string(),
            api_key: Secret::new(screen.api_key.trim()),
            project: form.project.trim().to_string(),
        }));
    }

    let running = form.id != 0 && is_running(form.id);
    let mut save = false;
    let mut load_now = false;
    let mut cancel = false;
    let mut delete = false;
    ui.horizontal(|ui| {
        save = ui.add_enabled(!screen.saving, egui::Button::new("Сохранить")).clicked();
        // A new source is saved by the load: the button says so.
        let load_title =
            if form.id == 0 { "Сохранить и загрузить" } else { "Загрузить сейчас" };
        load_now = ui.add_enabled(!running && !screen.saving, egui::Button::new(load_title)).clicked();
        if form.id != 0 {
            delete = ui
                .add_enabled(!running, egui::Button::new("Удалить источник"))
                .on_disabled_hover_text("Сначала отмените загрузку")
                .clicked();
        }
        if running {
            let cancelling = screen.cancelling.contains(&form.id);
            cancel = ui
                .add_enabled(!cancelling, egui::Button::new(if cancelling { "Отменяется…" } else { "Отменить" }))
                .clicked();
        }
    });
    if cancel && app.app.services.scheduler.as_ref().is_some_and(|s| s.cancel(form.id)) {
        screen.cancelling.insert(form.id);
    }
    if delete {
        screen.confirm_delete = true;
    }
    if screen.confirm_delete {
        let mut answer = None;
        ui.horizontal(|ui| {
            ui.label(format!(
                "Удалить источник «{}»? Его расписание остановится; загруженные факты останутся на панели.",
                form.name
            ));
            if ui.button("Да, удалить").clicked() {
                answer = Some(true);
            }
            if ui.button("Нет").clicked() {
                answer = Some(false);
            }
        });
        match answer {
            Some(true) => {
                screen.confirm_delete = false;
                let write = AdminWrite::DeleteAnalyticsSource(form.id);
                app.app.commands.push(Command::Admin(AdminCommand::Write(write)));
            }
            Some(false) => screen.confirm_delete = false,
            None => {}
        }
    }
    if save || load_now {
        form.name = form.name.trim().to_string();
        form.project = form.project.trim().to_string();
        form.api_base = form.api_base.trim().to_string();
        form.api_key = Secret::new(screen.api_key.trim());
        form.time_zone = form.time_zone.trim().to_string();
        if form.time_zone.is_empty() {
            form.time_zone = crate::domain::DEFAULT_TIME_ZONE.to_string();
        }
        if form.name.is_empty() || form.project.is_empty() || form.api_key.is_empty() {
            screen.error = Some("Укажите наименование, API-ключ и проект Roistat".into());
        } else if let Err(e) = project_zone(&form.time_zone) {
            screen.error = Some(e.to_string());
        } else {
            screen.saving = true;
            screen.saved = false;
            let write = AdminWrite::AnalyticsSource { source: Box::new(form.clone()), then_load: load_now };
            app.app.commands.push(Command::Admin(AdminCommand::Write(write)));
        }
    }
    // The load starts once the source is saved.
    if let Some(id) = screen.load_now.take() {
        let started = match &app.app.services.scheduler {
            Some(scheduler) => scheduler.run_now(id),
            None => Err(RunNowError::Stopped),
        };
        match started {
            // Saving an enabled, never loaded source makes it due: the schedule may have started
            // the same load a moment earlier, which is what was asked for.
            Ok(()) | Err(RunNowError::AlreadyRunning) => {}
            Err(e) => screen.error = Some(e.to_string()),
        }
    }
    // A load started just now shows from this frame on.
    let state = app.app.services.scheduler.as_ref().and_then(|s| s.progress().remove(&form.id));
    if let Some(state) = &state
        && form.id != 0
    {
        load_state_ui(ui, state);
    }
    if form.id != 0 {
        egui::Grid::new("analytics_state").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
            ui.label("Последний запуск:");
            ui.label(opt_time(form.last_start));
            ui.end_row();
            ui.label("Последняя успешная загрузка:");
            ui.label(opt_time(form.last_success));
            ui.end_row();
            ui.label("Последняя ошибка:");
            // An error from the network can be long: it wraps within the form instead of running off.
            ui.add(egui::Label::new(form.last_error.clone().unwrap_or_else(|| "—".into())).wrap());
            ui.end_row();
            ui.label("Загружено фактов:");
            ui.label(form.facts_loaded.to_string());
            ui.end_row();
            for title in &form.missing_metrics {
                ui.label(format!("{title}:"));
                ui.label(RichText::new("нет в проекте").weak())
                    .on_hover_text("В проекте Roistat нет этой метрики: она не запрашивается и считается нулём");
                ui.end_row();
            }
        });
    }
    super::message_line(ui, screen.error.as_deref(), screen.saved.then_some("Источник сохранён."));
    if form.id != 0 {
        ui.separator();
        reconciliation_ui(ui, app);
    }
}

/// «Сверка с Roistat»: the proxy leads Roistat sent, matched with ours, and the missing ones to create.
fn reconciliation_ui(ui: &mut egui::Ui, app: &mut Window) {
    let (screen, commands) = (&mut app.admin.analytics, &mut app.app.commands);
    let Some(form) = screen.form.as_ref() else { return };
    let source_id = form.id;
    ui.label(RichText::new("Сверка с Roistat").strong());
    note(
        ui,
        "Заявки, которые Roistat отправил (project/proxy-leads), сопоставлены с нашими по id заявки Roistat и по order_id.",
    );
    let mut check = false;
    let mut create = None;
    ui.horizontal(|ui| {
        check = ui
            .add_enabled(!screen.reconciling, egui::Button::new("Сверить сейчас"))
            .on_hover_text("Сверка за последние 7 дней")
            .clicked();
        if screen.reconciling {
            ui.spinner();
        }
    });
    match &form.reconciliation {
        None => {
            ui.label("Сверка ещё не выполнялась: она идёт с каждой загрузкой аналитики или по кнопке.");
        }
        Some(r) => {
            let period = match (r.from, r.to) {
                (Some(f), Some(t)) => format!("{} — {}", crate::report::fmt_date(f), crate::report::fmt_date(t)),
                _ => "—".into(),
            };
            ui.label(format!("Период: {period}; сверено {}", opt_time(r.checked_at)));
            if let Some(e) = &r.error {
                error_label(ui, &format!("Сверка не выполнена: {e}"));
            } else {
                ui.label(format!("Пришли вовремя: {}", r.arrived));
                ui.label(format!("С опозданием: {}", r.late_count));
                for late in &r.late {
                    ui.label(format!(
                        "    заявка {} «{}»: через {} мин после создания в Roistat",
                        late.lead_id, late.roistat.title, late.delay_minutes
                    ));
                }
                let missing = format!("Нет у нас: {}", r.missing_count);
                if r.missing_count > 0 {
                    ui.colored_label(ui.visuals().error_fg_color, missing);
                } else {
                    ok_label(ui, &missing);
                }
                egui::Grid::new("reconcile_missing").num_columns(5).spacing([12.0, 4.0]).show(ui, |ui| {
                    for m in &r.missing {
                        ui.label(&m.title);
                        ui.label(if m.phone.is_empty() { "—" } else { &m.phone });
                        ui.label(if m.created.is_empty() { "—" } else { &m.created });
                        ui.label(if m.name.is_empty() { "—" } else { &m.name });
                        let button = ui.add_enabled(!screen.reconciling, egui::Button::new("Создать заявку"));
                        crate::ui::widgets::name_button(&button, &format!("Создать заявку Roistat {}", m.id));
                        if button.on_hover_text("Создать заявку из данных Roistat").clicked() {
                            create = Some(m.id.clone());
                        }
                        ui.end_row();
                    }
                });
            }
        }
    }
    if let Some(outcome) = &screen.reconcile_outcome {
        match outcome {
            Ok(text) => ok_label(ui, text),
            Err(e) => error_label(ui, e),
        }
    }
    if check {
        screen.reconciling = true;
        let to = jiff::Zoned::now().date();
        let from = to.checked_sub(jiff::Span::new().days(6)).unwrap_or(to);
        commands.push(Command::Admin(AdminCommand::Reconcile { source_id, from, to }));
    }
    if let Some(roistat_id) = create {
        screen.reconciling = true;
        commands.push(Command::Admin(AdminCommand::CreateMissing { source_id, roistat_id }));
    }
}

/// The load's progress while it runs, its outcome once it has ended.
fn load_state_ui(ui: &mut egui::Ui, state: &SourceState) {
    let periods = format!("Загружено периодов: {} из {}", state.done, state.total);
    if state.running {
        let fraction = if state.total == 0 { 0.0 } else { state.done as f32 / state.total as f32 };
        ui.add(egui::ProgressBar::new(fraction).show_percentage().desired_width(420.0));
        if state.total > 0 {
            ui.label(periods);
        }
        if !state.message.is_empty() {
            note(ui, &state.message);
        }
    } else if state.runs > 0 {
        if state.total > 0 {
            ui.label(periods);
        }
        // A failure's text is the card's «Последняя ошибка»: not said twice.
        match &state.last_error {
            Some(_) => error_label(ui, "Загрузка не удалась: причина — в строке «Последняя ошибка» ниже"),
            None => ok_label(ui, &format!("Загрузка завершена. {}", state.message)),
        }
    }
}
