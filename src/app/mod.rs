//! The glue between the window and everything else: the application state, the commands screens
//! emit (run at the end of the frame), and the background runtime.
//!
//! The window (`ui/`) draws from [`App`] and pushes [`Command`]s; it never writes to the store or
//! waits for anything. Slow work goes to [`Background`] and comes back as [`AppEvent`]s.

mod background;
pub mod control;
pub mod export;
pub mod period;
pub mod services;
pub mod status;

pub use background::{AppEvent, Background, RuntimeError, Waker};
pub use period::Preset;

use crate::domain::{AnalyticsSource, ExchangeEntry, ExtraField, Lead, LeadSource, Role, Status, User};
use crate::report::{Column, Comparison, Grouping, Query, Report, ReportError, Sort};
use crate::store::{SledStore, StoreError, StoreEvent};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    SledStore(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Reads the facts a query needs (its period and the previous one) and builds the report.
/// The short lists of the placeholder pages.
pub fn load_lists(store: &SledStore) -> Result<Lists, StoreError> {
    Ok(Lists {
        lead_count: store.lead_count(),
        fact_count: store.fact_count(),
        leads: store.leads_newest(200)?.into_iter().filter(|l| !l.is_template && !l.deleted).collect(),
        statuses: store.statuses()?,
        extra_fields: store.list::<ExtraField>()?,
        lead_sources: store.list::<LeadSource>()?,
        analytics_sources: store.list::<AnalyticsSource>()?,
        exchange: store.exchange_newest(100)?,
        service_address: {
            let s = store.service_settings()?;
            format!("http://{}{}", s.listen, s.path())
        },
    })
}

pub fn load_report(store: &SledStore, query: &Query) -> Result<Report, AppError> {
    let (from, to) = query.facts_span()?;
    let facts = store.facts_between(from, to)?;
    Ok(crate::report::build(&facts, query)?)
}

/// The screens of the left navigation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Page {
    #[default]
    Dashboard,
    Leads,
    Calls,
    Sources,
    Catalog,
    ExchangeLog,
    Settings,
}

impl Page {
    pub const ALL: [Page; 7] =
        [Page::Dashboard, Page::Leads, Page::Calls, Page::Sources, Page::Catalog, Page::ExchangeLog, Page::Settings];
    pub fn title(self) -> &'static str {
        match self {
            Page::Dashboard => "Сквозная аналитика",
            Page::Leads => "Заявки",
            Page::Calls => "Звонки",
            Page::Sources => "Источники",
            Page::Catalog => "Доп. реквизиты и статусы",
            Page::ExchangeLog => "Журнал обмена",
            Page::Settings => "Настройки",
        }
    }
    /// The pages a role sees, in navigation order.
    pub fn for_role(role: Role) -> &'static [Page] {
        match role {
            Role::Marketer => &[Page::Dashboard, Page::Leads, Page::Calls],
            Role::Manager => &[Page::Leads, Page::Calls, Page::Dashboard],
            Role::Admin => &Page::ALL,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub fn title(self) -> &'static str {
        match self {
            ThemeChoice::System => "Как в системе",
            ThemeChoice::Light => "Светлая",
            ThemeChoice::Dark => "Тёмная",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
    pub fn filter_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "Текст CSV (Excel)",
            ExportFormat::Xlsx => "Книга Excel",
        }
    }
}

/// What survives a restart (eframe storage). `#[serde(default)]`: an older or damaged state never
/// stops the start, unknown fields are ignored and missing ones take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub page: Page,
    pub preset: Preset,
    pub custom_from: Option<Date>,
    pub custom_to: Option<Date>,
    pub grouping: Grouping,
    pub comparison: Comparison,
    pub sort: Sort,
    pub theme: ThemeChoice,
    pub user_id: Option<u64>,
    /// Each person's theme: switching the user in the top bar switches it too.
    pub themes: std::collections::BTreeMap<u64, ThemeChoice>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            page: Page::Dashboard,
            preset: Preset::Days30,
            custom_from: None,
            custom_to: None,
            grouping: Grouping::Channel,
            comparison: Comparison::default(),
            sort: Sort::default(),
            theme: ThemeChoice::System,
            user_id: None,
            themes: std::collections::BTreeMap::new(),
        }
    }
}

