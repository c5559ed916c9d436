//! The window's frame: top bar (user, theme), left navigation, status bar, and the current page.

use super::calls::CallsScreen;
use super::leads::LeadsScreen;
use super::plans::PlanScreen;
use crate::app::status::{ServiceState, SyncState};
use crate::app::{App, AppEvent, Command, Message, Page, Screen, ThemeChoice};
use egui::RichText;

/// The window: the app and the screens' own state. It derefs to [`App`], so what the app knows
/// (the state, the users, the background) reads the same through it.
pub struct Window {
    pub app: App,
    /// The admin screens' view state (forms, filters, background checks).
    pub admin: super::admin::AdminScreens,
    /// The leads workspace, made on the first visit and kept with its filters and open form.
    pub leads: Option<LeadsScreen>,
    pub calls: Option<CallsScreen>,
    /// «План продаж», made on the first visit.
    pub plans: Option<PlanScreen>,
}

impl std::ops::Deref for Window {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl std::ops::DerefMut for Window {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

impl Window {
    pub fn new(app: App) -> Window {
        Window { app, admin: super::admin::AdminScreens::default(), leads: None, calls: None, plans: None }
    }

    /// Whether background work a screen waits for is under way (tests wait on it).
    pub fn is_busy(&self) -> bool {
        self.app.is_busy()
            || self.leads.as_ref().is_some_and(|s| s.is_busy())
            || self.calls.as_ref().is_some_and(Screen::is_busy)
            || self.plans.as_ref().is_some_and(Screen::is_busy)
    }

    /// Hands the screens what is theirs.
    fn route(&mut self, events: Vec<AppEvent>) {
        for event in events {
            match event {
                AppEvent::Changed(change) => {
                    self.admin.changed(&change);
                    if let Some(screen) = &mut self.leads {
                        Screen::on_event(screen, AppEvent::Changed(change.clone()), &mut self.app.commands);
                    }
                    if let Some(screen) = &mut self.plans {
                        screen.on_event(AppEvent::Changed(change.clone()), &mut self.app.commands);
                    }
                    if let Some(screen) = &mut self.calls {
                        screen.on_event(AppEvent::Changed(change), &mut self.app.commands);
                    }
                }
                event @ AppEvent::Plans(_) => {
                    if let Some(screen) = &mut self.plans {
                        Screen::on_event(screen, event, &mut self.app.commands);
                    }
                }
                event @ AppEvent::Leads(_) => {
                    if let Some(screen) = &mut self.leads {
                        Screen::on_event(screen, event, &mut self.app.commands);
                    }
                }
                event @ AppEvent::Calls(_) => {
                    if let Some(screen) = &mut self.calls {
                        screen.on_event(event, &mut self.app.commands);
                    }
                }
                // Checks and loads started on the admin pages finish even while another page is shown.
                AppEvent::Admin(event) => self.admin.answered(event),
                _ => {}
            }
        }
    }

    /// What a click elsewhere asked to open in a screen's own state: the bell's «Открыть заявку»
    /// the lead's form on «Заявки», the dashboard's reconciliation badge the source's form on
    /// «Источники».
    fn open_asked(&mut self, commands: &[Command]) {
        for command in commands {
            if let Command::OpenLead(id) = command
                && self.app.pages().contains(&Page::Leads)
            {
                let screen = self.leads.get_or_insert_with(|| LeadsScreen::new(super::leads::system_clock()));
                screen.open_lead(*id);
            }
            if let Command::OpenReconciliation(id) = command
                && self.app.pages().contains(&Page::Sources)
                && let Some(source) = self.app.lists.analytics_sources.iter().find(|s| s.id == *id)
            {
                self.admin.sources_tab = Some(super::admin::SourcesTab::Analytics);
                self.admin.analytics.edit(source.clone());
            }
        }
    }

    /// Draws one frame. Usable without eframe (tests drive it through `egui_kittest`).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if !self.app.ui_ready {
            super::fonts::install(ui.ctx());
            self.app.ui_ready = true;
        }
        self.app.bg.waker.set(ui.ctx());
        let events = self.app.poll_events();
        self.route(events);
        apply_theme(&mut self.app, ui.ctx());

