//! `skvoz history`: «История изменений» on the command line, newest first.

use anyhow::{Result, bail};
use skvoz::domain::{Actor, HistoryEntry, HistoryFilter};

pub use skvoz::domain::parse_day;
use skvoz::store::{Location, Store};
use std::io::Write;

/// Prints the entries of one lead (by its number) and/or since a day.
pub async fn run(at: &Location, lead: Option<u64>, since: Option<jiff::civil::Date>, limit: usize) -> Result<()> {
    let store = Store::open(at)
        .await?
        .acting_as(Actor { origin: "командная строка".into(), ..Actor::default() });
    let since = match since {
        Some(day) => Some(day.to_zoned(jiff::tz::TimeZone::system())?.timestamp()),
        None => None,
    };
    let lead = match lead {
        Some(number) => match lead_id_of_number(&store, number).await? {
            Some(id) => Some(id),
            None => bail!("Заявки № {number} нет: укажите номер заявки, как в списке заявок"),
        },
        None => None,
    };
    let entries = store.history(HistoryFilter { lead, since, limit, ..HistoryFilter::default() }).await?;
    let mut out = std::io::stdout().lock();
    if entries.is_empty() {
        writeln!(out, "Изменений не найдено")?;
    }
    for entry in &entries {
        write_entry(&mut out, entry)?;
    }
    Ok(())
}

/// The id of the lead numbered `number`: usually the same value, else found among all leads.
async fn lead_id_of_number(store: &Store, number: u64) -> Result<Option<u64>> {
    if let Some(lead) = store.lead(number).await?
        && lead.number == number
    {
        return Ok(Some(lead.id));
    }
    Ok(store.all_leads().await?.into_iter().find(|l| l.number == number).map(|l| l.id))
}

fn write_entry(out: &mut impl Write, entry: &HistoryEntry) -> std::io::Result<()> {
    let at = entry.at.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M:%S");
    writeln!(out, "{at}  {}  {} ({})", entry.object.title(), entry.author, entry.origin)?;
    for change in &entry.changes {
        if change.from.is_empty() {
            writeln!(out, "    {}: {}", change.field, change.to)?;
        } else {
            writeln!(out, "    {}: {} → {}", change.field, change.from, change.to)?;
        }
    }
    Ok(())
}
