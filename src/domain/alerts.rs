//! Alerts (оповещения): rules with thresholds over a snapshot of the store, and where to send them.
//! Pure: the caller reads the snapshot and delivers what [`evaluate`] finds.

use super::{AnalyticsSource, DailyFact, Lead, Secret, Status, StatusGroup};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Leads older than this are history, not a fresh miss: the rule «не взята в работу» skips them, so
/// years of old leads never flood the bell.
pub const LEAD_LOOKBACK: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The default Telegram Bot API address; a setting, so tests point it at a local fake.
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";

/// What an alert is about; each kind is one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    LeadNotTaken,
    RoistatSilent,
    AnalyticsFailing,
    ChannelWithoutLeads,
    ReconcileMissing,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::LeadNotTaken,
        AlertKind::RoistatSilent,
        AlertKind::AnalyticsFailing,
        AlertKind::ChannelWithoutLeads,
        AlertKind::ReconcileMissing,
    ];

    /// The rule as the settings page names it.
    pub fn title(self) -> &'static str {
        match self {
            AlertKind::LeadNotTaken => "Заявка не взята в работу",
            AlertKind::RoistatSilent => "Нет запросов от Roistat",
            AlertKind::AnalyticsFailing => "Загрузка аналитики не удаётся",
            AlertKind::ChannelWithoutLeads => "Канал тратит без заявок",
            AlertKind::ReconcileMissing => "Потерянные заявки в сверке с Roistat",
        }
    }

    /// The unit of the rule's threshold, after the number.
    pub fn unit(self) -> &'static str {
        match self {
            AlertKind::LeadNotTaken => "мин",
            AlertKind::RoistatSilent | AlertKind::AnalyticsFailing => "ч",
            AlertKind::ChannelWithoutLeads => "дн.",
            AlertKind::ReconcileMissing => "заявок и больше",
        }
    }
}

/// One rule: on or off, and its threshold in the kind's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub enabled: bool,
    pub threshold: u32,
}

/// Every rule; the lead rule may count only working time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertRules {
    pub lead_not_taken: Rule,
    /// Count a lead's waiting only in working hours (a lead at 17:50 on Friday is late on Monday).
    pub lead_in_working_time: bool,
    pub roistat_silent: Rule,
    pub analytics_failing: Rule,
    pub channel_without_leads: Rule,
    pub reconcile_missing: Rule,
}

/// Off until an admin turns them on (a new store raises nothing), with thresholds ready.
impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            lead_not_taken: Rule { enabled: false, threshold: 30 },
            lead_in_working_time: true,
            roistat_silent: Rule { enabled: false, threshold: 4 },
            analytics_failing: Rule { enabled: false, threshold: 2 },
            channel_without_leads: Rule { enabled: false, threshold: 3 },
            reconcile_missing: Rule { enabled: false, threshold: 1 },
        }
    }
}

impl AlertRules {
    /// Every rule on, with the default thresholds.
    pub fn all_on() -> AlertRules {
        let mut rules = AlertRules::default();
        for kind in AlertKind::ALL {
            rules.get_mut(kind).enabled = true;
        }
        rules
    }

    pub fn get(&self, kind: AlertKind) -> Rule {
        match kind {
            AlertKind::LeadNotTaken => self.lead_not_taken,
            AlertKind::RoistatSilent => self.roistat_silent,
            AlertKind::AnalyticsFailing => self.analytics_failing,
            AlertKind::ChannelWithoutLeads => self.channel_without_leads,
            AlertKind::ReconcileMissing => self.reconcile_missing,
        }
    }
    pub fn get_mut(&mut self, kind: AlertKind) -> &mut Rule {
        match kind {
            AlertKind::LeadNotTaken => &mut self.lead_not_taken,
            AlertKind::RoistatSilent => &mut self.roistat_silent,
            AlertKind::AnalyticsFailing => &mut self.analytics_failing,
            AlertKind::ChannelWithoutLeads => &mut self.channel_without_leads,
            AlertKind::ReconcileMissing => &mut self.reconcile_missing,
        }
    }
}

/// Working hours: days of the week (1 = Monday … 7 = Sunday) and hours `[start, end)` in a zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkingHours {
    /// An IANA name; Roistat projects default to Europe/Moscow.
    pub time_zone: String,
    pub days: Vec<u8>,
    pub start_hour: u8,
    pub end_hour: u8,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            time_zone: super::DEFAULT_TIME_ZONE.into(),
            days: vec![1, 2, 3, 4, 5],
            start_hour: 9,
            end_hour: 18,
        }
    }
}

