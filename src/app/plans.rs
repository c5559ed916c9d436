//! «План продаж»: the window's plan page reads the month's plans with the plan / fact view, and
//! writes what the person typed.

use super::views::lead_book;
use crate::domain::{Month, Plan};
use crate::report::views::{Basis, NO_CHANNEL, View, ViewQuery, ViewTable, compute, lead_path};
use crate::store::Store;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Store work of the plan page; answered by [`PlanEvent`].
#[derive(Clone, Debug, PartialEq)]
pub enum PlanCommand {
    /// The month's plans, the channels to plan and the plan / fact table, as of `now`.
    Load { month: Month, now: Timestamp },
    /// Plans that changed («Записать»).
    Save(Vec<Plan>),
}

/// A channel the page offers a row for: its key and what people read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanChannel {
    pub key: String,
    pub title: String,
}

/// What the page shows of a month.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanPage {
    pub month: Month,
    pub plans: Vec<Plan>,
    /// The month's planned channels and every channel figures or leads were seen for, by key.
    pub channels: Vec<PlanChannel>,
    /// The plan / fact view of the month: % done and the forecast.
    pub table: ViewTable,
}

/// The answers; errors are Russian sentences for the person.
#[derive(Debug)]
pub enum PlanEvent {
    Loaded(Result<Box<PlanPage>, String>),
    /// How many plans were written.
    Saved(Result<usize, String>),
}

pub async fn run(store: Store, command: PlanCommand) -> PlanEvent {
    match command {
        PlanCommand::Load { month, now } => PlanEvent::Loaded(load(&store, month, now).await.map(Box::new)),
        PlanCommand::Save(plans) => {
            let count = plans.len();
            for plan in plans {
                if let Err(e) = store.put_plan(plan).await {
                    return PlanEvent::Saved(Err(e.to_string()));
                }
            }
            PlanEvent::Saved(Ok(count))
        }
    }
}

async fn load(store: &Store, month: Month, now: Timestamp) -> Result<PlanPage, String> {
    let book = lead_book(store, now).await.map_err(|e| e.to_string())?;
    let query = ViewQuery {
        view: View::Plan,
        basis: Basis::Lead,
        from: month.first_day(),
        to: month.last_day(),
        channel: None,
        zone: TimeZone::system(),
        sale_field: None,
    };
    let table = compute(&query, &book).map_err(|e| e.to_string())?.table;
    let plans: Vec<Plan> = book.plans.iter().filter(|p| p.month == month).cloned().collect();
    let mut keys: Vec<String> = plans.iter().map(|p| p.channel.clone()).collect();
    keys.extend(book.spend.iter().map(|d| d.channel.clone()));
    keys.extend(book.channel_titles.keys().cloned());
    keys.extend(book.counted().filter_map(|l| lead_path(l).into_iter().next()).filter(|c| c != NO_CHANNEL));
    keys.sort();
    keys.dedup();
    let channels = keys
        .into_iter()
        .map(|key| PlanChannel { title: book.channel_titles.get(&key).cloned().unwrap_or_else(|| key.clone()), key })
        .collect();
    Ok(PlanPage { month, plans, channels, table })
}
