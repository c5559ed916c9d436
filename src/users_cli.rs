//! `skvoz users`: the people of a team database — their logins, roles and passwords.
//! Passwords are read from the standard input (without echo on a terminal) and go no further than
//! the store, which sends PostgreSQL only their SCRAM verifier.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use skvoz::domain::Secret;
use skvoz::store::{Location, Store, TeamRole};
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Пользователи базы: логин, ФИО, роль и разрешён ли вход
    List,
    /// Добавить пользователя: свой логин PostgreSQL с паролем и ролью (пароль — из стандартного ввода)
    Add {
        /// Логин: латинские строчные буквы, цифры, точка, дефис, подчёркивание
        #[arg(value_name = "ЛОГИН")]
        login: String,
        /// Роль: marketer (маркетолог), manager (менеджер), admin (администратор) или service (для skvoz serve)
        #[arg(long, value_enum, value_name = "РОЛЬ")]
        role: RoleArg,
        /// ФИО, например «Петрова Анна» (по умолчанию — логин)
        #[arg(long, value_name = "ФИО")]
        name: Option<String>,
        /// Прочитать пароль из стандартного ввода (первая строка; с терминала — без отображения)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Сменить роль пользователя: marketer, manager, admin или service
    SetRole {
        /// Логин
        #[arg(value_name = "ЛОГИН")]
        login: String,
        /// Новая роль
        #[arg(value_enum, value_name = "РОЛЬ")]
        role: RoleArg,
    },
    /// Задать пользователю новый пароль (из стандартного ввода)
    Password {
        /// Логин
        #[arg(value_name = "ЛОГИН")]
        login: String,
        /// Прочитать пароль из стандартного ввода (первая строка; с терминала — без отображения)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Запретить пользователю вход (его данные и история остаются)
    Disable {
        /// Логин
        #[arg(value_name = "ЛОГИН")]
        login: String,
    },
    /// Снова разрешить пользователю вход
    Enable {
        /// Логин
        #[arg(value_name = "ЛОГИН")]
        login: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Marketer,
    Manager,
    Admin,
    Service,
}

impl From<RoleArg> for TeamRole {
    fn from(role: RoleArg) -> TeamRole {
        match role {
            RoleArg::Marketer => TeamRole::Marketer,
            RoleArg::Manager => TeamRole::Manager,
            RoleArg::Admin => TeamRole::Admin,
            RoleArg::Service => TeamRole::Service,
        }
    }
}

pub async fn run(at: &Location, command: UsersCommand) -> Result<ExitCode> {
    if !matches!(at, Location::Postgres(_)) {
        bail!(
            "пользователи с логинами — только для командной работы (PostgreSQL): укажите --database-url или \
             SKVOZ_DATABASE_URL; в хранилище на одном компьютере роль выбирают в окне"
        );
    }
    // The password first: a mistake in it should not cost a connection.
    let password = match &command {
        UsersCommand::Add { login, .. } | UsersCommand::Password { login, .. } => Some(read_password(login)?),
        _ => None,
    };
    let store = Store::open(at).await?;
    match command {
        UsersCommand::List => {
            let people = store.people().await?;
            if people.is_empty() {
                println!(
                    "Пользователей нет: добавьте первого администратора командой skvoz users add ЛОГИН --role admin"
                );
            } else {
                print_people(&people);
            }
        }
        UsersCommand::Add { login, role, name, .. } => {
            let password = password.context("пароль не прочитан")?;
            let person = store.add_person(&login, role.into(), name.as_deref().unwrap_or(""), &password).await?;
            println!(
                "Пользователь {} ({}) добавлен с ролью «{}»: вход в окне и в командах — с логином {}",
                person.login,
                person.display_name(),
                person.role.title(),
                person.login
            );
        }
        UsersCommand::SetRole { login, role } => {
            let role = TeamRole::from(role);
            store.set_person_role(&login, role).await?;
            println!("Пользователь {login} теперь с ролью «{}»", role.title());
        }
        UsersCommand::Password { login, .. } => {
            let password = password.context("пароль не прочитан")?;
            store.set_person_password(&login, &password).await?;
            println!("Пароль пользователя {login} изменён");
        }
        UsersCommand::Disable { login } => {
            store.set_person_enabled(&login, false).await?;
            println!("Вход пользователю {login} запрещён (уже открытые подключения доработают до закрытия)");
        }
        UsersCommand::Enable { login } => {
            store.set_person_enabled(&login, true).await?;
            println!("Вход пользователю {login} снова разрешён");
        }
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

fn print_people(people: &[skvoz::store::Person]) {
    let width = |f: &dyn Fn(&skvoz::store::Person) -> usize, title: &str| {
        people.iter().map(f).chain([title.chars().count()]).max().unwrap_or(0)
    };
    let login_w = width(&|p| p.login.chars().count(), "Логин");
    let name_w = width(&|p| p.display_name().chars().count(), "ФИО");
    let role_w = width(&|p| p.role.title().chars().count(), "Роль");
    let pad = |text: &str, w: usize| format!("{text}{}", " ".repeat(w.saturating_sub(text.chars().count())));
    println!("{}  {}  {}  Вход", pad("Логин", login_w), pad("ФИО", name_w), pad("Роль", role_w));
    for p in people {
        let login = if p.enabled { "разрешён" } else { "запрещён" };
        println!(
            "{}  {}  {}  {login}",
            pad(&p.login, login_w),
            pad(p.display_name(), name_w),
            pad(p.role.title(), role_w)
        );
    }
}

/// The password from the standard input: its first line, or, from a terminal, typed twice without
/// echo. Never printed.
fn read_password(login: &str) -> Result<Secret> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return read_line().map(Secret::new);
    }
    let first = {
        eprint!("Пароль для {login}: ");
        let _quiet = EchoOff::start();
        read_line()?
    };
    eprintln!();
    let second = {
        eprint!("Ещё раз: ");
        let _quiet = EchoOff::start();
        read_line()?
    };
    eprintln!();
    if first != second {
        bail!("пароли не совпали: введите один и тот же пароль дважды");
    }
    Ok(Secret::new(first))
}

fn read_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("пароль не прочитан из стандартного ввода")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("пароль пуст: передайте его первой строкой стандартного ввода");
    }
    Ok(password)
}

/// Turns the terminal's echo off until dropped.
struct EchoOff {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl EchoOff {
    fn start() -> EchoOff {
        #[cfg(unix)]
        {
            // SAFETY: tcgetattr/tcsetattr on the standard input with a zeroed, then filled, termios.
            let mut term: libc::termios = unsafe { std::mem::zeroed() };
            if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut term) } != 0 {
                return EchoOff { saved: None };
            }
            let saved = term;
            term.c_lflag &= !libc::ECHO;
            if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &term) } != 0 {
                return EchoOff { saved: None };
            }
            EchoOff { saved: Some(saved) }
        }
        #[cfg(not(unix))]
        EchoOff {}
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = &self.saved {
            // SAFETY: restores the settings read in `start`.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved) };
        }
    }
}
