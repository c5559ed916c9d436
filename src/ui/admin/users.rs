//! «Пользователи»: who works in skvoz and with which role (the role decides the screens). On a
//! team database every person has a login of their own, in the group of their role.

use super::text_row;
use crate::app::Command;
use crate::app::admin::{AdminCommand, AdminWrite, PeopleChange, Written};
use crate::domain::{Person, TeamRole};
use crate::domain::{Role, Secret, User};
use crate::ui::Window;
use egui::RichText;

#[derive(Default)]
pub struct UsersScreen {
    pub name: String,
    pub role: Option<Role>,
    pub error: Option<String>,
    pub stale: bool,
    team: TeamPeople,
}

/// The team database's people and the «Добавить» form.
#[derive(Default)]
struct TeamPeople {
    /// `None` until read (or after a change: read again).
    people: Option<Vec<Person>>,
    asked: bool,
    login: String,
    password: String,
    repeat: String,
    /// «Сменить пароль» is open for this login.
    new_password_for: Option<String>,
    new_password: String,
    done: Option<Result<String, String>>,
}

impl UsersScreen {
    /// The people after a change, with what was done.
    pub(super) fn on_people(&mut self, done: Result<String, String>, people: Result<Vec<Person>, String>) {
        let team = &mut self.team;
        team.asked = false;
        match people {
            Ok(people) => team.people = Some(people),
            Err(e) => team.done = Some(Err(e)),
        }
        if done.as_ref().is_ok_and(|d| d.is_empty()) {
            return;
        }
        if done.is_ok() {
            team.login.clear();
            self.name.clear();
            team.new_password_for = None;
        }
        team.done = Some(done);
    }
}

impl UsersScreen {
    pub(super) fn on_written(&mut self, result: Result<Written, String>) {
        match result {
            Ok(_) => {
                self.name.clear();
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }
}

pub fn ui(ui: &mut egui::Ui, app: &mut Window) {
    if app.app.is_team_mode() {
        team_ui(ui, app);
        return;
    }
    let screen = &mut app.admin.users;
    screen.stale = false;
    ui.label(RichText::new("Пользователи").strong());
    egui::Grid::new("users").num_columns(2).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
        for u in &app.app.users {
            ui.label(&u.name);
            ui.label(u.role.title());
            ui.end_row();
        }
    });
    let role = screen.role.unwrap_or(Role::Manager);
    egui::Grid::new("user_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        // The error was about the name as it was: a new name makes it stale.
        if text_row(ui, "Имя пользователя:", &mut screen.name).changed() {
            screen.error = None;
        }
        ui.label("Роль:");
        let combo = egui::ComboBox::from_id_salt("user_role").selected_text(role.title()).show_ui(ui, |ui| {
            for r in Role::ALL {
                if ui.selectable_label(role == r, r.title()).clicked() {
                    screen.role = Some(r);
                }
            }
        });
        crate::ui::widgets::name_combo(&combo.response, "Роль", role.title());
        ui.end_row();
    });
    if ui.button("Добавить пользователя").clicked() {
        let name = screen.name.trim().to_string();
        if name.is_empty() {
            screen.error = Some("Укажите имя пользователя".into());
        } else if app.app.users.iter().any(|u| u.name == name) {
            screen.error = Some(format!("Пользователь «{name}» уже есть: укажите другое имя"));
        } else {
            let user = User { name, role, ..User::default() };
            app.app.commands.push(Command::Admin(AdminCommand::Write(AdminWrite::User(user))));
        }
    }
    super::message_line(ui, screen.error.as_deref(), None);
}

fn role_combo(ui: &mut egui::Ui, id: &str, role: TeamRole) -> Option<TeamRole> {
    let mut chosen = None;
    let combo = egui::ComboBox::from_id_salt(id).selected_text(role.title()).show_ui(ui, |ui| {
        for r in [TeamRole::Marketer, TeamRole::Manager, TeamRole::Admin] {
            if ui.selectable_label(role == r, r.title()).clicked() && r != role {
                chosen = Some(r);
            }
        }
    });
    crate::ui::widgets::name_combo(&combo.response, "Роль", role.title());
    chosen
}

fn password_row(ui: &mut egui::Ui, label: &str, value: &mut String) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(true).desired_width(220.0)).labelled_by(l.id);
    ui.end_row();
}

