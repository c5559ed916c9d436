//! The command line: the window by default, and the headless commands.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use skvoz::app::control;
use skvoz::report::{self, Column, Grouping, Query, Report};
use skvoz::store::{Database, Location, SCHEMA_VERSION, Store, StoreError};
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod alerts_cli;
mod history_cli;
mod plan_cli;
mod sync_cli;
mod text_table;
mod users_cli;
mod views_cli;

#[derive(Parser)]
#[command(name = "skvoz", version = version_text(), about = "Сквозная аналитика: рабочее место рядом с Roistat")]
struct Cli {
    /// Каталог данных (по умолчанию — каталог данных пользователя; или SKVOZ_DATA_DIR)
    #[arg(long, global = true, value_name = "КАТАЛОГ", env = "SKVOZ_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// База данных команды на сервере PostgreSQL вместо хранилища в каталоге данных, например
    /// postgresql://marketer@db.example.ru/skvoz?sslmode=verify-full (пароль — в PGPASSWORD или ~/.pgpass)
    #[arg(long, global = true, value_name = "URL", env = "SKVOZ_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// База данных команды (PostgreSQL): версия схемы и её обновление
    #[command(subcommand)]
    Db(DbCommand),
    /// Пользователи базы данных команды (PostgreSQL): логины, роли, пароли
    #[command(subcommand)]
    Users(users_cli::UsersCommand),
    /// Заполнить хранилище демо-данными (180 дней, пять каналов)
    Demo {
        /// Зерно генератора: одно зерно — одни и те же данные
        #[arg(long, value_name = "ЧИСЛО", default_value_t = skvoz::demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Записать все данные в файл резервной копии (JSON Lines, права 0600)
    Backup {
        /// Файл копии
        #[arg(value_name = "ФАЙЛ")]
        file: PathBuf,
    },
    /// HTTP-сервис для Roistat и загрузка аналитики без окна (останавливается по Ctrl+C или SIGTERM)
    Serve {
        /// Адрес, например 0.0.0.0:8085 (по умолчанию — из настроек, 127.0.0.1:8085)
        #[arg(long, value_name = "АДРЕС")]
        listen: Option<String>,
    },
    /// Что указать в Roistat («Своя CRM»): адрес, логин, пароль, метод, формат
    Settings {
        /// Сначала создать новый случайный пароль (работающий сервис примет его сразу)
        #[arg(long)]
        new_password: bool,
    },
    /// История изменений: кто, когда и откуда что изменил (новые записи сверху)
    History {
        /// Только заявка с этим номером
        #[arg(long, value_name = "N")]
        lead: Option<u64>,
        /// С этого дня: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД
        #[arg(long, value_name = "ДАТА", value_parser = history_cli::parse_day)]
        since: Option<jiff::civil::Date>,
        /// Сколько записей показать (по умолчанию 100)
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// План продаж: бюджет, заявки, продажи и выручка каналов по месяцам
    #[command(subcommand)]
    Plan(plan_cli::PlanCommand),
    /// Журнал обмена с Roistat (новые записи внизу)
    Log {
        /// Сколько последних записей показать (по умолчанию 50)
        #[arg(long, value_name = "ЧИСЛО", default_value_t = 50)]
        tail: usize,
    },
    /// Отчёт сквозной аналитики за период (таблица панели) или другой вид отчёта (--view)
    Report {
        /// Первый день, ГГГГ-ММ-ДД
        #[arg(long, value_name = "ДАТА", required_unless_present = "month", conflicts_with = "month")]
        from: Option<jiff::civil::Date>,
        /// Последний день, ГГГГ-ММ-ДД
        #[arg(long, value_name = "ДАТА", required_unless_present = "month", conflicts_with = "month")]
        to: Option<jiff::civil::Date>,
        /// Весь месяц, ГГГГ-ММ, вместо --from и --to (например, для --view plan)
        #[arg(long, value_name = "МЕСЯЦ", value_parser = plan_cli::parse_month)]
        month: Option<skvoz::domain::Month>,
        /// Группировка: channel (каналы, по умолчанию), source, campaign или day
        #[arg(long, value_name = "ГРУППИРОВКА", value_enum, default_value_t = GroupArg::Channel)]
        group: GroupArg,
        /// Вывод: table (таблица, по умолчанию), csv или json (деньги в рублях)
        #[arg(long, value_name = "ВЫВОД", value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Только этот канал: его значение (уровень 1 маркера, например direct27) или название
        #[arg(long, value_name = "КАНАЛ")]
        channel: Option<String>,
        /// Вид отчёта по заявкам skvoz вместо таблицы панели: funnel (воронка статусов), clients (новые и
        /// повторные продажи), managers (менеджеры), cohorts (когорты клиентов), plan (план / факт)
        #[arg(long, value_name = "ВИД", value_enum)]
        view: Option<views_cli::ViewArg>,
        /// Дата, по которой продажи попадают в период (для --view): lead (по дате заявки, по умолчанию)
        /// или sale (по дате продажи — первому переходу в статус группы «Оплачен»)
        #[arg(long, value_name = "ДАТА", value_enum, default_value_t = views_cli::BasisArg::Lead)]
        basis: views_cli::BasisArg,
        /// С --basis sale: доп. реквизит (имя для разработчика), в котором записана дата продажи
        /// (ДД.ММ.ГГГГ или ГГГГ-ММ-ДД); без него — первый переход заявки в статус группы «Оплачен»
        #[arg(long, value_name = "РЕКВИЗИТ")]
        sale_field: Option<String>,
    },
    /// Оповещения: заявки не в работе, тишина от Roistat, ошибки загрузки аналитики, расход без заявок,
    /// потерянные заявки сверки
    Alerts {
        /// Вывод: table (список, по умолчанию) или json (список объектов)
        #[arg(long, value_name = "ВЫВОД", value_enum, default_value_t = alerts_cli::AlertFormat::Table)]
        format: alerts_cli::AlertFormat,
        /// Отправить проверочное сообщение по включённым каналам (Telegram, e-mail, webhook)
        #[arg(long)]
        send: bool,
    },
    /// Восстановить хранилище из резервной копии
    Restore {
        /// Файл копии
        #[arg(value_name = "ФАЙЛ")]
        file: PathBuf,
        /// Заменить хранилище, в котором уже есть данные
        #[arg(long)]
        force: bool,
    },
    /// Загрузить аналитику из Roistat сейчас, с индикатором хода
    Sync(SyncArgs),
    /// Источники получения аналитики и состояние их загрузок
    Sources,
    /// Проекты Roistat, доступные по API-ключу (заодно проверка ключа)
    Projects(ProjectsArgs),
    /// «Сверка с Roistat»: заявки, которые отправил Roistat, против наших (пришли, с опозданием, потеряны)
    Reconcile {
        /// Источник получения аналитики по наименованию (по умолчанию — единственный)
        #[arg(long, value_name = "ИМЯ")]
        source: Option<String>,
        /// Первый день (ГГГГ-ММ-ДД); по умолчанию — неделю назад
        #[arg(long, value_name = "ДАТА")]
        from: Option<jiff::civil::Date>,
        /// Последний день (ГГГГ-ММ-ДД); по умолчанию — сегодня
        #[arg(long, value_name = "ДАТА")]
        to: Option<jiff::civil::Date>,
    },
}

#[derive(clap::Args)]
struct ProjectsArgs {
    /// API-ключ Roistat (или SKVOZ_ROISTAT_API_KEY)
    #[arg(long, value_name = "КЛЮЧ", env = "SKVOZ_ROISTAT_API_KEY", hide_env_values = true)]
    api_key: String,
    /// Адрес API Roistat (по умолчанию — облако Roistat)
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
}

#[derive(clap::Args)]
struct SyncArgs {
    /// Источник получения аналитики по наименованию (по умолчанию — единственный)
    #[arg(long, value_name = "ИМЯ")]
    source: Option<String>,
    /// Адрес API Roistat, для загрузки без сохранённого источника
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// API-ключ Roistat, для загрузки без сохранённого источника (или SKVOZ_ROISTAT_API_KEY)
    #[arg(long, value_name = "КЛЮЧ", env = "SKVOZ_ROISTAT_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Номер проекта Roistat, для загрузки без сохранённого источника
    #[arg(long, value_name = "НОМЕР")]
    project: Option<String>,
    /// Первый день загрузки (ГГГГ-ММ-ДД); по умолчанию — как по расписанию
    #[arg(long, value_name = "ДАТА", requires = "to")]
    from: Option<jiff::civil::Date>,
    /// Последний день загрузки (ГГГГ-ММ-ДД)
    #[arg(long, value_name = "ДАТА", requires = "from")]
    to: Option<jiff::civil::Date>,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Какая версия схемы в базе и какую знает эта программа
    Status,
    /// Создать или обновить схему базы (нужны права владельца базы)
    Migrate,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GroupArg {
    Channel,
    Source,
    Campaign,
    Day,
}

impl From<GroupArg> for Grouping {
    fn from(g: GroupArg) -> Grouping {
        match g {
            GroupArg::Channel => Grouping::Channel,
            GroupArg::Source => Grouping::Source,
            GroupArg::Campaign => Grouping::Campaign,
            GroupArg::Day => Grouping::Day,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
}

fn version_text() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), " (схема хранилища ", "3", ")")
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => {
            skvoz::default_data_dir().context("не удалось определить каталог данных пользователя: укажите --data-dir")
        }
    }
}

/// The help as Russian as the rest: clap's own headings and its help and version flags are English,
/// so the template names the parts and the flags are declared here.
const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
Запуск: {usage}

{all-args}{after-help}";

/// Under one Russian heading, without clap's English annotations («[default: …]», «[possible
/// values: …]», «[env: …]»): the descriptions above say the same in Russian.
fn quiet(arg: clap::Arg) -> clap::Arg {
    let arg = arg.help_heading("Параметры");
    if arg.get_action().takes_values() {
        arg.hide_default_value(true).hide_possible_values(true).hide_env(true)
    } else {
        arg
    }
}

fn russian(command: clap::Command) -> clap::Command {
    command
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("Команды")
        .subcommand_value_name("КОМАНДА")
        .next_help_heading("Параметры")
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help("Показать эту справку")
                .global(true),
        )
        .mut_args(quiet)
        .mut_subcommands(russian_subcommand)
}