        let mut commands = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| top_bar_ui(ui, &self.app, &mut commands));
        egui::Panel::bottom("status_bar").show(ui, |ui| status_bar_ui(ui, &self.app, &mut commands));
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(210.0)
            .show(ui, |ui| nav_ui(ui, &self.app, &mut commands));
        egui::CentralPanel::default().show(ui, |ui| {
            message_ui(ui, &self.app, &mut commands);
            if !self.app.is_started() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Открываем данные…");
                });
                return;
            }
            match self.app.state.page {
                Page::Dashboard => super::dashboard::ui(ui, &self.app, &mut commands),
                Page::Leads => {
                    let screen = self.leads.get_or_insert_with(|| LeadsScreen::new(super::leads::system_clock()));
                    screen.set_current_user(self.app.current_user());
                    screen.ui(ui, &mut commands)
                }
                Page::Calls => self.calls.get_or_insert_with(CallsScreen::new).ui(ui, &mut commands),
                Page::Plan => {
                    let today = self.app.today;
                    self.plans.get_or_insert_with(|| PlanScreen::new(today)).ui(ui, &mut commands)
                }
                Page::Sources => super::admin::sources_ui(ui, self),
                Page::Catalog => super::admin::catalog_ui(ui, self),
                Page::ExchangeLog => super::admin::exchange_ui(ui, self),
                Page::History => super::admin::history_ui(ui, self),
                Page::Settings => super::admin::settings_ui(ui, self),
            }
        });
        self.open_asked(&commands);
        self.app.commands.extend(commands);
        self.app.run_commands();
    }
}

fn apply_theme(app: &mut App, ctx: &egui::Context) {
    if app.applied_theme != Some(app.state.theme) {
        ctx.set_theme(match app.state.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        });
        app.applied_theme = Some(app.state.theme);
    }
}

fn top_bar_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        file_menu_ui(ui, app, commands);
        ui.label(RichText::new("skvoz").strong().size(16.0));
        ui.label(RichText::new("Сквозная аналитика для Roistat").weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            super::alerts_bell::ui(ui, app, commands);
            ui.add_space(8.0);
            let combo =
                egui::ComboBox::from_id_salt("theme").selected_text(app.state.theme.title()).show_ui(ui, |ui| {
                    for t in [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark] {
                        if ui.selectable_label(app.state.theme == t, t.title()).clicked() {
                            commands.push(Command::SetTheme(t));
                        }
                    }
                });
            super::widgets::name_combo(&combo.response, "Тема", app.state.theme.title());
            ui.label("Тема:");
            ui.add_space(12.0);
            let current = app.current_user().map(|u| format!("{} ({})", u.name, u.role.title())).unwrap_or_default();
            if app.signed_in().is_some() {
                // On a team database the login decides who works here and in which role.
                ui.label(RichText::new(&current).strong())
                    .on_hover_text("Вход в базу команды: роль назначает администратор (skvoz users)");
                ui.label("Пользователь:");
                return;
            }
            let combo = egui::ComboBox::from_id_salt("user").selected_text(&current).width(240.0).show_ui(ui, |ui| {
                for u in &app.users {
                    let on = Some(u.id) == app.state.user_id;
                    if ui.selectable_label(on, format!("{} ({})", u.name, u.role.title())).clicked() && !on {
                        commands.push(Command::SetUser(u.id));
                    }
                }
            });
            super::widgets::name_combo(&combo.response, "Пользователь", &current);
            ui.label("Пользователь:");
        });
    });
}

/// «Файл»: where the window works, the settings, leaving.
fn file_menu_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.menu_button("Файл", |ui| {
        if ui.button("Подключение к базе…").clicked() {
            commands.push(Command::OpenConnection);
        }
        if app.pages().contains(&Page::Settings) && ui.button("Настройки").clicked() {
            commands.push(Command::Navigate(Page::Settings));
        }
        ui.separator();
        if ui.button("Выход").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    });
}

fn nav_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.with_layout(egui::Layout::top_down_justified(egui::Align::Min), |ui| {
        for page in app.pages() {
            let on = app.state.page == *page;
            let b = ui.add(
                egui::Button::selectable(on, RichText::new(page.title()).size(15.0)).min_size(egui::vec2(0.0, 30.0)),
            );
            if b.clicked() && !on {
                commands.push(Command::Navigate(*page));
            }
        }
    });
}

