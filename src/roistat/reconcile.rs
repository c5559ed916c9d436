//! «Сверка с Roistat»: load `project/proxy-leads` for a period and match it with the store's leads
//! (the matching itself is [`crate::domain::reconcile`]).

use super::cancel::Cancel;
use super::client::{ClientConfig, RoistatClient, scrub};
use super::error::RoistatError;
use super::sync::{RetryPolicy, SyncError, with_retry};
use crate::domain::{AnalyticsSource, Lead, OurLead, Reconciliation, RoistatLead, reconcile};
use crate::store::{Store, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;

pub(super) const CALL: &str = "project/proxy-leads";

/// The scheduled load reconciles at most this many of its last days.
pub const RECONCILE_DAYS: i64 = 31;

fn our_lead(lead: &Lead) -> OurLead {
    OurLead {
        id: lead.id,
        roistat_lead_id: lead.roistat_lead_id.clone(),
        created: lead.created,
        received: lead.received,
    }
}

/// Our candidates for Roistat's leads: by its lead id, then by the order id it recorded.
async fn candidates(store: &Store, leads: &[RoistatLead]) -> Result<Vec<OurLead>, StoreError> {
    let mut out: Vec<OurLead> = Vec::new();
    for r in leads {
        let by_id = if r.id.is_empty() { None } else { store.lead_by_roistat_id(&r.id).await? };
        let found = match by_id {
            Some(lead) => Some(lead),
            None => match r.order_id.parse() {
                Ok(id) => store.lead(id).await?,
                Err(_) => None,
            },
        };
        if let Some(lead) = found.filter(|l| !l.deleted && !out.iter().any(|o| o.id == l.id)) {
            out.push(our_lead(&lead));
        }
    }
    Ok(out)
}

/// Matches Roistat's proxy leads of `from..=to` with ours.
pub(super) async fn match_leads(
    store: &Store,
    leads: Vec<RoistatLead>,
    from: Date,
    to: Date,
) -> Result<Reconciliation, StoreError> {
    let ours = candidates(store, &leads).await?;
    let mut result = reconcile(&leads, &ours);
    result.from = Some(from);
    result.to = Some(to);
    result.checked_at = Some(Timestamp::now());
    Ok(result)
}

/// A result that says why the reconciliation could not run.
pub(super) fn failed(from: Date, to: Date, why: String) -> Reconciliation {
    Reconciliation {
        from: Some(from),
        to: Some(to),
        checked_at: Some(Timestamp::now()),
        error: Some(why),
        ..Reconciliation::default()
    }
}

fn from_roistat(e: RoistatError) -> SyncError {
    match e {
        RoistatError::Cancelled { .. } => SyncError::Cancelled,
        other => SyncError::Roistat(other),
    }
}

/// Reconciles one analytics source now (`skvoz reconcile`, «Сверить сейчас») and keeps the result
/// on it; a failure is kept there too, so the screens say why.
pub async fn reconcile_source(
    store: &Store,
    source_id: u64,
    from: Date,
    to: Date,
) -> Result<Reconciliation, SyncError> {
    let source = store.get::<AnalyticsSource>(source_id).await?.ok_or(SyncError::SourceNotFound(source_id))?;
    if source.api_key.expose().trim().is_empty() {
        return Err(SyncError::NoApiKey(source.name.clone()));
    }
    if source.project.trim().is_empty() {
        return Err(SyncError::NoProject(source.name.clone()));
    }
    let client = ClientConfig::for_source(&source).and_then(RoistatClient::new).map_err(SyncError::Roistat)?;
    let loaded =
        with_retry(CALL, &RetryPolicy::default(), &Cancel::new(), &mut 0, || client.proxy_leads(from, to)).await;
    let result = match loaded {
        Ok(leads) => Ok(match_leads(store, leads, from, to).await?),
        Err(e) => Err(from_roistat(e)),
    };
    let kept = match &result {
        Ok(r) => r.clone(),
        Err(e) => failed(from, to, scrub(&e.to_string(), &source.api_key)),
    };
    save(store, source_id, kept).await?;
    result
}

/// Puts a result on the source as it is now (the person may have edited it meanwhile).
pub(crate) async fn save(store: &Store, source_id: u64, result: Reconciliation) -> Result<(), StoreError> {
    if let Some(mut latest) = store.get::<AnalyticsSource>(source_id).await? {
        latest.reconciliation = Some(result);
        let load =
            crate::domain::Actor { author: crate::domain::AUTHOR_ANALYTICS_LOAD.into(), origin: store.actor().origin };
        store.acting_as(load).put(latest).await?;
    }
    Ok(())
}

/// Creates the lead Roistat sent and we do not have, from Roistat's data, and moves it to the late
/// ones in the source's result. Idempotent: a lead that has meanwhile arrived is not made twice.
pub async fn create_missing(store: &Store, source_id: u64, roistat_id: &str) -> Result<Lead, SyncError> {
    let source = store.get::<AnalyticsSource>(source_id).await?.ok_or(SyncError::SourceNotFound(source_id))?;
    let mut result = source.reconciliation.unwrap_or_default();
    let missing = result.missing.iter().find(|m| m.id == roistat_id).cloned().ok_or_else(|| {
        SyncError::Store(StoreError::NotFound(format!("заявка Roistat {roistat_id} среди ненайденных")))
    })?;
    let intake = crate::service::intake_from_roistat(store, &missing).await?;
    result.resolve(roistat_id, &our_lead(&intake.lead));
    save(store, source_id, result).await?;
    Ok(intake.lead)
}