/// Where an export goes: a save dialog in the window, a temp path in tests. Called on a
/// background thread, so a modal dialog never freezes the window.
pub trait FilePicker: Send + Sync {
    fn save_path(&self, suggested_name: &str, format: ExportFormat) -> Option<PathBuf>;
}

/// The system's save dialog.
pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn save_path(&self, suggested_name: &str, format: ExportFormat) -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Сохранить отчёт")
            .set_file_name(suggested_name)
            .add_filter(format.filter_name(), &[format.extension()])
            .save_file()
    }
}

pub struct AppOptions {
    /// The calendar's today; `None` takes the system date. Tests fix it.
    pub today: Option<Date>,
    pub file_picker: Box<dyn FilePicker>,
    /// The persisted state from the last run.
    pub state: AppState,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions { today: None, file_picker: Box::new(RfdPicker), state: AppState::default() }
    }
}

/// What the screens emit; run by [`App::run_commands`] at the end of the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Navigate(Page),
    SetPreset(Preset),
    SetCustomPeriod(Date, Date),
    SetGrouping(Grouping),
    /// What the period's changes are counted against.
    SetComparison(Comparison),
    SetChannel(Option<String>),
    /// Sort by a column: a new column sorts descending (names ascending), the same one flips.
    SortBy(Column),
    /// Expand or collapse a drill-down row by its path (`direct`, `direct/brand`).
    ToggleRow(String),
    SetUser(u64),
    SetTheme(ThemeChoice),
    LoadDemo,
    Export(ExportFormat),
    /// The HTTP service's listen address changed: restart it there. The window does not own the
    /// service yet, so this tells the person to restart; a window that runs the service restarts it here.
    RestartService,
    DismissMessage,
    /// The dashboard's reconciliation badge: «Источники» → the analytics source's «Сверка с Roistat».
    OpenReconciliation(u64),
}

/// A line for the person: the outcome of an export, an error to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

/// The dashboard's data and its loading state.
#[derive(Default)]
pub struct Dashboard {
    pub report: Option<Report>,
    /// The rows of `report`, sorted by the current sort.
    pub sorted_rows: Vec<crate::report::Row>,
    pub loading: bool,
    pub error: Option<String>,
    pub generation: u64,
    /// Expanded drill-down rows, by path.
    pub expanded: HashSet<String>,
    pub channel: Option<String>,
}

/// Small read-only extracts for the pages other screens will fill in.
#[derive(Debug, Default)]
pub struct Lists {
    pub lead_count: usize,
    pub fact_count: usize,
    pub leads: Vec<Lead>,
    pub statuses: Vec<Status>,
    pub extra_fields: Vec<ExtraField>,
    pub lead_sources: Vec<LeadSource>,
    pub analytics_sources: Vec<AnalyticsSource>,
    pub exchange: Vec<ExchangeEntry>,
    /// The configured address Roistat calls (`http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics`).
    pub service_address: String,
}

pub struct App {
    pub store: SledStore,
    pub state: AppState,
    pub bg: Background,
    pub today: Date,
    pub users: Vec<User>,
    pub fact_span: Option<(Date, Date)>,
    pub dashboard: Dashboard,
    pub lists: Lists,
    pub demo_loading: bool,
    pub lists_loading: bool,
    pub export_running: bool,
    pub message: Option<Message>,
    pub commands: Vec<Command>,
    file_picker: std::sync::Arc<dyn FilePicker>,
    /// The theme last applied to the context.
    pub applied_theme: Option<ThemeChoice>,
    /// Fonts installed in the context (first frame).
    pub ui_ready: bool,
    /// The admin screens' view state (forms, filters, background checks).
    pub admin: crate::ui::admin::AdminScreens,
    /// The leads workspace, made on the first visit and kept with its filters and open form.
    pub leads_screen: Option<Box<dyn Screen>>,
    pub calls_screen: Option<Box<dyn Screen>>,
    /// The HTTP service and the scheduled load; started by the window, not by tests.
    pub services: services::Services,
}