fn message_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    let Some(message) = &app.message else { return };
    let (text, color) = match message {
        Message::Info(t) => (t, ui.visuals().text_color()),
        Message::Error(t) => (t, ui.visuals().error_fg_color),
    };
    ui.horizontal(|ui| {
        // A long message (a file's path) wraps: unwrapped it would widen the page past the window.
        let width = (ui.available_width() - 32.0).max(100.0);
        ui.scope(|ui| {
            ui.set_max_width(width);
            ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
        });
        if ui.small_button("✕").on_hover_text("Скрыть").clicked() {
            commands.push(Command::DismissMessage);
        }
    });
    ui.separator();
}

fn time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M:%S").to_string()
}

fn status_bar_ui(ui: &mut egui::Ui, app: &App, commands: &mut Vec<Command>) {
    // Which store goes on the right first; long states on the left are cut short instead of
    // running under it.
    egui::Sides::new().shrink_left().truncate().show(
        ui,
        |ui| {
            // First, so that it is never the part cut short.
            if app.is_offline() {
                offline_light_ui(ui, app);
                ui.separator();
            }
            status_line_ui(ui, app)
        },
        |ui| {
            if super::workstation::store_button_ui(ui, &app.store_label, &app.location()) {
                commands.push(Command::OpenConnection);
            }
        },
    );
}

/// The red light of a team database that does not answer.
fn offline_light_ui(ui: &mut egui::Ui, app: &App) {
    let why = app.offline_reason().unwrap_or_default();
    ui.label(RichText::new("● Нет связи с базой").color(ui.visuals().error_fg_color).strong()).on_hover_text(format!(
        "{why}\nОкно показывает то, что было прочитано до обрыва, и подключится само, когда сервер ответит"
    ));
}

fn status_line_ui(ui: &mut egui::Ui, app: &App) {
    if app.is_team_mode() {
        let last = app.lists.exchange.first().map(|e| time(e.at)).unwrap_or_else(|| "—".into());
        ui.label(format!("Последний запрос Roistat: {last}"));
        ui.separator();
        // Last: the part cut short when the window is narrow.
        ui.label("Командный режим: HTTP-сервис и загрузка аналитики работают в «skvoz serve» на сервере");
        return;
    }
    // HTTP service: not wired until `Background::plug_service` is called.
    match app.bg.service.as_ref().map(|s| s.borrow().clone()) {
        None => {
            let address = &app.lists.service_address;
            ui.label(if address.is_empty() {
                "HTTP-сервис: не запущен".to_string()
            } else {
                format!("HTTP-сервис {address}: не запущен")
            });
        }
        Some(s) => {
            match &s.state {
                ServiceState::NotStarted => ui.label(format!("HTTP-сервис {}: не запущен", s.address)),
                ServiceState::Listening => ui.label(format!("HTTP-сервис {}: работает", s.address)),
                ServiceState::Error(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("HTTP-сервис {}: ошибка — {e}", s.address))
                }
            };
            ui.separator();
            ui.label(format!("Последний запрос Roistat: {}", s.last_request.map(time).unwrap_or_else(|| "—".into())));
        }
    }
    ui.separator();
    match app.bg.sync.as_ref().map(|s| s.borrow().clone()) {
        // Not wired yet: say so, and show the last error a source recorded in the store.
        None => {
            ui.label("Загрузка аналитики: не запущена");
            if let Some((name, e)) =
                app.lists.analytics_sources.iter().find_map(|s| s.last_error.as_ref().map(|e| (&s.name, e)))
            {
                ui.colored_label(ui.visuals().error_fg_color, format!("последняя ошибка «{name}»: {e}"));
            }
        }
        Some(s) => match &s.state {
            SyncState::Idle => {
                let last = s.last_run.map(time).map(|t| format!(", последняя {t}")).unwrap_or_default();
                ui.label(format!("Загрузка аналитики: ожидание{last}"));
            }
            SyncState::Running { source, progress } => {
                // The bar first: the label after it is the part cut short when space runs out.
                ui.add(egui::ProgressBar::new(*progress).desired_width(90.0).show_percentage());
                ui.label(format!("Загрузка аналитики «{source}»"));
            }
            SyncState::Failed(e) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Загрузка аналитики: ошибка — {e}"));
            }
        },
    }
    if app.dashboard.loading || app.demo_loading {
        ui.separator();
        ui.spinner();
        ui.label(if app.demo_loading {
            "Загрузка демо-данных…"
        } else {
            "Расчёт отчёта…"
        });
    }
}
