//! The admin's screens: the HTTP service, lead and analytics sources, telephony, extra fields and
//! statuses, the exchange log, users.
//!
//! [`AdminScreens`] keeps every screen's view state (forms, selections, filters) and is held by
//! the [`Window`]. Network checks, backups and reads of the exchange log are commands
//! ([`crate::app::admin::AdminCommand`]) the app runs in the background; their answers come back as
//! [`AdminEvent`]s through the window's one event channel; the UI thread never waits for them.
//! Analytics loads run in the app's scheduler, whose state the screens read.
//!
//! Plugged in by `ui/shell.rs`: the pages Источники, Доп. реквизиты и статусы, Журнал обмена and
//! Настройки call [`sources_ui`], [`catalog_ui`], [`exchange_ui`] and [`settings_ui`].

pub mod alerts;
pub mod analytics_sources;
pub mod backup;
pub mod catalog;
pub mod exchange_log;
pub mod history;
pub mod lead_sources;
pub mod service_settings;
pub mod telephony;
pub mod users;

use crate::app::Change;
use crate::app::admin::{AdminEvent, AdminForm};
use crate::ui::Window;
use egui::RichText;

/// The admin's checklist of connecting Roistat, above the sources: each step ticked by what the
/// program sees, an unticked one with a way to its screen.
fn setup_checklist_ui(ui: &mut egui::Ui, app: &mut Window) {
    use crate::app::setup::{SetupPlace, checklist};
    use crate::app::status::ServiceState;
    use crate::app::{Command, Page};
    let team = app.app.is_team_mode();
    let running =
        team || app.app.bg.service.as_ref().is_some_and(|s| matches!(s.borrow().state, ServiceState::Listening));
    let steps = checklist(&app.app.lists, running, |at| {
        at.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M").to_string()
    });
    let done = steps.iter().filter(|s| s.done).count();
    let title = format!("Подключение к Roistat: выполнено {done} из {} шагов", steps.len());
    egui::CollapsingHeader::new(title).id_salt("setup_checklist").default_open(done < steps.len()).show(ui, |ui| {
        for step in &steps {
            ui.horizontal_wrapped(|ui| {
                // A tick the program sets, not a control: the step's name stays readable.
                if step.done {
                    ui.label(
                        RichText::new(format!("✔ {}", step.title)).color(crate::ui::widgets::good_color(ui, true)),
                    );
                } else {
                    ui.label(format!("○ {}", step.title));
                }
                if !step.done
                    && ui.small_button("Открыть").on_hover_text(format!("Перейти к шагу «{}»", step.title)).clicked()
                {
                    match step.place {
                        SetupPlace::ServiceSettings => app.app.commands.push(Command::Navigate(Page::Settings)),
                        SetupPlace::ExchangeLog => app.app.commands.push(Command::Navigate(Page::ExchangeLog)),
                        SetupPlace::LeadSources => app.admin.sources_tab = Some(SourcesTab::LeadSources),
                        SetupPlace::AnalyticsSources => app.admin.sources_tab = Some(SourcesTab::Analytics),
                        SetupPlace::Telephony => app.admin.sources_tab = Some(SourcesTab::Telephony),
                    }
                }
                if !step.detail.is_empty() {
                    let detail = RichText::new(&step.detail);
                    ui.label(if step.done { detail.weak() } else { detail.color(ui.visuals().warn_fg_color) });
                }
            });
        }
    });
}

/// The sub-pages of «Источники».
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourcesTab {
    #[default]
    LeadSources,
    Telephony,
    Analytics,
}

/// The admin screens' view state.
#[derive(Default)]
pub struct AdminScreens {
    /// `None` until the page is first opened: then analytics if none is set up yet.
    pub sources_tab: Option<SourcesTab>,
    pub settings: service_settings::SettingsScreen,
    pub lead_sources: lead_sources::LeadSourcesScreen,
    pub telephony: telephony::TelephonyScreen,
    pub analytics: analytics_sources::AnalyticsScreen,
    pub catalog: catalog::CatalogScreen,
    pub exchange: exchange_log::ExchangeScreen,
    pub history: history::HistoryScreen,
    pub users: users::UsersScreen,
    pub backup: backup::BackupScreen,
    pub alerts: alerts::AlertsScreen,
}