impl WorkingHours {
    /// The zone; an unknown name falls back to Moscow time (UTC+3), which is what it most likely meant.
    pub fn zone(&self) -> TimeZone {
        TimeZone::get(self.time_zone.trim()).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(3)))
    }

    fn is_working_day(&self, day: Weekday) -> bool {
        self.days.contains(&(day.to_monday_one_offset() as u8))
    }

    /// Minutes of working time in `[from, to)`.
    pub fn working_minutes(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let zone = self.zone();
        let (start, end) = (self.start_hour.min(24), self.end_hour.min(24));
        let mut day = from.to_zoned(zone.clone()).date();
        let last = to.to_zoned(zone.clone()).date();
        let mut total = SignedDuration::ZERO;
        // At most a year back: the thresholds are hours and days.
        for _ in 0..=366 {
            if self.is_working_day(day.weekday()) && start < end {
                let bound = |hour: u8| -> Option<Timestamp> {
                    let midnight = day.to_zoned(zone.clone()).ok()?;
                    Some(midnight.checked_add(SignedDuration::from_hours(i64::from(hour))).ok()?.timestamp())
                };
                if let (Some(open), Some(close)) = (bound(start), bound(end)) {
                    let (a, b) = (open.max(from), close.min(to));
                    if a < b {
                        total += b.duration_since(a);
                    }
                }
            }
            if day >= last {
                break;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        // Summed before rounding: a wait across midnight loses no minute.
        total.as_mins()
    }
}

/// The alert settings: rules, working hours and delivery channels. Flat, so that the history of
/// changes names each field and shows the secrets only as «изменён».
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    pub rules: AlertRules,
    pub working_hours: WorkingHours,
    pub telegram_enabled: bool,
    /// Empty: [`TELEGRAM_API_BASE`].
    pub telegram_api_base: String,
    pub telegram_token: Secret,
    pub telegram_chat_id: String,
    pub email_enabled: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_login: String,
    pub smtp_password: Secret,
    pub email_from: String,
    /// One or more addresses, separated by commas.
    pub email_to: String,
    pub webhook_enabled: bool,
    pub webhook_url: String,
}

impl AlertSettings {
    /// The rules and working hours alone, the delivery channels empty: what every person's bell is
    /// computed by, and all of it a marketer may read on a team database.
    pub fn rules_only(&self) -> AlertSettings {
        AlertSettings {
            rules: self.rules.clone(),
            working_hours: self.working_hours.clone(),
            ..AlertSettings::default()
        }
    }
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            rules: AlertRules::default(),
            working_hours: WorkingHours::default(),
            telegram_enabled: false,
            telegram_api_base: String::new(),
            telegram_token: Secret::default(),
            telegram_chat_id: String::new(),
            email_enabled: false,
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_login: String::new(),
            smtp_password: Secret::default(),
            email_from: String::new(),
            email_to: String::new(),
            webhook_enabled: false,
            webhook_url: String::new(),
        }
    }
}

impl AlertSettings {
    pub fn telegram_api_base_or_default(&self) -> &str {
        match self.telegram_api_base.trim().trim_end_matches('/') {
            "" => TELEGRAM_API_BASE,
            base => base,
        }
    }
    /// The e-mail recipients, trimmed.
    pub fn email_recipients(&self) -> Vec<String> {
        self.email_to.split([',', ';']).map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect()
    }
    /// Whether any delivery channel is on.
    pub fn any_channel(&self) -> bool {
        self.telegram_enabled || self.email_enabled || self.webhook_enabled
    }
}

/// One current alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// Stable while the condition lasts: what was sent is remembered by it.
    pub key: String,
    pub title: String,
    pub details: String,
    /// Since when the condition holds (as far as the snapshot tells).
    pub since: Timestamp,
    /// The lead it is about, when it is about one (the bell opens it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<u64>,
}

/// What the rules look at, read from the store by the caller.
#[derive(Clone, Debug, Default)]
pub struct AlertInput {
    pub now: Timestamp,
    pub leads: Vec<Lead>,
    pub statuses: Vec<Status>,
    /// The newest request from Roistat that passed authentication.
    pub last_roistat_request: Option<Timestamp>,
    pub analytics_sources: Vec<AnalyticsSource>,
    /// Facts of at least the last [`AlertRules::channel_without_leads`] days before today.
    pub facts: Vec<DailyFact>,
}

/// The days of facts [`evaluate`] needs, in the working hours' zone: the last `threshold` whole days.
pub fn fact_days(settings: &AlertSettings, now: Timestamp) -> (Date, Date) {
    let today = now.to_zoned(settings.working_hours.zone()).date();
    let days = i64::from(settings.rules.channel_without_leads.threshold.max(1));
    let from = today.checked_sub(jiff::Span::new().days(days)).unwrap_or(today);
    let to = today.yesterday().unwrap_or(today);
    (from, to)
}