/// A subcommand, and its own subcommands (`skvoz db status`), with the same Russian headings.
fn russian_subcommand(command: clap::Command) -> clap::Command {
    command
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("Команды")
        .subcommand_value_name("КОМАНДА")
        .next_help_heading("Параметры")
        .mut_args(quiet)
        .mut_subcommands(russian_subcommand)
}

/// clap writes «[OPTIONS]» into every usage line: each command gets its own line with
/// «[ПАРАМЕТРЫ]» instead, rendered once the tree is built (so it carries the full command path).
fn russian_usage(command: &mut clap::Command) {
    let usage = command.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage:").trim().replace("[OPTIONS]", "[ПАРАМЕТРЫ]");
    *command = std::mem::take(command).override_usage(usage);
    let names: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        if let Some(sub) = command.find_subcommand_mut(&name) {
            russian_usage(sub);
        }
    }
}

/// clap's error in Russian: what is wrong and with which parameter.
fn cli_error_text(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let arg = text(ContextKind::InvalidArg).replace("<", "").replace(">", "");
    match e.kind() {
        ErrorKind::MissingRequiredArgument => format!("не указаны обязательные параметры: {arg}"),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let valid = text(ContextKind::ValidValue);
            let valid = if valid.is_empty() { String::new() } else { format!(" (допустимо: {valid})") };
            // A parser of ours says what is wrong and how to write it: keep its words.
            let why = std::error::Error::source(e).map(|why| format!(": {why}")).unwrap_or_default();
            format!("неверное значение «{}» параметра {arg}{valid}{why}", text(ContextKind::InvalidValue))
        }
        ErrorKind::UnknownArgument => format!("неизвестный параметр «{arg}»"),
        ErrorKind::InvalidSubcommand => format!("неизвестная команда «{}»", text(ContextKind::InvalidSubcommand)),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "укажите команду".into(),
        ErrorKind::ArgumentConflict => {
            format!("параметр {arg} нельзя указывать вместе с {}", text(ContextKind::PriorArg))
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("неверное число значений параметра {arg}")
        }
        ErrorKind::NoEquals => format!("у параметра {arg} значение пишется через «=»"),
        _ => "командная строка не разобрана".into(),
    }
}

