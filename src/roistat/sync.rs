//! One load of one analytics source: history or recent days, period by period, into the store.

use super::cancel::Cancel;
use super::client::{ClientConfig, RoistatClient, scrub};
use super::error::RoistatError;
use super::reconcile::{self, RECONCILE_DAYS};
use super::types::{MetricNames, RoistatCall};
use crate::domain::{AnalyticsSource, Call, CallStatus, LeadSource, Reconciliation};
use crate::store::{Store, StoreError};
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

/// More than ten years of history is a typo, not a wish.
const MAX_HISTORY_DAYS: u32 = 3660;

/// How long to wait when Roistat limits the request rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries per request; then the run stops with the rate-limit error.
    pub max_retries: u32,
    pub base_delay: Duration,
    /// No single wait is longer, also when `Retry-After` asks for more.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 6, base_delay: Duration::from_secs(2), max_delay: Duration::from_secs(120) }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): the server's `Retry-After` if it gave one,
    /// else exponential backoff with ±25 % jitter so parallel loads do not retry in step.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let exp = self.base_delay.saturating_mul(2u32.saturating_pow(attempt.min(16)));
        let capped = exp.min(self.max_delay);
        let jitter = rand::random_range(0.75..1.25);
        capped.mul_f64(jitter).min(self.max_delay)
    }
}

/// Settings of a load; the defaults are the production ones.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// The longest period of one `analytics/data` request.
    pub max_period_days: u32,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Load exactly these days instead of what the schedule asks (`skvoz sync --from --to`).
    pub range: Option<(Date, Date)>,
    /// "Today" for the schedule's arithmetic; `None` is the local date.
    pub today: Option<Date>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_period_days: 31,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(120),
            range: None,
            today: None,
        }
    }
}

/// Where a load is, for a progress bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncProgress {
    /// Periods stored so far.
    pub done: usize,
    /// Periods planned; grows when Roistat asks for smaller periods.
    pub total: usize,
    pub message: String,
}

/// What a finished load did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub from: Date,
    pub to: Date,
    pub periods: usize,
    pub facts: usize,
    pub calls: usize,
    /// Waits for Roistat's rate limit.
    pub retries: u32,
    /// Titles of our figures the project has no metric for: not asked for, read as zero.
    pub missing_metrics: Vec<String>,
    /// «Сверка с Roistat» over the last days of the load (a failure is recorded in it, not fatal).
    pub reconciliation: Option<Reconciliation>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Источник получения аналитики №{0} не найден: возможно, его удалили. Обновите список источников")]
    SourceNotFound(u64),
    #[error("В источнике аналитики «{0}» не указан API-ключ Roistat: укажите его в настройках источника")]
    NoApiKey(String),
    #[error("В источнике аналитики «{0}» не указан номер проекта Roistat: укажите его в настройках источника")]
    NoProject(String),
    #[error("Период {from} — {to} не загружен. {source}")]
    Period { from: String, to: String, source: RoistatError },
    #[error("{0}")]
    Roistat(RoistatError),
    #[error("Загрузка отменена: данные загружены не полностью, запустите загрузку снова")]
    Cancelled,
    #[error("Не удалось сохранить загруженные данные: {0}")]
    Store(#[from] StoreError),
}

impl SyncError {
    /// The Roistat error behind this one, if any.
    pub fn roistat(&self) -> Option<&RoistatError> {
        match self {
            SyncError::Period { source, .. } | SyncError::Roistat(source) => Some(source),
            _ => None,
        }
    }
}

fn from_roistat(e: RoistatError) -> SyncError {
    match e {
        RoistatError::Cancelled { .. } => SyncError::Cancelled,
        other => SyncError::Roistat(other),
    }
}

/// Russian date for messages: 01.11.2026.
fn ru(date: Date) -> String {
    format!("{:02}.{:02}.{}", date.day(), date.month(), date.year())
}

pub(crate) fn add_days(date: Date, days: i64) -> Date {
    Span::new().try_days(days).ok().and_then(|s| date.checked_add(s).ok()).unwrap_or(date)
}

fn days_in(from: Date, to: Date) -> i64 {
    to.since(from).map(|s| i64::from(s.get_days())).unwrap_or(0) + 1
}