/// The current alerts, by rule, in a stable order.
pub fn evaluate(settings: &AlertSettings, input: &AlertInput) -> Vec<Alert> {
    let rules = &settings.rules;
    let mut alerts = Vec::new();
    if rules.lead_not_taken.enabled {
        alerts.extend(leads_not_taken(settings, input));
    }
    if rules.roistat_silent.enabled {
        alerts.extend(roistat_silent(settings, input));
    }
    if rules.analytics_failing.enabled {
        alerts.extend(analytics_failing(settings, input));
    }
    if rules.channel_without_leads.enabled {
        alerts.extend(channels_without_leads(settings, input));
    }
    if rules.reconcile_missing.enabled {
        alerts.extend(reconcile_missing(rules.reconcile_missing.threshold, input));
    }
    alerts
}

/// A lead is taken into work by its first status change away from the status it was created with,
/// or by a comment or a task a person added (Roistat's own notes and tasks do not count).
pub fn is_taken(lead: &Lead) -> bool {
    lead.status_changes.iter().any(|c| c.to != lead.first_status())
        || lead.comments.iter().any(|c| !c.from_roistat)
        || lead.tasks.iter().any(|t| !t.from_roistat)
}

fn leads_not_taken(settings: &AlertSettings, input: &AlertInput) -> Vec<Alert> {
    let rules = &settings.rules;
    let threshold = i64::from(rules.lead_not_taken.threshold);
    let group = |id: Option<u64>| id.and_then(|id| input.statuses.iter().find(|s| s.id == id)).map(|s| s.group);
    let mut out = Vec::new();
    for lead in &input.leads {
        if lead.is_template || lead.deleted || is_taken(lead) {
            continue;
        }
        // A lead entered already paid or cancelled needs nobody to take it.
        if group(lead.status_id).is_some_and(|g| g != StatusGroup::InWork) {
            continue;
        }
        let arrived = lead.received.unwrap_or(lead.created);
        if input.now.duration_since(arrived) > LEAD_LOOKBACK {
            continue;
        }
        let waited = if rules.lead_in_working_time {
            settings.working_hours.working_minutes(arrived, input.now)
        } else {
            input.now.duration_since(arrived).as_mins()
        };
        if waited < threshold {
            continue;
        }
        let in_working = if rules.lead_in_working_time { " рабочего времени" } else { "" };
        out.push(Alert {
            kind: AlertKind::LeadNotTaken,
            key: format!("lead_not_taken:{}", lead.id),
            title: format!("Заявка № {} не взята в работу", lead.number),
            details: format!(
                "«{}» ждёт {}{in_working}: статус не менялся, комментариев и задач нет",
                lead.display_title(),
                minutes_text(waited)
            ),
            since: arrived,
            lead: Some(lead.id),
        });
    }
    out
}

fn roistat_silent(settings: &AlertSettings, input: &AlertInput) -> Option<Alert> {
    // Never heard from: the setup checklist says so; this rule watches a connection that worked.
    let last = input.last_roistat_request?;
    let hours = settings.rules.roistat_silent.threshold;
    let silent = settings.working_hours.working_minutes(last, input.now);
    (silent >= i64::from(hours) * 60).then(|| Alert {
        kind: AlertKind::RoistatSilent,
        key: format!("roistat_silent:{}", last.as_second()),
        title: "Нет запросов от Roistat".into(),
        details: format!(
            "Последний запрос от Roistat был {}, {} рабочего времени назад. Проверьте интеграцию «Своя CRM» в \
             Roistat и доступность сервиса по внешнему адресу",
            local_text(last, &settings.working_hours.zone()),
            minutes_text(silent)
        ),
        since: last,
        lead: None,
    })
}

fn analytics_failing(settings: &AlertSettings, input: &AlertInput) -> Vec<Alert> {
    let hours = settings.rules.analytics_failing.threshold;
    let zone = settings.working_hours.zone();
    input
        .analytics_sources
        .iter()
        .filter(|s| s.enabled)
        .filter_map(|source| {
            let error = source.last_error.as_ref()?;
            let since = source.last_success.or(source.last_start)?;
            (input.now.duration_since(since) >= SignedDuration::from_hours(i64::from(hours))).then(|| Alert {
                kind: AlertKind::AnalyticsFailing,
                key: format!("analytics_failing:{}", source.id),
                title: format!("Загрузка аналитики «{}» не удаётся", source.name),
                details: match source.last_success {
                    Some(_) => {
                        format!("Последняя удачная загрузка — {}. Ошибка: {error}", local_text(since, &zone))
                    }
                    None => format!("Удачных загрузок ещё не было. Ошибка: {error}"),
                },
                since,
                lead: None,
            })
        })
        .collect()
}