fn parse_cli() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = russian(Cli::command()).disable_version_flag(true).arg(
        clap::Arg::new("version").short('V').long("version").action(clap::ArgAction::Version).help("Показать версию"),
    );
    command.build();
    russian_usage(&mut command);
    let parsed = command.try_get_matches().and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            eprintln!(
                "Ошибка в командной строке. Справка: skvoz --help (или skvoz КОМАНДА --help).\n{}.",
                cli_error_text(&e)
            );
            std::process::exit(2)
        }
    }
}

fn main() -> ExitCode {
    skvoz::tune_allocator();
    skvoz::raise_open_files_limit();
    let cli = parse_cli();
    debug_assert_eq!(SCHEMA_VERSION, 3, "update version_text()");
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Ошибка: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where the commands work: a team database when one is given, else the data folder.
fn location(cli: &Cli) -> Result<Location> {
    match cli.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => Ok(Location::Postgres(Box::new(Database::parse(url)?))),
        None => Ok(Location::Embedded(data_dir(cli)?)),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let location = location(&cli)?;
    match cli.command {
        None => {
            init_logging("warn");
            // The window remembers its own choice («Подключение»); a URL given here wins for this run.
            let command_line = matches!(location, Location::Postgres(_)).then_some(location);
            skvoz::ui::run_window(&data_dir(&cli)?, command_line)
        }
        Some(command) => {
            // Errors of sync and reconcile reach the person once, through the exit message;
            // warnings would break the progress bar.
            match command {
                Command::Demo { .. } | Command::Serve { .. } => init_logging("info"),
                Command::Sync(_) | Command::Projects(_) | Command::Reconcile { .. } => init_logging("error"),
                _ => {}
            }
            // The service gets every core; a command, two threads.
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            if !matches!(command, Command::Serve { .. }) {
                runtime.worker_threads(2);
            }
            let runtime = runtime.enable_all().build().context("не удалось запустить асинхронную среду выполнения")?;
            let handle = runtime.handle().clone();
            runtime.block_on(run_command(&location, command, &handle))
        }
    }
}

/// A headless command, on the runtime `runtime`.
async fn run_command(at: &Location, command: Command, runtime: &tokio::runtime::Handle) -> Result<ExitCode> {
    match command {
        Command::Db(db) => database(at, db).await,
        Command::History { lead, since, limit } => {
            history_cli::run(at, lead, since, limit).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Users(users) => users_cli::run(at, users).await,
        Command::Plan(plan) => plan_cli::run(at, plan).await.map(|()| ExitCode::SUCCESS),
        Command::Alerts { format, send } => alerts_cli::run(at, format, send).await,
        Command::Serve { listen } => serve(at, listen, runtime).await,
        Command::Demo { seed } => {
            let store = Store::open(at).await?;
            let summary = skvoz::demo::fill(&store, seed, jiff::Zoned::now().date()).await?;
            store.close().await?;
            println!(
                "Демо-данные загружены в {}: {} фактов аналитики, {} заявок, {} звонков",
                store.location(),
                summary.facts,
                summary.leads,
                summary.calls
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Settings { new_password } => {
            let settings = match open_or_ask(at).await? {
                Access::Store(store) => {
                    let settings = control::settings(&store, new_password).await?;
                    store.close().await?;
                    settings
                }
                Access::Running(running) => running.settings(new_password)?,
            };
            println!("Что указать в Roistat («Интеграции» → «Своя CRM (новая интеграция)»):");
            println!("  URL:      {}", settings.roistat_url());
            println!("  Логин:    {}", settings.login);
            println!("  Пароль:   {}", settings.password.expose());
            println!("  Метод отправки данных: GET");
            println!("  Формат данных: JSON (не XML)");
            if let Some(problem) = settings.roistat_reach_problem() {
                println!("Внимание: {problem}.");
            }
            let proxies = if settings.trusted_proxies.is_empty() {
                "нет".to_string()
            } else {
                settings.trusted_proxies.join(", ")
            };
            println!("Доверенные прокси (X-Forwarded-For, X-Real-IP): {proxies}");
            println!(
                "Соединений не более: {} всего, {} с одного адреса; память на принимаемые запросы: {} МБ",
                settings.max_connections,
                settings.max_connections_per_address,
                settings.max_buffered_bytes >> 20
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { tail } => {
            let entries = match open_or_ask(at).await? {
                Access::Store(store) => control::log_tail(&store, tail).await?,
                Access::Running(running) => running.log_tail(tail)?,
            };
            for e in entries {
                println!("{}", format_exchange(&e));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { from, to, month, group, format, channel, view, basis, sale_field } => {
            let (from, to) = match (month, from, to) {
                (Some(month), _, _) => (month.first_day(), month.last_day()),
                (None, Some(from), Some(to)) => (from, to),
                _ => bail!("укажите период: --from и --to или --month"),
            };
            // Through the running process or the store itself, whichever holds it.
            let access = open_or_ask(at).await?;
            if let Some(view) = view {
                let request = views_cli::ViewRequest { view, basis, from, to, channel, format, sale_field };
                views_cli::run(access, request).await?;
                return Ok(ExitCode::SUCCESS);
            }
            let load = async |query: &Query| -> Result<Report> {
                Ok(match &access {
                    Access::Store(store) => control::report(store, query).await?,
                    Access::Running(running) => running.report(query)?,
                })
            };
            let mut report = load(&Query::new(from, to, group.into())).await?;
            if let Some(given) = channel {
                // A channel is named by its value or by its title as the dashboard shows it.
                let Some(found) = skvoz::report::find_channel(&report.channels, &given) else {
                    let known: Vec<String> =
                        report.channels.iter().map(|c| format!("«{}» ({})", c.title, c.key)).collect();
                    bail!(
                        "канала «{given}» нет в данных за этот период; укажите значение или название одного из: {}",
                        if known.is_empty() { "—".to_string() } else { known.join(", ") }
                    );
                };
                let query = Query { channel: Some(found.key.clone()), ..report.query.clone() };
                report = load(&query).await?;
            }
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match format {
                FormatArg::Json => {
                    serde_json::to_writer_pretty(&mut out, &report)?;
                    writeln!(out)?;
                }
                FormatArg::Csv => skvoz::app::export::write_csv(
                    &mut out,
                    &report.rows,
                    &report.totals.figures,
                    report.query.grouping,
                    None,
                )?,
                FormatArg::Table => print_table(&mut out, &report)?,
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => {
            let access = open_or_ask(at).await?;
            // The backup holds the service password: only its owner may read it.
            let out = skvoz::store::create_private_file(&file)
                .with_context(|| format!("не удалось создать файл {}", file.display()))?;
            let out = BufWriter::new(out);
            let written: Result<_> = match access {
                Access::Store(store) => store.backup(out).await.map(|(_, summary)| summary).map_err(Into::into),
                Access::Running(running) => {
                    let mut out = out;
                    running.backup(&mut out).map_err(Into::into)
                }
            };
            let summary = written.inspect_err(|_| {
                // A cut backup must not pass for a whole one later.
                let _ = std::fs::remove_file(&file);
            })?;
            println!(
                "Резервная копия {}: {} записей ({} заявок, {} фактов)",
                file.display(),
                summary.records,
                summary.leads,
                summary.facts
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, force } => {
            let input =
                std::fs::File::open(&file).with_context(|| format!("не удалось открыть файл {}", file.display()))?;
            let store = Store::open(at).await?;
            let summary = store.restore(BufReader::new(input), force).await?;
            store.close().await?;
            println!(
                "Восстановлено {} записей ({} заявок, {} фактов) в {}",
                summary.records,
                summary.leads,
                summary.facts,
                store.location()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync(args) => {
            let store = Store::open(at).await?;
            let code = sync_cli::run(&store, args).await;
            store.close().await?;
            code
        }
        Command::Projects(args) => sync_cli::projects(args.api_base.as_deref(), &args.api_key).await,
        Command::Reconcile { source, from, to } => {
            let store = Store::open(at).await?;
            let code = sync_cli::reconcile(&store, source.as_deref(), from, to).await;
            store.close().await?;
            code
        }
        Command::Sources => {
            let store = Store::open(at).await?;
            sync_cli::list(&store).await
        }
    }
}

/// Where a command reads: the store, or — while `skvoz serve` or the window holds it — that process,
/// through its control socket.
pub enum Access {
    Store(Store),
    Running(control::Client),
}

impl Access {
    /// Closes the store this command opened itself (the running process keeps its own).
    pub async fn close(self) -> Result<()> {
        if let Access::Store(store) = self {
            store.close().await?;
        }
        Ok(())
    }
}

async fn open_or_ask(at: &Location) -> Result<Access> {
    // A team database is shared by design: every command opens it itself.
    let Location::Embedded(dir) = at else { return Ok(Access::Store(Store::open(at).await?)) };
    let store_dir = skvoz::store::store_dir(dir);
    // Whoever listens holds the store; a socket left by a process that died refuses the connection.
    if let Ok(running) = control::Client::connect(&store_dir) {
        return Ok(Access::Running(running));
    }
    match Store::open(at).await {
        Ok(store) => Ok(Access::Store(store)),
        // Just started, or an older version without the socket: try once more, else the store is busy.
        Err(StoreError::Locked(path)) => match control::Client::connect(&store_dir) {
            Ok(running) => Ok(Access::Running(running)),
            Err(_) => Err(StoreError::Locked(path).into()),
        },
        Err(e) => Err(e.into()),
    }
}
/// The exit code when the store cannot go on or a stop hangs (systemd restarts on non-zero).
const EXIT_STORE_FAILED: i32 = 75;

/// How long a stop (SIGTERM) may take in all.
const STOP_LIMIT: std::time::Duration = std::time::Duration::from_secs(25);

/// `skvoz db status` and `skvoz db migrate`.
async fn database(at: &Location, command: DbCommand) -> Result<ExitCode> {
    let Location::Postgres(database) = at else {
        bail!("команда db работает с базой данных команды: укажите --database-url или SKVOZ_DATABASE_URL");
    };
    match command {
        DbCommand::Status => {
            let status = Store::schema_status(database).await?;
            println!("База данных: {}", database.describe());
            for (version, name, at) in &status.applied {
                println!("  миграция {version} ({name}) применена {}", at.strftime("%Y-%m-%d %H:%M:%S UTC"));
            }
            let (have, know) = (status.version(), status.latest);
            let verdict = match have.cmp(&know) {
                std::cmp::Ordering::Less if have == 0 => "схемы нет: её создаст skvoz db migrate".to_string(),
                std::cmp::Ordering::Less => format!("схема {have} устарела: обновите её командой skvoz db migrate"),
                std::cmp::Ordering::Equal => format!("схема {have} — та, что знает эта программа"),
                std::cmp::Ordering::Greater => {
                    format!("схема {have} новее, чем знает эта программа ({know}): обновите skvoz")
                }
            };
            println!("Версия схемы: {have}; эта программа знает до {know}: {verdict}");
            Ok(if have == know { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        DbCommand::Migrate => {
            let before = Store::schema_status(database).await?.version();
            let store = Store::open(at).await?;
            store.close().await?;
            let after = Store::schema_status(database).await?.version();
            if before == after {
                println!("Схема базы {} уже версии {after}: обновлять нечего", database.describe());
            } else {
                println!("Схема базы {} обновлена с версии {before} до {after}", database.describe());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(at: &Location, listen: Option<String>, runtime: &tokio::runtime::Handle) -> Result<ExitCode> {
    let store = Store::open(at).await?;
    #[cfg(unix)]
    let _control = control::ControlServer::start(&store, runtime)
        .inspect_err(|e| tracing::warn!("управляющий сокет не открыт: {e}"))
        .ok();
    let options = skvoz::service::ServiceOptions { listen, ..Default::default() }.with_env_overrides();
    let service = skvoz::service::start(store.clone(), options).await?;
    let settings = store.service_settings().await?;
    // The first stdout line is machine-readable: tests and scripts take the bound port from it.
    println!("listening on {}", service.local_addr());
    eprintln!(
        "HTTP-сервис: {}  (логин {}; пароль — в настройках программы)",
        service.url().await?,
        std::env::var(skvoz::service::ENV_USER).ok().filter(|u| !u.trim().is_empty()).unwrap_or(settings.login)
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // The scheduled analytics load runs beside the service, as in the window.
    let scheduler = skvoz::roistat::spawn_scheduler(store.clone(), Default::default());
    // And the alerts: evaluated every minute, each new one sent once over the enabled channels.
    let alert_sender = skvoz::app::alerts::AlertSender::start(runtime, store.clone());
    tokio::select! {
        () = wait_for_stop() => {}
        reason = service.unrecoverable() => {
            // At once, without a shutdown that may hang on the same disk: systemd starts the
            // service again, and the journal brings back every acknowledged lead.
            eprintln!("Ошибка: {reason}");
            std::process::exit(EXIT_STORE_FAILED);
        }
    }
    tracing::info!("остановка: дожидаемся текущих запросов и загрузок");
    // The service's shutdown ends with the store's close (its final checkpoint).
    drop(alert_sender);
    let stopped = async {
        scheduler.shutdown().await;
        service.shutdown().await
    };
    // systemd kills after 90 s by default; a stop that hangs (a disk that stopped answering)
    // ends here instead, non-zero, and what was acknowledged is in the journal.
    match tokio::time::timeout(STOP_LIMIT, stopped).await {
        Ok(result) => result?,
        Err(_) => {
            eprintln!(
                "Ошибка: остановка не закончилась за {} с; сервис завершён без сброса базы на диск, принятые заявки восстановятся из журнала при запуске",
                STOP_LIMIT.as_secs()
            );
            std::process::exit(EXIT_STORE_FAILED);
        }
    }
    tracing::info!("HTTP-сервис остановлен, данные сброшены на диск");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The most characters `skvoz log` prints of one entry, whatever the entry holds.
const LOG_LINE_CHARS: usize = 1000;

/// One line per entry: cut, and with control characters (line breaks, terminal escapes) replaced.
fn format_exchange(e: &skvoz::domain::ExchangeEntry) -> String {
    use skvoz::domain::cut;
    let params: Vec<String> = e.params.iter().map(|(k, v)| format!("{}={}", cut(k, 40), cut(v, 80))).collect();
    let mut line = format!(
        "{} {} {} {} {} {:.1} мс {} Б [{}]",
        e.at.strftime("%Y-%m-%d %H:%M:%S"),
        cut(&e.remote, 64),
        if e.action.is_empty() { "-".to_string() } else { cut(&e.action, 64) },
        e.outcome.title(),
        e.http_status,
        e.duration_micros as f64 / 1000.0,
        e.request_bytes,
        params.join(" ")
    );
    if !e.error.is_empty() {
        line.push_str(" — ");
        line.push_str(&cut(&e.error, 300));
    }
    let line: String = line.chars().map(|c| if c.is_control() { '�' } else { c }).collect();
    cut(&line, LOG_LINE_CHARS)
}

/// A plain aligned table for the terminal, the whole drill-down indented.
fn print_table(out: &mut impl Write, report: &Report) -> Result<()> {
    let grouping = report.query.grouping;
    writeln!(out, "{}", report.caption())?;
    let mut table: Vec<Vec<String>> = vec![Column::ALL.iter().map(|c| c.title(grouping).to_string()).collect()];
    for (depth, row) in report::flatten(&report.rows) {
        let mut line: Vec<String> = Column::ALL.iter().map(|c| c.cell(row).display()).collect();
        line[0] = format!("{}{}", "  ".repeat(depth), line[0]);
        table.push(line);
    }
    let mut total: Vec<String> = Column::ALL.iter().map(|c| c.metric(&report.totals.figures).display()).collect();
    total[0] = skvoz::app::export::TOTAL.to_string();
    table.push(total);
    text_table::write(out, &table)?;
    Ok(())
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