impl AdminScreens {
    /// An answer to a command of the admin screens.
    pub fn answered(&mut self, event: AdminEvent) {
        match event {
            AdminEvent::ServiceChecked(r) => self.settings.check = Some(r),
            AdminEvent::LeadSourceChecked(r) => {
                self.lead_sources.checking = false;
                self.lead_sources.check = Some(r);
            }
            AdminEvent::TelephonyChecked(r) => self.telephony.on_checked(r),
            AdminEvent::AlertsTested(r) => self.alerts.on_tested(r),
            AdminEvent::Projects(r) => self.analytics.on_projects(r),
            AdminEvent::Reconciled(r) => self.analytics.on_reconciled(r),
            AdminEvent::Exchange(loaded) => self.exchange.on_loaded(loaded),
            AdminEvent::History { filter, result } => self.history.on_loaded(filter, result),
            AdminEvent::Backup(r) => self.backup.on_done(r),
            AdminEvent::People { done, people } => self.users.on_people(done, people),
            AdminEvent::FieldCreated(r) => self.exchange.on_field_created(r),
            AdminEvent::Loaded { form, result } => match form {
                AdminForm::LeadSources => self.lead_sources.on_loaded(result),
                AdminForm::Telephony => self.telephony.on_loaded(result),
                AdminForm::Analytics => self.analytics.on_loaded(result),
                AdminForm::Settings | AdminForm::Users => self.settings.on_loaded(result),
                AdminForm::Catalog => self.catalog.on_loaded(result),
                AdminForm::Alerts => self.alerts.on_loaded(result),
            },
            AdminEvent::Written { form, result } => match form {
                AdminForm::LeadSources => self.lead_sources.on_written(result),
                AdminForm::Telephony => self.telephony.on_written(result),
                AdminForm::Analytics => self.analytics.on_written(result),
                AdminForm::Settings => self.settings.on_written(result),
                AdminForm::Catalog => self.catalog.on_written(result),
                AdminForm::Users => self.users.on_written(result),
                AdminForm::Alerts => self.alerts.on_written(result),
            },
        }
    }

    /// A change in the store: the screens showing it read again.
    pub fn changed(&mut self, change: &Change) {
        self.history.stale |= !matches!(change, Change::ExchangeLog | Change::Facts | Change::Calls);
        match change {
            Change::ExchangeLog => self.exchange.stale = true,
            Change::Catalog => {
                self.lead_sources.loads.stale = true;
                self.analytics.loads.stale = true;
                self.catalog.loads.stale = true;
                self.users.stale = true;
            }
            Change::Settings => {
                self.settings.loads.stale = true;
                self.lead_sources.loads.stale = true;
                self.telephony.loads.stale = true;
                self.catalog.loads.stale = true;
                self.alerts.loads.stale = true;
            }
            Change::Reloaded => {
                self.exchange.reset();
                self.lead_sources.loads.stale = true;
                self.analytics.loads.stale = true;
                self.catalog.loads.stale = true;
                self.users.stale = true;
                self.settings.loads.stale = true;
                self.telephony.loads.stale = true;
                self.alerts.loads.stale = true;
            }
            Change::Leads(_)
            | Change::Clients
            | Change::Facts
            | Change::Calls
            | Change::Plans
            | Change::Presence(_) => {}
        }
    }
}

/// «Источники»: lead sources, telephony, analytics sources.
pub fn sources_ui(ui: &mut egui::Ui, app: &mut Window) {
    ui.heading("Источники");
    setup_checklist_ui(ui, app);
    let nothing_set_up = app.app.lists.analytics_sources.is_empty();
    let tab = *app.admin.sources_tab.get_or_insert(if nothing_set_up {
        SourcesTab::Analytics
    } else {
        SourcesTab::LeadSources
    });
    ui.horizontal(|ui| {
        for (tab, title) in [
            (SourcesTab::LeadSources, "Источники получения заявок"),
            (SourcesTab::Telephony, "Телефония"),
            (SourcesTab::Analytics, "Источники получения аналитики"),
        ] {
            if ui.selectable_label(app.admin.sources_tab == Some(tab), title).clicked() {
                app.admin.sources_tab = Some(tab);
            }
        }
    });
    ui.separator();
    egui::ScrollArea::vertical().id_salt("sources_scroll").show(ui, |ui| match tab {
        SourcesTab::LeadSources => lead_sources::ui(ui, app),
        SourcesTab::Telephony => telephony::ui(ui, app),
        SourcesTab::Analytics => analytics_sources::ui(ui, app),
    });
}

/// «Доп. реквизиты и статусы».
pub fn catalog_ui(ui: &mut egui::Ui, app: &mut Window) {
    egui::ScrollArea::vertical().id_salt("catalog_scroll").show(ui, |ui| catalog::ui(ui, app));
}

/// «Журнал обмена».
pub fn exchange_ui(ui: &mut egui::Ui, app: &mut Window) {
    exchange_log::ui(ui, app);
}

/// «История изменений».
pub fn history_ui(ui: &mut egui::Ui, app: &mut Window) {
    history::ui(ui, app);
}

