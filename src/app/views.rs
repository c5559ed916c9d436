//! Reading what the views need from the store, for the window and the command line alike.

use crate::report::views::LeadBook;
use crate::store::{Store, StoreError};
use jiff::Timestamp;

/// Every lead, the statuses and the people, as of `now`.
pub async fn lead_book(store: &Store, now: Timestamp) -> Result<LeadBook, StoreError> {
    Ok(LeadBook {
        leads: store.all_leads().await?,
        statuses: store.statuses().await?,
        users: super::logic::users(store).await?,
        now,
    })
}