/// The days a scheduled load covers: the whole history on the first run; later the last
/// `reload_days` (Roistat revises recent figures) plus everything since the last success.
pub fn load_range(source: &AnalyticsSource, today: Date) -> (Date, Date) {
    let history = i64::from(source.history_days.clamp(1, MAX_HISTORY_DAYS));
    let earliest = add_days(today, 1 - history);
    let from = match source.last_success {
        None => earliest,
        Some(at) => {
            let since = at.to_zoned(jiff::tz::TimeZone::system()).date();
            let recent = add_days(today, 1 - i64::from(source.reload_days.max(1)));
            since.min(recent).max(earliest)
        }
    };
    (from.min(today), today)
}

/// Consecutive periods of at most `max_days` days covering `from..=to`, oldest first.
pub fn plan_periods(from: Date, to: Date, max_days: u32) -> Vec<(Date, Date)> {
    let step = i64::from(max_days.max(1));
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = add_days(start, step - 1).min(to);
        out.push((start, end));
        if end >= to {
            break;
        }
        start = add_days(end, 1);
    }
    out
}

/// Runs one request, waiting and retrying while Roistat limits the rate; stops at once on cancel.
pub(super) async fn with_retry<T, F, Fut>(
    call: &'static str,
    policy: &RetryPolicy,
    cancel: &Cancel,
    retries: &mut u32,
    mut request: F,
) -> Result<T, RoistatError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RoistatError>>,
{
    let mut attempt = 0;
    loop {
        if cancel.is_cancelled() {
            return Err(RoistatError::Cancelled { call });
        }
        let result = tokio::select! {
            r = request() => r,
            _ = cancel.cancelled() => return Err(RoistatError::Cancelled { call }),
        };
        match result {
            Err(e) if e.is_rate_limit() && attempt < policy.max_retries => {
                let wait = policy.delay(attempt, e.retry_after());
                tracing::warn!(
                    call,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "Roistat ограничил частоту запросов, ждём"
                );
                attempt += 1;
                *retries += 1;
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => return Err(RoistatError::Cancelled { call }),
                }
            }
            other => return other,
        }
    }
}

/// Loads one analytics source and records the outcome on it (`last_start`, `last_success`,
/// `last_error`, `facts_loaded`). Each period is stored in one atomic write, so a failure or a
/// cancel leaves whole periods only.
pub async fn run_sync(
    store: &Store,
    source_id: u64,
    options: &SyncOptions,
    cancel: &Cancel,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    // What the load changes of the catalog is its own in the history, whoever started it.
    let store = &store.acting_as(crate::domain::Actor {
        author: crate::domain::AUTHOR_ANALYTICS_LOAD.into(),
        origin: store.actor().origin,
    });
    let mut source = store.get::<AnalyticsSource>(source_id).await?.ok_or(SyncError::SourceNotFound(source_id))?;
    let started = Timestamp::now();
    source.last_start = Some(started);
    store.put(source.clone()).await?;
    tracing::info!(job = %source.job_name(), "загрузка начата");

    let result = load(store, &source, options, cancel, progress).await;

    // Re-read: the person may have edited the source while it loaded; only the status is ours.
    let mut latest = store.get::<AnalyticsSource>(source_id).await?.unwrap_or(source.clone());
    latest.last_start = Some(started);
    match &result {
        Ok(report) => {
            latest.last_success = Some(Timestamp::now());
            latest.last_error = None;
            latest.facts_loaded = report.facts as u64;
            latest.missing_metrics = report.missing_metrics.clone();
            if let Some(r) = &report.reconciliation {
                latest.reconciliation = Some(r.clone());
            }
            tracing::info!(job = %source.job_name(), facts = report.facts, calls = report.calls, "загрузка завершена");
        }
        Err(e) => {
            let message = scrub(&e.to_string(), &source.api_key);
            tracing::warn!(job = %source.job_name(), error = %message, "загрузка не выполнена");
            latest.last_error = Some(message);
        }
    }
    store.put(latest).await?;
    result
}

