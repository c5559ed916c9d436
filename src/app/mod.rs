//! Everything between the window and the world, split as rerun splits its app: [`state`] (what
//! survives a restart), [`command`] (what screens ask for and what comes back), `command_handling`
//! (running commands: view changes here, store work on the background runtime; [`admin`] and
//! `leads` hold the screens' store work), `logic` (applying
//! events, the first load, the dashboard's report), [`views`] (the dashboard's views of our own
//! leads) and `background` (the runtime, the one event channel, the change feed).
//!
//! The window (`ui/`) draws from [`App`] and pushes [`Command`]s; it never touches the store or
//! waits for anything. Screens that keep their own state live in `ui/` and implement [`Screen`]:
//! [`App::poll_events`] hands back the events that are theirs, [`App::run_commands`] runs what they
//! pushed. `app` never imports `ui`.

pub mod admin;
pub mod alerts;
mod background;
pub mod command;
mod command_handling;
pub mod connection;
pub mod control;
pub mod export;
mod leads;
pub mod link;
mod logic;
pub mod plans;

pub mod services;
pub mod setup;
pub mod state;
pub mod status;
pub mod views;

pub use crate::domain::PeriodPreset;
/// Where the window's data live, as the command line says.
pub use crate::store::Location;
/// A new service password («Сгенерировать новый»).
pub use crate::store::generate_password;
pub use background::{Background, RuntimeError, Waker};
pub use command::{
    AppEvent, Change, Command, LeadsCatalog, LeadsCommand, LeadsData, LeadsEvent, OpenedLead, SaveLead, SavedLead,
    Startup,
};
pub use logic::report;
pub use state::{AppState, ExportFormat, Page, ThemeChoice};

use crate::domain::{AnalyticsSource, ExchangeEntry, ExtraField, Lead, LeadSource, Status, User};
use crate::report::{Report, ReportError};
use crate::store::{Store, StoreError};
use jiff::civil::Date;
use std::collections::HashSet;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// The history names the window as where a change was made; the author is the login (team
/// database) or the computer's user.
pub(crate) fn window_actor() -> crate::domain::Actor {
    crate::domain::Actor { origin: "окно".into(), ..Default::default() }
}

/// Where an export goes: a save dialog in the window, a temp path in tests. Called on a
/// background thread, so a modal dialog never freezes the window.
pub trait FilePicker: Send + Sync {
    /// The path chosen, `Ok(None)` when the person cancelled, `Err(why)` when no dialog could be
    /// shown (then the export goes to [`FilePicker::fallback_dir`]).
    fn save_path(&self, suggested_name: &str, format: ExportFormat) -> Result<Option<PathBuf>, String>;

    /// Where an export goes without a dialog: the person's «Загрузки» (Downloads), else home.
    fn fallback_dir(&self) -> Option<PathBuf> {
        let dirs = directories::UserDirs::new()?;
        Some(dirs.download_dir().unwrap_or(dirs.home_dir()).to_path_buf())
    }
}

/// The system's save dialog.
pub struct RfdPicker;

/// A dialog answered faster than this was never shown: nobody cancels that quickly, while a
/// missing portal or dialog program answers at once (rfd says both ways only «no file»).
const DIALOG_SHOWN_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

impl FilePicker for RfdPicker {
    fn save_path(&self, suggested_name: &str, format: ExportFormat) -> Result<Option<PathBuf>, String> {
        let asked = std::time::Instant::now();
        let chosen = rfd::FileDialog::new()
            .set_title("Сохранить отчёт")
            .set_file_name(suggested_name)
            .add_filter(format.filter_name(), &[format.extension()])
            .save_file();
        match chosen {
            Some(path) => Ok(Some(path)),
            None if asked.elapsed() < DIALOG_SHOWN_AFTER => {
                Err("окно выбора файла не открылось (в системе нет диалога сохранения)".into())
            }
            None => Ok(None),
        }
    }
}

pub struct AppOptions {
    /// The calendar's today; `None` takes the system date. Tests fix it, and the alerts are then
    /// counted as of its noon (UTC), so that what the bell shows does not move with the clock.
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
    /// Why Roistat cannot reach that address, if it cannot (see `ServiceSettings`).
    pub roistat_reach_problem: Option<String>,
    pub telephony_light: crate::domain::Light,
}

/// A screen that keeps its own state between frames: `ui/` implements and holds it; the app's
/// events that are the screen's go to it, and the commands it pushes run like any other.
pub trait Screen {
    fn ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>);
    /// An answer to the screen's command, or a change in the store.
    fn on_event(&mut self, event: AppEvent, commands: &mut Vec<Command>);
    /// The person at the window (told each frame).
    fn set_current_user(&mut self, _user: Option<&User>) {}
    /// Whether the screen waits for an answer (tests step frames until it has it).
    fn is_busy(&self) -> bool {
        false
    }
}

