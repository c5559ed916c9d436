//! `skvoz alerts`: the current alerts, or a test message over the delivery channels.

use crate::{Access, open_or_ask};
use anyhow::{Result, bail};
use skvoz::app::{alerts, control};
use skvoz::domain::Alert;
use skvoz::store::Location;
use std::io::Write;
use std::process::ExitCode;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum AlertFormat {
    Table,
    Json,
}

pub async fn run(at: &Location, format: AlertFormat, send: bool) -> Result<ExitCode> {
    let access = open_or_ask(at).await?;
    if send {
        let outcomes = match &access {
            Access::Store(store) => control::alert_test(store).await?,
            Access::Running(running) => running.alert_test()?,
        };
        access.close().await?;
        if outcomes.is_empty() {
            bail!(
                "ни один канал оповещений не включён: включите Telegram, e-mail или webhook в настройках («Оповещения»)"
            );
        }
        let mut failed = false;
        for (channel, error) in outcomes {
            match error {
                None => println!("{channel}: проверочное сообщение отправлено"),
                Some(e) => {
                    failed = true;
                    println!("{channel}: не отправлено — {e}");
                }
            }
        }
        return Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS });
    }
    let found = match &access {
        Access::Store(store) => alerts::current(store, jiff::Timestamp::now()).await?,
        Access::Running(running) => running.alerts()?,
    };
    access.close().await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        AlertFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &found)?;
            writeln!(out)?;
        }
        AlertFormat::Table => print(&mut out, &found)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print(out: &mut impl Write, found: &[Alert]) -> Result<()> {
    if found.is_empty() {
        writeln!(out, "Оповещений нет")?;
        return Ok(());
    }
    let zone = jiff::tz::TimeZone::system();
    for alert in found {
        let since = alert.since.to_zoned(zone.clone()).strftime("%d.%m.%Y %H:%M");
        writeln!(out, "{since}  {}\n    {}", alert.title, alert.details)?;
    }
    Ok(())
}