/// A screen that keeps its own state between frames: `ui/` implements it, the app only holds it.
pub trait Screen {
    fn ui(&mut self, ui: &mut egui::Ui);
    /// The person at the window changed (or is told each frame).
    fn set_current_user(&mut self, _user: Option<u64>) {}
}

impl App {
    /// Opens the application on a store: makes sure an admin exists, starts the background
    /// runtime and asks for the first report.
    pub fn new(store: SledStore, options: AppOptions) -> Result<App, AppError> {
        let admin = store.ensure_admin()?;
        // «Использовать сквозную аналитику» is on for a new store, so what it promises exists
        // from the first start: the service fields, the UTM fields and the statuses.
        if store.service_settings()?.analytics_enabled {
            store.ensure_schema()?;
        }
        let bg = Background::new(&store)?;
        let today = options.today.unwrap_or_else(|| jiff::Zoned::now().date());
        let admin_screens = crate::ui::admin::AdminScreens::new(&store);
        let mut app = App {
            store,
            state: options.state,
            bg,
            today,
            users: Vec::new(),
            fact_span: None,
            dashboard: Dashboard::default(),
            lists: Lists::default(),
            demo_loading: false,
            lists_loading: false,
            export_running: false,
            message: None,
            commands: Vec::new(),
            file_picker: std::sync::Arc::from(options.file_picker),
            applied_theme: None,
            ui_ready: false,
            leads_screen: None,
            calls_screen: None,
            services: services::Services::default(),
            admin: admin_screens,
        };
        app.refresh_users()?;
        if !app.users.iter().any(|u| Some(u.id) == app.state.user_id) {
            app.state.user_id = Some(admin.id);
        }
        app.fit_page_to_role();
        app.refresh_facts();
        app.refresh_lists();
        app.request_report();
        Ok(app)
    }

    pub fn current_user(&self) -> Option<&User> {
        self.users.iter().find(|u| Some(u.id) == self.state.user_id)
    }

    pub fn role(&self) -> Role {
        self.current_user().map(|u| u.role).unwrap_or(Role::Marketer)
    }

