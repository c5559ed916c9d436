//! Reading what the views need from the store, for the window and the command line alike.

use crate::report::Periods;
use crate::report::views::LeadBook;
use crate::store::{Store, StoreError};
use jiff::Timestamp;

/// Every lead, the statuses and the people, the monthly plans and each channel's daily figures,
/// as of `now`.
pub async fn lead_book(store: &Store, now: Timestamp) -> Result<LeadBook, StoreError> {
    // The channels' figures per day over every loaded day: PostgreSQL sums them in the database.
    let spend = match store.fact_date_span().await? {
        Some((from, to)) => {
            let periods = Periods { from, to, previous_from: from, previous_to: from };
            store.report_sums(periods).await?.days
        }
        None => Vec::new(),
    };
    let mut channel_titles = std::collections::BTreeMap::new();
    for path in store.fact_markers().await? {
        if !path.channel.title.is_empty() {
            channel_titles.entry(path.channel.value.clone()).or_insert(path.channel.title.clone());
        }
    }
    Ok(LeadBook {
        leads: store.all_leads().await?,
        statuses: store.statuses().await?,
        users: super::logic::users(store).await?,
        now,
        plans: store.plans(None).await?,
        spend,
        channel_titles,
    })
}