async fn load(
    store: &Store,
    source: &AnalyticsSource,
    options: &SyncOptions,
    cancel: &Cancel,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    if source.api_key.expose().trim().is_empty() {
        return Err(SyncError::NoApiKey(source.name.clone()));
    }
    if source.project.trim().is_empty() {
        return Err(SyncError::NoProject(source.name.clone()));
    }
    let mut config = ClientConfig::for_source(source).map_err(SyncError::Roistat)?;
    config.connect_timeout = options.connect_timeout;
    config.timeout = options.timeout;
    // "Today" is the project's today: its days are the ones Roistat counts.
    let today = options.today.unwrap_or_else(|| Timestamp::now().to_zoned(config.time_zone.clone()).date());
    let client = RoistatClient::new(config).map_err(SyncError::Roistat)?;
    let (from, to) = options.range.unwrap_or_else(|| load_range(source, today));
    let mut retries = 0;

    let mut state = SyncProgress { done: 0, total: 0, message: "Получение списка метрик".into() };
    progress(&state);
    let available =
        with_retry("project/analytics/metrics-new", &options.retry, cancel, &mut retries, || client.metrics())
            .await
            .map_err(from_roistat)?;
    // Asking `analytics/data` for a metric the project lacks fails the whole request, so only the
    // metrics it has are asked for; the rest are «нет в проекте».
    let names = MetricNames::choose(&available);
    let missing_metrics = names.missing();
    if !missing_metrics.is_empty() {
        tracing::info!(missing = ?missing_metrics, "в проекте нет части метрик: они равны нулю");
    }

    let mut queue: VecDeque<(Date, Date)> = plan_periods(from, to, options.max_period_days).into();
    state.total = queue.len();
    let mut facts = 0;
    while let Some((p_from, p_to)) = queue.pop_front() {
        state.message = format!("Период {} — {}", ru(p_from), ru(p_to));
        progress(&state);
        let answer = with_retry("project/analytics/data", &options.retry, cancel, &mut retries, || {
            client.daily_facts(p_from, p_to, &names)
        })
        .await;
        let period_facts = match answer {
            Ok(f) => f,
            Err(e) if e.is_try_smaller_period() && p_from < p_to => {
                // Roistat refuses long periods on big projects: halve and ask again.
                let half = add_days(p_from, days_in(p_from, p_to) / 2 - 1);
                queue.push_front((add_days(half, 1), p_to));
                queue.push_front((p_from, half));
                state.total += 1;
                tracing::debug!(from = %p_from, to = %p_to, "Roistat просит период короче, делим пополам");
                continue;
            }
            Err(RoistatError::Cancelled { .. }) => return Err(SyncError::Cancelled),
            Err(e) => return Err(SyncError::Period { from: ru(p_from), to: ru(p_to), source: e }),
        };
        facts += store.replace_facts(source.id, p_from, p_to, period_facts).await?;
        state.done += 1;
        progress(&state);
    }

    let calls = if store.list::<LeadSource>().await?.iter().any(|s| s.use_calls) {
        load_calls(store, &client, from, to, options, cancel, &mut retries, &mut state, progress).await?
    } else {
        0
    };
    let reconciliation = reconcile_recent(store, source, &client, from, to, options, cancel, &mut retries).await?;
    state.message = format!("Готово: {facts} фактов за {} — {}", ru(from), ru(to));
    progress(&state);
    Ok(SyncReport { from, to, periods: state.done, facts, calls, retries, missing_metrics, reconciliation })
}

/// «Сверка с Roistat» of the load's last days. Only a cancel stops the load: a project whose key may
/// not read proxy leads still gets its analytics, and the result says why the reconciliation failed.
#[allow(clippy::too_many_arguments)]
async fn reconcile_recent(
    store: &Store,
    source: &AnalyticsSource,
    client: &RoistatClient,
    from: Date,
    to: Date,
    options: &SyncOptions,
    cancel: &Cancel,
    retries: &mut u32,
) -> Result<Option<Reconciliation>, SyncError> {
    let from = from.max(add_days(to, 1 - RECONCILE_DAYS));
    let loaded = with_retry(reconcile::CALL, &options.retry, cancel, retries, || client.proxy_leads(from, to)).await;
    Ok(Some(match loaded {
        Ok(leads) => reconcile::match_leads(store, leads, from, to).await?,
        Err(RoistatError::Cancelled { .. }) => return Err(SyncError::Cancelled),
        Err(e) => {
            tracing::warn!(error = %scrub(&e.to_string(), &source.api_key), "сверка с Roistat не выполнена");
            reconcile::failed(from, to, scrub(&e.to_string(), &source.api_key))
        }
    }))
}

