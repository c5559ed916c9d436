//! The whole window: where it works and, once the store is open, the [`Window`] on it. The store
//! opens in the background, so the first frame comes at once with «Подключение к базе…»; a store
//! that cannot be opened is a message with «Повторить» and «Подключение…», never a closed window.

use super::Window;
use super::connection::{ConnectionDialog, DialogAction, FailedAction};
use crate::app::connection::{ConnectionChoice, Connector, ConnectorEvent, OpenedStore, label};
use crate::app::{AppOptions, AppState, Location, RuntimeError};
use egui::RichText;
use std::path::{Path, PathBuf};

/// How the window starts its app on each store.
#[derive(Clone, Copy, Debug, Default)]
pub struct StartOptions {
    /// The calendar's today; `None` takes the system date. Tests fix it.
    pub today: Option<jiff::civil::Date>,
    /// Start the HTTP service and the scheduled load on the embedded store (the window; not tests).
    pub services: bool,
}

enum Stage {
    Opening,
    Failed(String),
    Open(Box<Window>),
}

pub struct Workstation {
    connector: Connector,
    data_dir: PathBuf,
    /// Where the window is, or is getting to.
    location: Location,
    /// That, for people.
    label: String,
    stage: Stage,
    dialog: Option<ConnectionDialog>,
    /// The location came from the command line (it wins over the remembered choice for this run).
    command_line: bool,
    /// The view state, carried from one store to the next.
    state: AppState,
    options: StartOptions,
    /// The open under way; an older one's answer is dropped.
    opening: u64,
    /// Said in the window once the store is open (the choice could not be remembered).
    notice: Option<String>,
    fonts_installed: bool,
}

impl Workstation {
    /// Starts opening the store: `command_line` (`--database-url`) if given, else the choice the
    /// dialog remembered in `data_dir`, else the embedded store there.
    pub fn new(
        data_dir: &Path,
        command_line: Option<Location>,
        state: AppState,
        options: StartOptions,
    ) -> Result<Workstation, RuntimeError> {
        let from_command_line = command_line.is_some();
        let remembered = ConnectionChoice::load(data_dir);
        let (location, failed) = match command_line {
            Some(location) => (location, None),
            None => match remembered.map(|choice| choice.location(data_dir, None)) {
                Some(Ok(location)) => (location, None),
                Some(Err(e)) => (Location::Embedded(data_dir.to_path_buf()), Some(e)),
                None => (Location::Embedded(data_dir.to_path_buf()), None),
            },
        };
        let mut workstation = Workstation {
            connector: Connector::new()?,
            data_dir: data_dir.to_path_buf(),
            label: label(&location),
            location,
            stage: Stage::Opening,
            dialog: None,
            command_line: from_command_line,
            state,
            options,
            opening: 0,
            notice: None,
            fonts_installed: false,
        };
        match failed {
            // The remembered server is incomplete: say so and let the person fix it.
            Some(e) => {
                workstation.stage = Stage::Failed(format!("Запомненное подключение не годится: {e}"));
                workstation.open_dialog();
            }
            None => workstation.opening = workstation.connector.open(workstation.location.clone(), None),
        }
        Ok(workstation)
    }

    /// The window on the open store, once it is open.
    pub fn window(&self) -> Option<&Window> {
        match &self.stage {
            Stage::Open(window) => Some(window),
            _ => None,
        }
    }

    /// What the status bar names: «На этом компьютере» or «PostgreSQL: server/db, login».
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The view state to keep for the next start.
    pub fn state(&self) -> &AppState {
        match &self.stage {
            Stage::Open(window) => &window.app.state,
            _ => &self.state,
        }
    }

    /// Whether a store is being opened, or the open window waits for background work (tests).
    pub fn is_busy(&self) -> bool {
        let stage = match &self.stage {
            Stage::Opening => true,
            Stage::Failed(_) => false,
            Stage::Open(window) => window.is_busy(),
        };
        stage || self.dialog.as_ref().is_some_and(ConnectionDialog::is_checking)
    }

    /// Whether an open or a check, also one given up on, has not answered yet.
    pub fn is_connecting(&self) -> bool {
        self.connector.is_working()
    }

    /// Blocks until something arrives or `timeout` passes; for tests, never the UI.
    pub fn wait_for_event(&self, timeout: std::time::Duration) -> bool {
        match &self.stage {
            Stage::Open(window) if self.dialog.as_ref().is_none_or(|d| !d.is_checking()) => {
                window.app.bg.wait_for_event(timeout)
            }
            _ => self.connector.wait_for_event(timeout),
        }
    }

    fn open_dialog(&mut self) {
        if self.dialog.is_none() {
            let choice = match (&self.location, self.command_line) {
                // Where the window is now, whether the command line or the dialog chose it.
                (Location::Postgres(_), _) | (_, true) => ConnectionChoice::from_location(&self.location),
                // On this computer: the server fields as last remembered, ready to switch to.
                (Location::Embedded(_), false) => ConnectionChoice::load(&self.data_dir)
                    .map(|c| ConnectionChoice { place: crate::app::connection::Place::Local, ..c })
                    .unwrap_or_default(),
            };
            self.dialog = Some(ConnectionDialog::new(choice, self.command_line));
        }
    }