/// «Настройки»: the HTTP service, users, the store.
pub fn settings_ui(ui: &mut egui::Ui, app: &mut Window) {
    egui::ScrollArea::vertical().id_salt("settings_scroll").show(ui, |ui| {
        service_settings::ui(ui, app);
        ui.add_space(16.0);
        users::ui(ui, app);
        ui.add_space(16.0);
        ui.label(RichText::new("Хранилище").strong());
        egui::Grid::new("store_info").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.label("Хранилище:");
            ui.horizontal(|ui| {
                ui.label(app.app.location());
                if ui.button("Подключение…").clicked() {
                    app.app.commands.push(crate::app::Command::OpenConnection);
                }
            });
            ui.end_row();
            ui.label("Фактов аналитики:");
            ui.label(crate::report::fmt_count(app.app.lists.fact_count as u64));
            ui.end_row();
        });
        ui.add_space(12.0);
        backup::ui(ui, app);
        ui.add_space(16.0);
        alerts::ui(ui, app);
    });
}

// ---- small shared pieces ----

/// A screen's loads of its data: the first one, and another once the change feed says the data
/// changed; one at a time.
#[derive(Debug, Default)]
pub struct Loads {
    /// The data changed since the last load.
    pub stale: bool,
    loading: bool,
    /// The first load was answered (a failed one is not asked again until the data change).
    loaded: bool,
}

impl Loads {
    /// Whether to ask for a load now (then it counts as asked). `hold`: the screen has work of its
    /// own in flight or unsaved edits, which a reload would overwrite; only the first load goes on.
    pub fn ask(&mut self, hold: bool) -> bool {
        if self.loading || (self.loaded && (!self.stale || hold)) {
            return false;
        }
        self.reload()
    }

    /// A load now, stale or not, unless one is on its way («Отменить изменения»).
    pub fn reload(&mut self) -> bool {
        if self.loading {
            return false;
        }
        self.loading = true;
        self.stale = false;
        true
    }

    pub fn answered(&mut self) {
        self.loading = false;
        self.loaded = true;
    }

    pub fn loaded(&self) -> bool {
        self.loaded
    }
}

/// What a form shows before its first load arrives.
pub(crate) fn loading_ui(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label("Загрузка…");
    });
}

/// A weak explanatory line.
pub(crate) fn note(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).weak());
}

/// A text field in a two-column grid row, named by its label for screen readers and tests.
pub(crate) fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String) -> egui::Response {
    let l = ui.label(label);
    let r = ui.add(egui::TextEdit::singleline(value).desired_width(360.0)).labelled_by(l.id);
    ui.end_row();
    r
}

/// A secret in a grid row: masked unless «Показать» is on.
pub(crate) fn secret_row(ui: &mut egui::Ui, label: &str, value: &mut String, show: &mut bool) -> egui::Response {
    let l = ui.label(label);
    let r = ui
        .horizontal(|ui| {
            let r = ui.add(egui::TextEdit::singleline(value).password(!*show).desired_width(360.0)).labelled_by(l.id);
            ui.checkbox(show, "Показать");
            r
        })
        .inner;
    ui.end_row();
    r
}

/// «Копировать» for a value, named `Копировать: <what>`.
pub(crate) fn copy_button(ui: &mut egui::Ui, what: &str, text: &str) {
    let b = ui.button("Копировать").on_hover_text(format!("Скопировать {what} в буфер обмена"));
    let name = format!("Копировать: {what}");
    b.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    if b.clicked() {
        ui.ctx().copy_text(text.to_string());
    }
}

/// An error line in red.
pub(crate) fn error_label(ui: &mut egui::Ui, text: &str) {
    ui.colored_label(crate::ui::widgets::good_color(ui, false), text);
}

/// The line under a form's buttons: the error, else the success, else nothing — at least one line
/// tall either way, so a message appearing or going does not move what is below it.
pub(crate) fn message_line(ui: &mut egui::Ui, error: Option<&str>, ok: Option<&str>) {
    crate::ui::widgets::reserved_line(ui, |ui| match (error, ok) {
        (Some(e), _) => error_label(ui, e),
        (None, Some(text)) => ok_label(ui, text),
        (None, None) => {}
    });
}

pub(crate) fn ok_label(ui: &mut egui::Ui, text: &str) {
    ui.colored_label(crate::ui::widgets::good_color(ui, true), text);
}

pub(crate) fn time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M:%S").to_string()
}

#[cfg(test)]
mod loads_tests {
    use super::Loads;

    #[test]
    fn a_screen_loads_first_then_after_a_change_once_its_own_work_is_done() {
        let mut loads = Loads::default();
        assert!(loads.ask(true), "the first load does not wait");
        assert!(!loads.ask(false) && !loads.reload(), "one at a time");
        loads.answered();
        assert!(loads.loaded() && !loads.ask(false), "nothing changed");
        loads.stale = true;
        assert!(!loads.ask(true), "an edit in flight holds the reload");
        assert!(loads.stale, "and it is not forgotten");
        assert!(loads.ask(false));
        assert!(!loads.stale);
        loads.answered();
        assert!(loads.reload(), "«Отменить изменения» loads whatever the state");
    }
}