#[allow(clippy::too_many_arguments)]
async fn load_calls(
    store: &Store,
    client: &RoistatClient,
    from: Date,
    to: Date,
    options: &SyncOptions,
    cancel: &Cancel,
    retries: &mut u32,
    state: &mut SyncProgress,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
) -> Result<usize, SyncError> {
    let mut stored = 0;
    for (p_from, p_to) in plan_periods(from, to, options.max_period_days) {
        state.message = format!("Звонки за {} — {}", ru(p_from), ru(p_to));
        progress(state);
        let calls = with_retry("project/calltracking/call/list", &options.retry, cancel, retries, || {
            client.calls(p_from, p_to)
        })
        .await
        .map_err(|e| match e {
            RoistatError::Cancelled { .. } => SyncError::Cancelled,
            e => SyncError::Period { from: ru(p_from), to: ru(p_to), source: e },
        })?;
        let calls: Vec<RoistatCall> = calls.into_iter().filter(|c| !c.id.is_empty()).collect();
        // A call names our lead by the order id Roistat has from us; only leads we have count.
        let named: Vec<u64> = calls.iter().filter_map(|c| c.order_id.trim().parse::<u64>().ok()).collect();
        let known: std::collections::HashSet<u64> =
            store.leads_by_ids(named).await?.into_iter().map(|l| l.id).collect();
        let calls: Vec<Call> = calls
            .into_iter()
            .map(|call| {
                let lead_id = call.order_id.trim().parse::<u64>().ok().filter(|id| known.contains(id));
                to_call(call, lead_id)
            })
            .collect();
        stored += store.put_calls(calls).await?.len();
    }
    Ok(stored)
}

fn to_call(c: RoistatCall, lead_id: Option<u64>) -> Call {
    Call {
        id: 0,
        roistat_call_id: Some(c.id),
        callee: c.callee,
        caller: c.caller,
        at: c.date.unwrap_or(Timestamp::UNIX_EPOCH),
        visit: c.visit_id,
        marker: c.marker,
        status: match c.status.trim() {
            "" => CallStatus::NoAnswer,
            status => CallStatus::from_roistat(status),
        },
        lead_id,
        duration_seconds: c.duration,
        file_url: c.file_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn periods_cover_the_range_without_overlap() {
        let p = plan_periods(d(2026, 1, 1), d(2026, 3, 5), 31);
        assert_eq!(p.first(), Some(&(d(2026, 1, 1), d(2026, 1, 31))));
        assert_eq!(p.last().map(|x| x.1), Some(d(2026, 3, 5)));
        for w in p.windows(2) {
            assert_eq!(add_days(w[0].1, 1), w[1].0);
        }
        assert_eq!(plan_periods(d(2026, 1, 1), d(2026, 1, 1), 31), vec![(d(2026, 1, 1), d(2026, 1, 1))]);
    }

    #[test]
    fn first_run_loads_history_later_runs_reload_recent_days() {
        let today = d(2026, 11, 24);
        let mut source = AnalyticsSource::default();
        assert_eq!(load_range(&source, today), (add_days(today, -179), today));
        source.last_success = Some(today.to_zoned(jiff::tz::TimeZone::system()).unwrap().timestamp());
        assert_eq!(load_range(&source, today), (add_days(today, -13), today));
        let long_ago = add_days(today, -40).to_zoned(jiff::tz::TimeZone::system()).unwrap().timestamp();
        source.last_success = Some(long_ago);
        assert_eq!(load_range(&source, today), (add_days(today, -40), today));
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        assert!(policy.delay(0, None) <= Duration::from_millis(125));
        assert!(policy.delay(3, None) >= Duration::from_millis(600));
        assert_eq!(policy.delay(0, Some(Duration::from_millis(300))), Duration::from_millis(300));
        assert_eq!(policy.delay(0, Some(Duration::from_secs(60))), Duration::from_millis(1000));
    }
}