pub struct App {
    pub store: Store,
    pub state: AppState,
    pub bg: Background,
    pub today: Date,
    pub users: Vec<User>,
    /// On a team database: the person signed in.
    signed_in: Option<User>,
    pub fact_span: Option<(Date, Date)>,
    pub dashboard: Dashboard,
    /// The dashboard's view tab.
    pub views: views::Views,
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
    /// The first load arrived (users, the span of the figures).
    started: bool,
    /// Asked for before the first load arrived.
    go_to_start_page: bool,
    empty_of_work: Option<bool>,
    /// The HTTP service and the scheduled load; started by the window, not by tests.
    pub services: services::Services,
    /// Which store the window is on, for the status bar: «На этом компьютере» or «PostgreSQL:
    /// server/db, login» (never a password).
    pub store_label: String,
    /// Asks the team database's light to check now (`None` on the embedded store).
    link_check: Option<std::sync::Arc<tokio::sync::Notify>>,
    /// The light as last applied: whether the database answered.
    link_up: bool,
    /// A «read everything again» waits for the database to answer: applied after the check
    /// that follows this one.
    reload_after_check: Option<u64>,
    /// A screen asked for the «Подключение» dialog; the window's owner opens it.
    pub connection_asked: bool,
    /// The current alerts for the bell, refreshed in the background.
    pub alerts: alerts::AlertsView,
    /// The instant alerts are counted at when `today` was fixed; `None`: the clock.
    alerts_clock: Option<jiff::Timestamp>,
}

impl App {
    /// Opens the application on a store without reading it: the first load (the admin, the
    /// users, the span of the figures) and the first report run in the background.
    pub fn new(store: Store, options: AppOptions) -> Result<App, AppError> {
        let mut bg = Background::new(&store)?;
        let today = options.today.unwrap_or_else(|| jiff::Zoned::now().date());
        let store_label = match store.embedded_dir() {
            Some(_) => connection::LOCAL_LABEL.to_string(),
            None => format!("PostgreSQL: {}", store.location()),
        };
        let link_check = if store.embedded_dir().is_none() { link::watch_link(&mut bg, &store) } else { None };
        let app = App {
            store,
            state: options.state,
            bg,
            today,
            users: Vec::new(),
            signed_in: None,
            fact_span: None,
            dashboard: Dashboard::default(),
            views: views::Views::default(),
            lists: Lists::default(),
            demo_loading: false,
            lists_loading: true,
            export_running: false,
            message: None,
            commands: Vec::new(),
            file_picker: std::sync::Arc::from(options.file_picker),
            applied_theme: None,
            ui_ready: false,
            started: false,
            go_to_start_page: false,
            empty_of_work: None,
            services: services::Services::default(),
            store_label,
            link_check,
            link_up: true,
            reload_after_check: None,
            connection_asked: false,
            alerts: alerts::AlertsView::default(),
            alerts_clock: options
                .today
                .and_then(|d| d.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp()),
        };
        let store = app.store.clone();
        app.bg.answer(
            async move { AppEvent::Started(logic::start(&store).await.map(Box::new).map_err(|e| e.to_string())) },
        );
        let store = app.store.clone();
        app.bg.answer(async move {
            AppEvent::Lists(logic::load_lists(&store).await.map(Box::new).map_err(|e| e.to_string()))
        });
        Ok(app)
    }

    /// Where the data live, for the status bar.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Whether the window works on a team database, where `skvoz serve` runs the service and the
    /// scheduled load, not the window.
    pub fn is_team_mode(&self) -> bool {
        self.store.embedded_dir().is_none()
    }

    /// Whether the team database stopped answering (the red «Нет связи с базой» light).
    pub fn is_offline(&self) -> bool {
        !self.link_up
    }

    /// Why the database does not answer, for the light's hover text.
    pub fn offline_reason(&self) -> Option<String> {
        self.bg.link.as_ref().and_then(|l| l.borrow().error.clone())
    }

    /// Asks the light to check the database now (something failed).
    pub(crate) fn check_link(&self) {
        if let Some(now) = &self.link_check {
            now.notify_one();
        }
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

    /// Stops background work. Called when the window closes; bounded (about 2 s), since every
    /// write was durable when it was answered.
    pub fn shutdown(&mut self) {
        self.services.shutdown();
        self.bg.shutdown();
    }
}

/// One screen with the background work it needs, without the rest of the window: the leads
/// workspace and the calls journal in tests and benchmarks.
pub struct ScreenHost<S> {
    pub screen: S,
    pub bg: Background,
    commands: Vec<Command>,
}

impl<S: Screen> ScreenHost<S> {
    pub fn new(store: &Store, screen: S) -> Result<ScreenHost<S>, AppError> {
        Ok(ScreenHost { screen, bg: Background::new(store)?, commands: Vec::new() })
    }

    /// One frame: the events that arrived, the screen, its commands.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.bg.waker.set(ui.ctx());
        for event in self.bg.drain() {
            self.screen.on_event(event, &mut self.commands);
        }
        self.screen.ui(ui, &mut self.commands);
        for command in std::mem::take(&mut self.commands) {
            command_handling::run_store_work(&self.bg, &command);
        }
    }

    /// Whether a command is under way or its answer has not been shown yet.
    pub fn is_busy(&self) -> bool {
        self.bg.is_working() || !self.commands.is_empty() || self.screen.is_busy()
    }
}