/// «Пользователи» of a team database: logins, roles, passwords, disabling.
fn team_ui(ui: &mut egui::Ui, app: &mut Window) {
    // An admin does not take away their own role or login: another admin (or the owner) would
    // have to give it back.
    let me = app.app.signed_in().map(|u| u.login.clone()).unwrap_or_default();
    let commands = &mut app.app.commands;
    let screen = &mut app.admin.users;
    let team = &mut screen.team;
    if (team.people.is_none() || screen.stale) && !team.asked {
        team.asked = true;
        screen.stale = false;
        commands.push(Command::Admin(AdminCommand::People(PeopleChange::List)));
    }
    let mut ask = |change: PeopleChange| commands.push(Command::Admin(AdminCommand::People(change)));
    ui.label(RichText::new("Пользователи").strong());
    ui.label(
        RichText::new(
            "У каждого свой вход в базу команды; что доступно, решает роль — это проверяет сама база данных.",
        )
        .weak(),
    );
    match &team.people {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Читается список пользователей…");
            });
        }
        Some(people) => {
            egui::Grid::new("people").num_columns(5).striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
                for h in ["Логин", "ФИО", "Роль", "Вход", ""] {
                    ui.strong(h);
                }
                ui.end_row();
                for person in people {
                    ui.label(&person.login);
                    ui.label(&person.name);
                    if person.owner {
                        ui.label("Администратор (владелец базы)");
                    } else if person.login == me {
                        ui.label(person.role.title()).on_hover_text("Свою роль меняет другой администратор");
                    } else if let Some(role) = role_combo(ui, &format!("role_{}", person.login), person.role) {
                        ask(PeopleChange::SetRole { login: person.login.clone(), role });
                    }
                    ui.label(if person.enabled { "разрешён" } else { "запрещён" });
                    ui.horizontal(|ui| {
                        if person.owner {
                            return;
                        }
                        if person.login != me {
                            let (title, enabled) = if person.enabled {
                                ("Запретить вход", false)
                            } else {
                                ("Разрешить вход", true)
                            };
                            if ui.button(title).clicked() {
                                ask(PeopleChange::Enabled { login: person.login.clone(), enabled });
                            }
                        }
                        if ui.button("Сменить пароль").clicked() {
                            team.new_password_for = Some(person.login.clone());
                            team.new_password.clear();
                        }
                    });
                    ui.end_row();
                }
            });
        }
    }
    if let Some(login) = team.new_password_for.clone() {
        ui.add_space(6.0);
        egui::Grid::new("people_password").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            password_row(ui, &format!("Новый пароль для «{login}»:"), &mut team.new_password);
        });
        ui.horizontal(|ui| {
            if ui.button("Установить пароль").clicked() {
                let password = Secret::new(std::mem::take(&mut team.new_password));
                ask(PeopleChange::Password { login: login.clone(), password });
            }
            if ui.button("Отмена").clicked() {
                team.new_password_for = None;
                team.new_password.clear();
            }
        });
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Новый пользователь").strong());
    let role = screen.role.map(TeamRole::from).unwrap_or(TeamRole::Manager);
    egui::Grid::new("person_form").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
        text_row(ui, "Логин пользователя:", &mut team.login);
        text_row(ui, "ФИО:", &mut screen.name);
        ui.label("Роль:");
        if let Some(chosen) = role_combo(ui, "person_role", role) {
            screen.role = chosen.person_role();
        }
        ui.end_row();
        password_row(ui, "Пароль пользователя:", &mut team.password);
        password_row(ui, "Пароль ещё раз:", &mut team.repeat);
    });
    if ui.button("Добавить пользователя").clicked() {
        let login = team.login.trim().to_string();
        if let Err(e) = crate::domain::check_login(&login) {
            team.done = Some(Err(e.to_string()));
        } else if team.password != team.repeat {
            team.done = Some(Err("Пароли не совпадают: введите один и тот же пароль дважды".into()));
        } else {
            // The typed password leaves the form at once; it is never shown again.
            let password = Secret::new(std::mem::take(&mut team.password));
            team.repeat.clear();
            ask(PeopleChange::Add { login, role, name: screen.name.trim().to_string(), password });
        }
    }
    let (error, ok) = match &team.done {
        Some(Ok(done)) => (None, Some(done.as_str())),
        Some(Err(e)) => (Some(e.as_str()), None),
        None => (None, None),
    };
    super::message_line(ui, error, ok);
}