    /// Leaves the current store (closed in the background) and opens `location`.
    fn switch_to(&mut self, location: Location) {
        let closing = match std::mem::replace(&mut self.stage, Stage::Opening) {
            Stage::Open(window) => {
                self.state = window.app.state.clone();
                Some(window.app)
            }
            _ => None,
        };
        self.label = label(&location);
        self.location = location.clone();
        self.opening = self.connector.open(location, closing);
    }

    fn opened(&mut self, store: OpenedStore) -> Stage {
        let options = AppOptions { today: self.options.today, state: self.state.clone(), ..AppOptions::default() };
        match store.into_app(options) {
            Ok(mut app) => {
                app.store_label = self.label.clone();
                app.message = self.notice.take().map(crate::app::Message::Error);
                app.ui_ready = self.fonts_installed;
                app.go_to_start_page();
                if self.options.services {
                    app.start_services();
                }
                Stage::Open(Box::new(Window::new(app)))
            }
            Err(e) => Stage::Failed(e.to_string()),
        }
    }

    fn on_event(&mut self, event: ConnectorEvent) {
        match event {
            ConnectorEvent::Opened { attempt, result } if attempt == self.opening => {
                self.stage = match result {
                    Ok(store) => self.opened(store),
                    Err(e) => Stage::Failed(e),
                };
            }
            // A store opened for an attempt given up on closes as it is dropped.
            ConnectorEvent::Opened { .. } => {}
            ConnectorEvent::Checked { attempt, result } => {
                if let Some(dialog) = &mut self.dialog {
                    dialog.checked(attempt, result);
                }
            }
        }
    }

    /// Draws one frame. Usable without eframe (tests drive it through `egui_kittest`).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if !self.fonts_installed {
            super::fonts::install(ui.ctx());
            self.fonts_installed = true;
        }
        self.connector.waker.set(ui.ctx());
        for event in self.connector.drain() {
            self.on_event(event);
        }
        // The dialog's Escape is the dialog's: taken before a screen beneath (the lead form) sees it.
        let escape = self.dialog.is_some() && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
        let mut retry = false;
        match &mut self.stage {
            Stage::Open(window) => {
                window.ui(ui);
                if std::mem::take(&mut window.app.connection_asked) {
                    self.open_dialog();
                }
            }
            Stage::Opening => {
                let mut asked = self.bare_status_bar_ui(ui);
                asked |=
                    egui::CentralPanel::default().show(ui, |ui| super::connection::opening_ui(ui, &self.label)).inner;
                if asked {
                    self.open_dialog();
                }
            }
            Stage::Failed(error) => {
                let error = error.clone();
                let mut action = FailedAction::None;
                if self.bare_status_bar_ui(ui) {
                    action = FailedAction::OpenDialog;
                }
                egui::CentralPanel::default().show(ui, |ui| {
                    let pressed = super::connection::failed_ui(ui, &self.label, &error);
                    if pressed != FailedAction::None {
                        action = pressed;
                    }
                });
                match action {
                    FailedAction::Retry => retry = true,
                    FailedAction::OpenDialog => self.open_dialog(),
                    FailedAction::None => {}
                }
            }
        }
        if retry {
            self.switch_to(self.location.clone());
        }
        self.dialog_ui(ui.ctx(), escape);
    }

    fn dialog_ui(&mut self, ctx: &egui::Context, escape: bool) {
        let Some(dialog) = &mut self.dialog else { return };
        if escape {
            self.dialog = None;
            return;
        }
        match dialog.ui(ctx, &self.data_dir) {
            DialogAction::None => {}
            DialogAction::Close => self.dialog = None,
            DialogAction::Check(location) => {
                let attempt = self.connector.check(location);
                dialog.check_started(attempt);
            }
            DialogAction::Connect { location, choice } => {
                self.dialog = None;
                self.command_line = false;
                self.notice = choice.save(&self.data_dir).err().map(|e| e.to_string());
                self.switch_to(location);
            }
        }
    }

    /// The status bar while no store is open: where the window is getting to. True when it was
    /// clicked (the dialog opens).
    fn bare_status_bar_ui(&self, ui: &mut egui::Ui) -> bool {
        let mut clicked = false;
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                clicked = store_button_ui(ui, &self.label, &self.location.describe());
            });
        });
        clicked
    }

    /// Stops the open app's background work (the window closes).
    pub fn shutdown(&mut self) {
        if let Stage::Open(window) = &mut self.stage {
            window.app.shutdown();
        }
    }
}

/// The store the window is on, in the status bar; a click opens «Подключение».
pub(crate) fn store_button_ui(ui: &mut egui::Ui, label: &str, detail: &str) -> bool {
    ui.add(egui::Button::new(RichText::new(label).weak()).frame(false))
        .on_hover_text(format!("{detail}\nНажмите, чтобы сменить подключение"))
        .clicked()
}
