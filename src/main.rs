//! The command line: the window by default, and the headless commands.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use skvoz::store::{SCHEMA_VERSION, Store};
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

mod sync_cli;

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
    /// Rebuild the store from a backup file
    Restore {
        file: PathBuf,
        /// Replace a store that already has data
        #[arg(long)]
        force: bool,
    },
    /// Load analytics from Roistat now, in the foreground, with a progress bar
    Sync(SyncArgs),
    /// List the analytics sources and the state of their loads
    Sources,
}

#[derive(clap::Args)]
struct SyncArgs {
    /// The analytics source to load, by name (default: the only one there is)
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
    /// Roistat API address, for a load without a saved source
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// Roistat API key, for a load without a saved source
    #[arg(long, value_name = "KEY", env = "SKVOZ_ROISTAT_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Roistat project number, for a load without a saved source
    #[arg(long, value_name = "ID")]
    project: Option<String>,
    /// First day to load (YYYY-MM-DD); default: what the schedule would load
    #[arg(long, value_name = "DATE", requires = "to")]
    from: Option<jiff::civil::Date>,
    /// Last day to load (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", requires = "from")]
    to: Option<jiff::civil::Date>,
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
        Some(Command::Sync(args)) => {
            // Errors reach the person once, through the exit message; warnings would break the bar.
            init_logging("error");
            let store = Store::open(&dir)?;
            sync_cli::run(&store, args)
        }
        Some(Command::Sources) => {
            let store = Store::open(&dir)?;
            sync_cli::list(&store)
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
