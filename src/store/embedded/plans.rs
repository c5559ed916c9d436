//! Monthly plans per channel on sled: the `plans` tree, keyed `2026-12/direct`, so one month's plans
//! are one prefix scan.

use super::codec::{decode, encode};
use super::history::HistoryTx;
use super::{Result, SledStore, StoreError, StoreEvent, abort};
use crate::domain::{Actor, HistoryObject, Month, Plan, plan_changes, plan_key};
use crate::store::record::entry;
use jiff::Timestamp;

impl SledStore {
    /// The plans of `month` (every month when `None`), by month and channel.
    pub fn plans(&self, month: Option<Month>) -> Result<Vec<Plan>> {
        let prefix = month.map(|m| format!("{m}/")).unwrap_or_default();
        let mut out = Vec::new();
        for item in self.inner.t.plans.scan_prefix(prefix.as_bytes()) {
            let (_, bytes) = item?;
            out.push(decode("плана", &bytes)?);
        }
        Ok(out)
    }

    /// Stores a channel's plan of a month over the one it had; what changed goes to the history.
    pub fn put_plan(&self, plan: &Plan, actor: &Actor) -> Result<Plan> {
        plan.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write_plan(&plan.key(), Some(plan), actor)?;
        Ok(plan.clone())
    }

    /// Removes a channel's plan of a month (nothing when there is none).
    pub fn delete_plan(&self, month: Month, channel: &str, actor: &Actor) -> Result<()> {
        self.write_plan(&plan_key(month, channel), None, actor)
    }

    fn write_plan(&self, key: &str, plan: Option<&Plan>, actor: &Actor) -> Result<()> {
        use sled::Transactional;
        let bytes = plan.map(encode).transpose()?;
        let guard = self.lock();
        let t = &self.inner.t;
        (&t.plans, &t.meta, &t.history, &t.history_by_object).transaction(|(plans, meta, history, by_object)| {
            let old = match &bytes {
                Some(bytes) => plans.insert(key.as_bytes(), bytes.as_slice())?,
                None => plans.remove(key.as_bytes())?,
            };
            let old: Option<Plan> = old.map(|b| decode("плана", &b)).transpose().or_else(abort)?;
            let changes = plan_changes(old.as_ref(), plan);
            let object = HistoryObject::Plan(key.to_string());
            HistoryTx { meta, history, by_object }.record(entry(actor, Timestamp::now(), object, changes))
        })?;
        drop(guard);
        self.emit(StoreEvent::PlansChanged);
        Ok(())
    }

    /// Puts plans back as a backup holds them (the caller holds the write lock).
    pub(super) fn restore_plan(&self, plan: &Plan) -> Result<()> {
        self.inner.t.plans.insert(plan.key().as_bytes(), encode(plan)?)?;
        Ok(())
    }
}