    pub fn pages(&self) -> &'static [Page] {
        Page::for_role(self.role())
    }

    /// The page a start opens: what the role works on, not where the last person left off.
    /// An admin of a store without leads or analytics starts at the sources, to set them up.
    pub fn go_to_start_page(&mut self) {
        self.state.page = match self.role() {
            Role::Admin if self.store.is_empty_of_work() => Page::Sources,
            role => Page::for_role(role)[0],
        };
    }

    fn fit_page_to_role(&mut self) {
        let pages = self.pages();
        if !pages.contains(&self.state.page) {
            self.state.page = pages[0];
        }
    }

    fn refresh_users(&mut self) -> Result<(), StoreError> {
        let mut users = self.store.list::<User>()?;
        users.sort_by(|a, b| a.name.cmp(&b.name));
        self.users = users;
        Ok(())
    }

    /// The first and last day with facts: two key reads, cheap enough for the UI thread.
    fn refresh_facts(&mut self) {
        match self.store.fact_date_span() {
            Ok(span) => self.fact_span = span,
            Err(e) => self.message = Some(Message::Error(e.to_string())),
        }
    }

    /// Re-reads the short lists the placeholder pages show, off the UI thread (counting records
    /// walks a whole tree).
    fn refresh_lists(&mut self) {
        self.lists_loading = true;
        self.bg.load_lists(&self.store);
    }

    /// Whether there is anything to show on the dashboard.
    pub fn has_facts(&self) -> bool {
        self.fact_span.is_some()
    }

    /// The last day Roistat's data reach, when the period goes past it («данные загружены по …»).
    pub fn data_end_before_period_end(&self) -> Option<Date> {
        let (_, last) = self.fact_span?;
        (last < self.period().1).then_some(last)
    }

    /// The dashboard's period for the current preset.
    pub fn period(&self) -> (Date, Date) {
        let anchor = period::anchor(self.today, self.fact_span.map(|s| s.1));
        let custom_to = self.state.custom_to.unwrap_or(anchor);
        let custom_from = self.state.custom_from.unwrap_or(custom_to);
        self.state.preset.range(self.today, (custom_from, custom_to))
    }

    pub fn query(&self) -> Query {
        let (from, to) = self.period();
        Query {
            from,
            to,
            grouping: self.state.grouping,
            channel: self.dashboard.channel.clone(),
            comparison: self.state.comparison,
        }
    }

    /// Asks the background for a fresh report; a newer request wins over an older answer.
    pub fn request_report(&mut self) {
        self.dashboard.generation += 1;
        self.dashboard.loading = true;
        self.bg.compute_report(&self.store, self.query(), self.dashboard.generation);
    }

    /// Whether background work the screen waits for is under way (tests wait on it).
    pub fn is_busy(&self) -> bool {
        self.dashboard.loading
            || self.demo_loading
            || self.export_running
            || self.lists_loading
            || self.admin.is_busy()
            || self.is_loading()
    }

    fn resort(&mut self) {
        let mut rows = self.dashboard.report.as_ref().map(|r| r.rows.clone()).unwrap_or_default();
        crate::report::sort_rows(&mut rows, self.state.sort);
        self.dashboard.sorted_rows = rows;
    }

    /// Applies what background work reported. Call at the start of a frame.
    pub fn poll_events(&mut self) {
        let mut facts_changed = false;
        let mut lists_changed = false;
        for event in self.bg.drain() {
            match event {
                AppEvent::SledStore(e) => match e {
                    StoreEvent::FactsChanged => facts_changed = true,
                    StoreEvent::Reloaded => {
                        facts_changed = true;
                        lists_changed = true;
                    }
                    StoreEvent::CatalogChanged => {
                        lists_changed = true;
                        if let Err(e) = self.refresh_users() {
                            self.message = Some(Message::Error(e.to_string()));
                        }
                        self.fit_page_to_role();
                    }
                    StoreEvent::LeadsChanged(_)
                    | StoreEvent::ClientsChanged
                    | StoreEvent::SettingsChanged
                    | StoreEvent::CallsChanged
                    | StoreEvent::ExchangeLogged(_) => lists_changed = true,
                },
                AppEvent::Report { generation, result } => {
                    if generation == self.dashboard.generation {
                        self.dashboard.loading = false;
                        match result {
                            Ok(report) => {
                                self.dashboard.report = Some(*report);
                                self.dashboard.error = None;
                                self.resort();
                            }
                            Err(e) => self.dashboard.error = Some(e),
                        }
                    }
                }
                AppEvent::DemoLoaded(result) => {
                    self.demo_loading = false;
                    facts_changed = true;
                    lists_changed = true;
                    if let Err(e) = self.refresh_users() {
                        self.message = Some(Message::Error(e.to_string()));
                    }
                    self.message = Some(match result {
                        Ok(s) => Message::Info(format!(
                            "Демо-данные загружены: {} фактов аналитики, {} заявок",
                            s.facts, s.leads
                        )),
                        Err(e) => Message::Error(format!("Не удалось загрузить демо-данные: {e}")),
                    });
                }
                AppEvent::Exported(result) => {
                    self.export_running = false;
                    self.message = match result {
                        Ok(Some(path)) => Some(Message::Info(format!("Отчёт сохранён: {}", path.display()))),
                        Ok(None) => None,
                        Err(e) => Some(Message::Error(e)),
                    };
                }
                AppEvent::Lists(result) => {
                    self.lists_loading = false;
                    match result {
                        Ok(lists) => self.lists = *lists,
                        Err(e) => self.message = Some(Message::Error(e)),
                    }
                }
                AppEvent::StatusChanged => {}
            }
        }
        if facts_changed {
            self.refresh_facts();
            self.request_report();
        }
        if lists_changed {
            self.refresh_lists();
        }
        // Checks and loads started on the admin pages finish even while another page is shown.
        self.admin.poll();
    }

    /// Runs the commands the screens emitted during the frame.
    pub fn run_commands(&mut self) {
        let commands = std::mem::take(&mut self.commands);
        for command in commands {
            self.run(command);
        }
    }

    fn run(&mut self, command: Command) {
        match command {
            Command::Navigate(page) => {
                if self.pages().contains(&page) {
                    self.state.page = page;
                }
            }
            Command::OpenReconciliation(source_id) => {
                if !self.pages().contains(&Page::Sources) {
                    self.message = Some(Message::Info(
                        "Сверку с Roistat открывает администратор: «Источники» → «Источники получения аналитики»"
                            .into(),
                    ));
                } else if let Some(source) = self.lists.analytics_sources.iter().find(|s| s.id == source_id) {
                    self.state.page = Page::Sources;
                    self.admin.sources_tab = Some(crate::ui::admin::SourcesTab::Analytics);
                    self.admin.analytics.edit(source.clone());
                }
            }
            Command::SetPreset(preset) => {
                if preset == Preset::Custom && self.state.preset != Preset::Custom {
                    // Start the custom period from what is on screen.
                    let (from, to) = self.period();
                    self.state.custom_from = Some(from);
                    self.state.custom_to = Some(to);
                }
                self.state.preset = preset;
                self.request_report();
            }
            Command::SetCustomPeriod(from, to) => {
                let (from, to) = if from <= to { (from, to) } else { (to, from) };
                self.state.preset = Preset::Custom;
                self.state.custom_from = Some(from);
                self.state.custom_to = Some(to);
                self.request_report();
            }
            Command::SetGrouping(grouping) => {
                self.state.grouping = grouping;
                self.dashboard.expanded.clear();
                self.request_report();
            }
            Command::SetChannel(channel) => {
                self.dashboard.channel = channel;
                self.request_report();
            }
            Command::SetComparison(comparison) => {
                self.state.comparison = comparison;
                self.request_report();
            }
            Command::SortBy(column) => {
                let sort = &mut self.state.sort;
                if sort.column == column {
                    sort.descending = !sort.descending;
                } else {
                    *sort = Sort { column, descending: column != Column::Name };
                }
                self.resort();
            }
            Command::ToggleRow(path) => {
                if !self.dashboard.expanded.remove(&path) {
                    self.dashboard.expanded.insert(path);
                }
            }
            Command::SetUser(id) => {
                if self.users.iter().any(|u| u.id == id) {
                    self.state.user_id = Some(id);
                    self.state.theme = self.state.themes.get(&id).copied().unwrap_or_default();
                    self.fit_page_to_role();
                }
            }
            Command::SetTheme(theme) => {
                self.state.theme = theme;
                if let Some(id) = self.state.user_id {
                    self.state.themes.insert(id, theme);
                }
            }
            Command::LoadDemo => {
                if !self.demo_loading {
                    self.demo_loading = true;
                    self.bg.load_demo(&self.store, self.today);
                }
            }
            Command::Export(format) => self.export(format),
            Command::DismissMessage => self.message = None,
            Command::RestartService => {
                if self.services.is_started() {
                    // Stops the old listener (requests in flight finish), then listens on the new address.
                    self.services.restart_service(&self.store);
                    self.message = Some(Message::Info(
                        "HTTP-сервис перезапускается с новыми настройками; его состояние — в строке состояния внизу"
                            .into(),
                    ));
                } else {
                    self.message = Some(Message::Info(
                        "Настройки сохранены; HTTP-сервис в этом окне не запущен. Если он работает в «skvoz serve», перезапустите её"
                            .into(),
                    ));
                }
            }
        }
    }

    /// The suggested file name: `Сквозная аналитика 2026-10-26 — 2026-11-24.xlsx`.
    pub fn export_file_name(&self, format: ExportFormat) -> String {
        let (from, to) = self.period();
        format!("Сквозная аналитика {from} — {to}.{}", format.extension())
    }

    fn export(&mut self, format: ExportFormat) {
        let Some(report) = &self.dashboard.report else {
            self.message = Some(Message::Error("Нет данных для выгрузки: выберите период с данными".into()));
            return;
        };
        if self.export_running {
            return;
        }
        self.export_running = true;
        let rows = self.dashboard.sorted_rows.clone();
        let totals = report.totals.figures;
        let grouping = report.query.grouping;
        let name = self.export_file_name(format);
        let picker = self.file_picker.clone();
        self.bg.run_blocking(move || {
            let Some(path) = picker.save_path(&name, format) else {
                return AppEvent::Exported(Ok(None));
            };
            let result = match format {
                ExportFormat::Csv => std::fs::File::create(&path).map_err(export::ExportError::from).and_then(|f| {
                    let mut w = std::io::BufWriter::new(f);
                    export::write_csv(&mut w, &rows, &totals, grouping)
                }),
                ExportFormat::Xlsx => export::xlsx_bytes(&rows, &totals, grouping, "Сквозная аналитика")
                    .and_then(|bytes| std::fs::write(&path, bytes).map_err(export::ExportError::from)),
            };
            AppEvent::Exported(result.map(|()| Some(path)).map_err(|e| e.to_string()))
        });
    }

    /// Starts the HTTP service and the scheduled analytics load inside this process.
    pub fn start_services(&mut self) {
        self.services = services::Services::start(&mut self.bg, &self.store);
    }

    /// Starts only the analytics scheduler, without the HTTP service (tests, with short waits).
    pub fn start_scheduler(&mut self, config: crate::roistat::SchedulerConfig) {
        self.services = services::Services::start_scheduler(&mut self.bg, &self.store, config);
    }

    /// Whether an analytics load runs (scheduled or started from the form).
    pub fn is_loading(&self) -> bool {
        self.services.scheduler.as_ref().is_some_and(|s| s.progress().values().any(|state| state.running))
    }

    /// Stops background work and makes every write durable. Called when the window closes.
    pub fn shutdown(&mut self) {
        self.services.shutdown();
        self.bg.shutdown();
        if let Err(e) = self.store.durable() {
            tracing::error!("при закрытии не удалось сбросить данные на диск: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_or_partial_state_never_breaks_start_up() {
        let partial: AppState = serde_json::from_str(r#"{"preset":"Days7","unknown_field":1}"#).unwrap();
        assert_eq!(partial.preset, Preset::Days7);
        assert_eq!(partial.page, Page::Dashboard);
        assert_eq!(partial.sort, Sort::default());
        let state = AppState {
            page: Page::Leads,
            preset: Preset::Custom,
            custom_from: Some(Date::constant(2026, 1, 1)),
            custom_to: Some(Date::constant(2026, 1, 31)),
            grouping: Grouping::Day,
            comparison: Comparison::YearAgo,
            sort: Sort { column: Column::Roi, descending: false },
            theme: ThemeChoice::Dark,
            user_id: Some(3),
            themes: [(3, ThemeChoice::Dark)].into(),
        };
        let back: AppState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }

    #[test]
    fn pages_follow_the_role() {
        assert!(!Page::for_role(Role::Marketer).contains(&Page::Settings));
        assert_eq!(Page::for_role(Role::Manager)[0], Page::Leads);
        assert_eq!(Page::for_role(Role::Admin), &Page::ALL);
    }
}
