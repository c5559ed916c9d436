//! Alerts: the snapshot the rules read, the current alerts (the window's bell, `skvoz alerts`), and
//! the sender that `skvoz serve` and the window on the embedded store run every minute.
//!
//! Each alert goes once per channel: what was sent is remembered in the store by «channel/alert key»
//! (so a restart sends nothing again), and only while the alert lasts (so the memory stays as small
//! as the list of current alerts, and an alert that comes back later is news again). A delivery that
//! fails is logged without secrets and tried again the next round.

use crate::domain::{Alert, AlertInput, AlertSettings, alerts};
use crate::notify::{self, Channel};
use crate::store::{Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeSet;
use std::time::Duration;

/// How often the sender looks at the rules.
pub const ROUND: Duration = Duration::from_secs(60);

/// How many of the newest exchange-log entries are searched for Roistat's last request.
const EXCHANGE_LOOKBACK: usize = 500;

/// What the rules read, as of `now`.
pub async fn snapshot(store: &Store, settings: &AlertSettings, now: Timestamp) -> Result<AlertInput, StoreError> {
    let (from, to) = alerts::fact_days(settings, now);
    // Only recent leads can be waiting; a lead Roistat created earlier may reach us late.
    let lookback = alerts::LEAD_LOOKBACK * 2;
    Ok(AlertInput {
        now,
        leads: store.leads_created_between(now - lookback, now + SignedDuration::from_hours(24)).await?,
        statuses: store.statuses().await?,
        last_roistat_request: store.last_accepted_request(EXCHANGE_LOOKBACK).await?,
        analytics_sources: store.analytics_load_states().await?,
        facts: store.facts_between(from, to).await?,
    })
}

/// The current alerts by the stored rules: the same for every person (a marketer on a team
/// database reads the rules, the sources' load state and the log's outcomes through views).
pub async fn current(store: &Store, now: Timestamp) -> Result<Vec<Alert>, StoreError> {
    let settings = store.alert_rules().await?;
    current_with(store, &settings, now).await
}

async fn current_with(store: &Store, settings: &AlertSettings, now: Timestamp) -> Result<Vec<Alert>, StoreError> {
    Ok(alerts::evaluate(settings, &snapshot(store, settings, now).await?))
}

/// The window's list of current alerts (the bell), read in the background.
#[derive(Debug, Default)]
pub struct AlertsView {
    pub list: Vec<Alert>,
    /// The first answer arrived.
    pub loaded: bool,
    pub error: Option<String>,
    loading: bool,
    /// Something the rules read changed since the last ask.
    dirty: bool,
    asked_at: Option<std::time::Instant>,
}

/// A change is looked at no sooner than this after the last ask (a burst of leads is one read).
const CHANGE_GAP: Duration = Duration::from_secs(5);

impl AlertsView {
    /// Something the rules read changed: ask again soon.
    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// How long until the next ask is due (the window wakes itself then).
    pub fn due_in(&self, now: std::time::Instant) -> Duration {
        match self.asked_at {
            None => Duration::ZERO,
            Some(at) => {
                let age = now.saturating_duration_since(at);
                let wait = if self.dirty { CHANGE_GAP } else { ROUND };
                wait.saturating_sub(age)
            }
        }
    }

    /// Whether to ask now: never while an ask runs.
    pub fn is_due(&self, now: std::time::Instant) -> bool {
        !self.loading && self.due_in(now).is_zero()
    }

    pub fn asked(&mut self, now: std::time::Instant) {
        self.loading = true;
        self.dirty = false;
        self.asked_at = Some(now);
    }

    pub fn apply(&mut self, result: Result<Vec<Alert>, String>) {
        self.loading = false;
        self.loaded = true;
        match result {
            Ok(list) => {
                self.list = list;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// What one round sent and what failed (for tests and the log).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Per channel, the keys of the alerts it delivered this round.
    pub sent: Vec<(Channel, Vec<String>)>,
    /// Per channel, why it failed (in words, no secrets).
    pub failed: Vec<(Channel, String)>,
}

/// One round: evaluates the rules, sends what each enabled channel has not sent yet, and stores
/// what was sent.
pub async fn send_round(store: &Store, now: Timestamp) -> Result<Round, StoreError> {
    let settings = store.alert_settings().await?;
    let remembered: BTreeSet<String> = store.alerts_sent().await?.into_iter().collect();
    // Nowhere to send: nothing to evaluate, and nothing stays remembered.
    if !settings.any_channel() {
        if !remembered.is_empty() {
            store.put_alerts_sent(Vec::new()).await?;
        }
        return Ok(Round::default());
    }
    let found = current_with(store, &settings, now).await?;
    let current: BTreeSet<&str> = found.iter().map(|a| a.key.as_str()).collect();
    // What was sent of alerts that have ended is forgotten.
    let mut memory: BTreeSet<String> = remembered
        .iter()
        .filter(|m| m.split_once('/').is_some_and(|(_, key)| current.contains(key)))
        .cloned()
        .collect();
    let mut round = Round::default();
    for channel in Channel::ALL.into_iter().filter(|c| c.is_enabled(&settings)) {
        let memo = |a: &Alert| format!("{}/{}", channel.name(), a.key);
        let pending: Vec<Alert> = found.iter().filter(|a| !memory.contains(&memo(a))).cloned().collect();
        if pending.is_empty() {
            continue;
        }
        match notify::send(channel, &settings, &pending).await {
            Ok(()) => {
                memory.extend(pending.iter().map(memo));
                round.sent.push((channel, pending.into_iter().map(|a| a.key).collect()));
            }
            Err(e) => {
                tracing::warn!("оповещение через {} не отправлено: {e}", channel.title());
                round.failed.push((channel, e.to_string()));
            }
        }
    }
    if memory != remembered {
        store.put_alerts_sent(memory.into_iter().collect()).await?;
    }
    Ok(round)
}

/// The sender running beside the service; dropping it stops it.
pub struct AlertSender {
    task: tokio::task::JoinHandle<()>,
}

impl AlertSender {
    /// Starts the sender on `runtime`: a round at once, then every [`ROUND`].
    pub fn start(runtime: &tokio::runtime::Handle, store: Store) -> AlertSender {
        let task = runtime.spawn(async move {
            let mut ticks = tokio::time::interval(ROUND);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = send_round(&store, Timestamp::now()).await {
                    tracing::warn!("оповещения не проверены: {e}");
                }
            }
        });
        AlertSender { task }
    }
}

impl Drop for AlertSender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// «Проверить»: a test message over every enabled channel; per channel «доставлено» or why not.
pub async fn test_delivery(settings: &AlertSettings) -> Vec<(Channel, Result<(), String>)> {
    notify::send_test(settings).await.into_iter().map(|(c, r)| (c, r.map_err(|e| e.to_string()))).collect()
}