fn channels_without_leads(settings: &AlertSettings, input: &AlertInput) -> Vec<Alert> {
    let (from, to) = fact_days(settings, input.now);
    let days = settings.rules.channel_without_leads.threshold.max(1) as usize;
    // Per channel value: its title, and per day the cost (kopecks) and the leads.
    type Days = BTreeMap<Date, (i64, u64)>;
    let mut channels: BTreeMap<&str, (&str, Days)> = BTreeMap::new();
    for fact in input.facts.iter().filter(|f| f.date >= from && f.date <= to) {
        let channel = &fact.path.channel;
        let entry = channels.entry(channel.value.as_str()).or_insert((channel.label(), BTreeMap::new()));
        let day = entry.1.entry(fact.date).or_insert((0, 0));
        day.0 += fact.cost.kopecks();
        day.1 += fact.leads;
    }
    channels
        .into_iter()
        .filter(|(_, (_, by_day))| {
            by_day.len() == days && by_day.values().all(|(cost, _)| *cost > 0) && by_day.values().all(|d| d.1 == 0)
        })
        .map(|(value, (title, by_day))| {
            let spent: i64 = by_day.values().map(|d| d.0).sum();
            Alert {
                kind: AlertKind::ChannelWithoutLeads,
                key: format!("channel_without_leads:{value}"),
                title: format!("Канал «{title}» тратит без заявок"),
                details: format!(
                    "{days} дн. подряд ({} — {}) расход {} и ни одной заявки",
                    from.strftime("%d.%m.%Y"),
                    to.strftime("%d.%m.%Y"),
                    super::Money(spent)
                ),
                since: from.to_zoned(settings.working_hours.zone()).map_or(input.now, |z| z.timestamp()),
                lead: None,
            }
        })
        .collect()
}

fn reconcile_missing(min_missing: u32, input: &AlertInput) -> Vec<Alert> {
    input
        .analytics_sources
        .iter()
        .filter_map(|source| {
            let found = source.reconciliation.as_ref()?;
            let missing = found.missing_count;
            (missing > 0 && missing >= min_missing as usize).then(|| Alert {
                kind: AlertKind::ReconcileMissing,
                // The count is part of the key: more (or fewer) missing leads are news.
                key: format!("reconcile_missing:{}:{missing}", source.id),
                title: format!("Сверка с Roistat «{}»: {missing} заявок не дошло", source.name),
                details: format!(
                    "Roistat отправил заявки, которых здесь нет{}. Откройте «Сверка с Roistat» у источника аналитики",
                    found
                        .missing
                        .first()
                        .map(|m| format!(", например «{}» ({}, {})", m.title, m.phone, m.created))
                        .unwrap_or_default()
                ),
                since: found.checked_at.unwrap_or(input.now),
                lead: None,
            })
        })
        .collect()
}

/// «1 ч 05 мин», «45 мин», «2 дн. 3 ч».
pub fn minutes_text(minutes: i64) -> String {
    let (days, hours, mins) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} мин"),
        (0, _) => format!("{hours} ч {mins:02} мин"),
        // Working time reads best in hours (45 ч is a working week), wall time beyond that in days.
        _ if minutes < 100 * 60 => format!("{} ч {mins:02} мин", minutes / 60),
        _ => format!("{days} дн. {hours} ч"),
    }
}

fn local_text(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime("%d.%m.%Y %H:%M").to_string()
}

/// The text of a message listing `alerts` (a test message when there are none).
pub fn message_text(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return "Сквозная аналитика: проверка оповещений. Этот канал настроен верно.".into();
    }
    let mut text = format!("Сквозная аналитика: оповещений — {}", alerts.len());
    // One message per round: a long list is cut, not split into a flood.
    const SHOWN: usize = 20;
    for alert in alerts.iter().take(SHOWN) {
        text.push_str(&format!("\n\n• {}\n{}", alert.title, alert.details));
    }
    if alerts.len() > SHOWN {
        text.push_str(&format!("\n\n…и ещё {}", alerts.len() - SHOWN));
    }
    text
}

/// The subject of an e-mail about `alerts`.
pub fn message_subject(alerts: &[Alert]) -> String {
    match alerts {
        [] => "Сквозная аналитика: проверка оповещений".into(),
        [one] => format!("Сквозная аналитика: {}", one.title),
        many => format!("Сквозная аналитика: оповещений — {}", many.len()),
    }
}

#[cfg(test)]
mod tests;
