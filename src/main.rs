//! The command line: the window by default, and the headless commands.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use skvoz::store::{SCHEMA_VERSION, Store};
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "skvoz", version = version_text(), about = "Сквозная аналитика: рабочее место рядом с Roistat")]
struct Cli {
    /// Data folder (default: the user's data folder)
    #[arg(long, global = true, value_name = "DIR", env = "SKVOZ_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Fill the store with demo data (180 days, five channels)
    Demo {
        /// Seed of the generator: the same seed gives the same data
        #[arg(long, default_value_t = skvoz::demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Write every record to a JSON-lines file
    Backup { file: PathBuf },
    /// Run the HTTP service for Roistat without the window (Ctrl+C or SIGTERM stops it)
    Serve {
        /// Listen address, e.g. 0.0.0.0:8085 (default: from the settings, 127.0.0.1:8085)
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Print the exchange log (newest last)
    Log {
        /// How many newest entries
        #[arg(long, default_value_t = 50)]
        tail: usize,
    },
    /// Rebuild the store from a backup file
    Restore {
        file: PathBuf,
        /// Replace a store that already has data
        #[arg(long)]
        force: bool,
    },
}

fn version_text() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), " (схема хранилища ", "2", ")")
}

fn data_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => {
            skvoz::default_data_dir().context("не удалось определить каталог данных пользователя: укажите --data-dir")
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    debug_assert_eq!(SCHEMA_VERSION, 2, "update version_text()");
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Ошибка: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = data_dir(&cli)?;
    match cli.command {
        None => {
            init_logging("warn");
            skvoz::ui::run_window(&dir)
        }
        Some(Command::Demo { seed }) => {
            init_logging("info");
            let store = Store::open(&dir)?;
            let summary = skvoz::demo::fill(&store, seed, jiff::Zoned::now().date())?;
            store.durable()?;
            println!(
                "Демо-данные загружены в {}: {} фактов аналитики, {} заявок, {} звонков",
                store.path().display(),
                summary.facts,
                summary.leads,
                summary.calls
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Serve { listen }) => {
            init_logging("info");
            serve(&dir, listen)
        }
        Some(Command::Log { tail }) => {
            let store = Store::open(&dir)?;
            let mut entries = store.exchange_newest(tail)?;
            entries.reverse();
            for e in entries {
                println!("{}", format_exchange(&e));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { file }) => {
            let store = Store::open(&dir)?;
            let out =
                std::fs::File::create(&file).with_context(|| format!("не удалось создать файл {}", file.display()))?;
            let mut out = BufWriter::new(out);
            let summary = store.backup(&mut out)?;
            println!(
                "Резервная копия {}: {} записей ({} заявок, {} фактов)",
                file.display(),
                summary.records,
                summary.leads,
                summary.facts
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Restore { file, force }) => {
            let input =
                std::fs::File::open(&file).with_context(|| format!("не удалось открыть файл {}", file.display()))?;
            let store = Store::open(&dir)?;
            let summary = store.restore(&mut BufReader::new(input), force)?;
            println!(
                "Восстановлено {} записей ({} заявок, {} фактов) в {}",
                summary.records,
                summary.leads,
                summary.facts,
                store.path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(dir: &std::path::Path, listen: Option<String>) -> Result<ExitCode> {
    let store = Store::open(dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("не удалось запустить асинхронную среду выполнения")?;
    runtime.block_on(async move {
        let options = skvoz::service::ServiceOptions { listen, ..Default::default() }.with_env_overrides();
        let handle = skvoz::service::start(store.clone(), options).await?;
        let settings = store.service_settings()?;
        // The first stdout line is machine-readable: tests and scripts take the bound port from it.
        println!("listening on {}", handle.local_addr());
        eprintln!(
            "HTTP-сервис: {}  (логин {}; пароль — в настройках программы)",
            handle.url()?,
            std::env::var(skvoz::service::ENV_USER).ok().filter(|u| !u.trim().is_empty()).unwrap_or(settings.login)
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        wait_for_stop().await;
        tracing::info!("остановка: дожидаемся текущих запросов");
        handle.shutdown().await?;
        tracing::info!("HTTP-сервис остановлен, данные сброшены на диск");
        Ok(ExitCode::SUCCESS)
    })
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

fn format_exchange(e: &skvoz::domain::ExchangeEntry) -> String {
    let params: Vec<String> = e.params.iter().map(|(k, v)| format!("{k}={}", cut_chars(v, 80))).collect();
    let mut line = format!(
        "{} {} {} {} {} {:.1} мс [{}]",
        e.at.strftime("%Y-%m-%d %H:%M:%S"),
        e.remote,
        if e.action.is_empty() { "-" } else { &e.action },
        e.outcome.title(),
        e.http_status,
        e.duration_micros as f64 / 1000.0,
        params.join(" ")
    );
    if !e.error.is_empty() {
        line.push_str(" — ");
        line.push_str(&e.error);
    }
    line
}

fn cut_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
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
