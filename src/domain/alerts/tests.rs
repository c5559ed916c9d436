use super::*;
use crate::domain::{
    Comment, Level, MarkerPath, Money, Reconciliation, RoistatLead, StatusChange, Task, record_changes,
};

/// Moscow wall-clock time (30.11.2026 is a Monday).
fn msk(day: i8, hour: i8, minute: i8) -> Timestamp {
    let month = if day > 30 { 12 } else { 11 };
    let day = if day > 30 { day - 30 } else { day };
    jiff::civil::date(2026, month, day)
        .at(hour, minute, 0, 0)
        .to_zoned(TimeZone::get("Europe/Moscow").unwrap())
        .unwrap()
        .timestamp()
}

fn only(kind: AlertKind, threshold: u32) -> AlertSettings {
    let mut settings = AlertSettings::default();
    for k in AlertKind::ALL {
        settings.rules.get_mut(k).enabled = k == kind;
    }
    settings.rules.get_mut(kind).threshold = threshold;
    settings
}

fn statuses() -> Vec<Status> {
    vec![
        Status { id: 1, name: "Новая".into(), group: StatusGroup::InWork, order: 0 },
        Status { id: 2, name: "В работе".into(), group: StatusGroup::InWork, order: 1 },
        Status { id: 3, name: "Оплачена".into(), group: StatusGroup::Paid, order: 2 },
    ]
}

fn new_lead(id: u64, arrived: Timestamp) -> Lead {
    Lead { id, number: 100 + id, created: arrived, received: Some(arrived), status_id: Some(1), ..Lead::default() }
}

fn keys(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.key.as_str()).collect()
}

#[test]
fn working_minutes_count_only_weekday_hours_in_the_zone() {
    let hours = WorkingHours::default();
    assert_eq!(hours.working_minutes(msk(30, 10, 0), msk(30, 11, 0)), 60);
    assert_eq!(hours.working_minutes(msk(30, 7, 0), msk(30, 9, 15)), 15, "before opening counts nothing");
    assert_eq!(hours.working_minutes(msk(30, 17, 30), msk(30, 23, 0)), 30, "after closing counts nothing");
    // Friday 27.11 17:30 → Monday 30.11 9:30: half an hour each side of the weekend.
    assert_eq!(hours.working_minutes(msk(27, 17, 30), msk(30, 9, 30)), 60);
    assert_eq!(hours.working_minutes(msk(28, 10, 0), msk(29, 20, 0)), 0, "a weekend");
    assert_eq!(hours.working_minutes(msk(30, 11, 0), msk(30, 10, 0)), 0);
    // Across midnight, seconds on both sides add up to whole minutes.
    let all_day = WorkingHours { days: (1..=7).collect(), start_hour: 0, end_hour: 24, ..WorkingHours::default() };
    let half = SignedDuration::from_secs(30);
    assert_eq!(all_day.working_minutes(msk(29, 23, 58) + half, msk(30, 0, 0) + half), 2);
    let all_week = WorkingHours { days: (1..=7).collect(), start_hour: 0, end_hour: 24, ..WorkingHours::default() };
    assert_eq!(all_week.working_minutes(msk(28, 10, 0), msk(29, 10, 0)), 24 * 60);
}

#[test]
fn a_lead_not_taken_alerts_at_its_threshold_and_not_a_minute_before() {
    let settings = only(AlertKind::LeadNotTaken, 30);
    let input = |now| AlertInput {
        now,
        leads: vec![new_lead(1, msk(30, 10, 0))],
        statuses: statuses(),
        ..AlertInput::default()
    };
    assert!(evaluate(&settings, &input(msk(30, 10, 29))).is_empty());
    let alerts = evaluate(&settings, &input(msk(30, 10, 30)));
    assert_eq!(keys(&alerts), ["lead_not_taken:1"]);
    assert_eq!(alerts[0].kind, AlertKind::LeadNotTaken);
    assert_eq!(alerts[0].title, "Заявка № 101 не взята в работу");
    assert!(alerts[0].details.contains("30 мин"), "{}", alerts[0].details);
    assert_eq!(alerts[0].since, msk(30, 10, 0));
}

#[test]
fn a_lead_is_taken_by_a_status_change_or_a_persons_comment_or_task_not_by_roistats() {
    let settings = only(AlertKind::LeadNotTaken, 30);
    let arrived = msk(30, 10, 0);
    let now = msk(30, 12, 0);
    let moved = Lead {
        status_id: Some(2),
        status_changes: vec![StatusChange {
            at: msk(30, 10, 5), from: Some(1), to: Some(2), by: "Петров".into()
        }],
        ..new_lead(1, arrived)
    };
    let commented = Lead {
        comments: vec![Comment { at: now, title: String::new(), text: "позвонил".into(), from_roistat: false }],
        ..new_lead(2, arrived)
    };
    let roistat_note = Lead {
        comments: vec![Comment {
            at: now, title: "Повторная заявка".into(), text: String::new(), from_roistat: true
        }],
        ..new_lead(3, arrived)
    };
    let tasked = Lead {
        tasks: vec![Task {
            id: 1,
            deadline: None,
            text: "перезвонить".into(),
            done: false,
            from_roistat: false,
            created: None,
        }],
        ..new_lead(4, arrived)
    };
    let paid = Lead { status_id: Some(3), ..new_lead(5, arrived) };
    let deleted = Lead { deleted: true, ..new_lead(6, arrived) };
    let old = new_lead(7, arrived - SignedDuration::from_hours(8 * 24));
    // Moved and moved back: still a change away from the first status.
    let back = Lead {
        status_changes: vec![
            StatusChange { at: msk(30, 10, 5), from: Some(1), to: Some(2), by: String::new() },
            StatusChange { at: msk(30, 10, 6), from: Some(2), to: Some(1), by: String::new() },
        ],
        ..new_lead(8, arrived)
    };
    let leads = vec![moved, commented, roistat_note, tasked, paid, deleted, old, back];
    let alerts = evaluate(&settings, &AlertInput { now, leads, statuses: statuses(), ..AlertInput::default() });
    assert_eq!(keys(&alerts), ["lead_not_taken:3"]);
}

#[test]
fn the_lead_rule_counts_working_time_over_a_weekend_or_wall_time_when_told() {
    let mut settings = only(AlertKind::LeadNotTaken, 30);
    let leads = vec![new_lead(1, msk(27, 17, 50))];
    let input = |now| AlertInput { now, leads: leads.clone(), statuses: statuses(), ..AlertInput::default() };
    // 10 minutes on Friday, 19 on Monday.
    assert!(evaluate(&settings, &input(msk(30, 9, 19))).is_empty());
    assert!(evaluate(&settings, &input(msk(28, 12, 0))).is_empty(), "Saturday adds nothing");
    assert_eq!(keys(&evaluate(&settings, &input(msk(30, 9, 20)))), ["lead_not_taken:1"]);
    settings.rules.lead_in_working_time = false;
    assert!(evaluate(&settings, &input(msk(27, 18, 19))).is_empty());
    assert_eq!(keys(&evaluate(&settings, &input(msk(27, 18, 20)))), ["lead_not_taken:1"]);
}

#[test]
fn roistat_silent_counts_working_hours_since_the_last_request() {
    let settings = only(AlertKind::RoistatSilent, 4);
    let input = |last, now| AlertInput { now, last_roistat_request: last, ..AlertInput::default() };
    assert!(evaluate(&settings, &input(Some(msk(30, 10, 0)), msk(30, 13, 59))).is_empty());
    let alerts = evaluate(&settings, &input(Some(msk(30, 10, 0)), msk(30, 14, 0)));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::RoistatSilent);
    assert!(alerts[0].details.contains("30.11.2026 10:00"), "{}", alerts[0].details);
    // Friday 16:00 → Monday: two hours on Friday, two on Monday.
    assert!(evaluate(&settings, &input(Some(msk(27, 16, 0)), msk(30, 10, 59))).is_empty());
    assert_eq!(evaluate(&settings, &input(Some(msk(27, 16, 0)), msk(30, 11, 0))).len(), 1);
    assert!(evaluate(&settings, &input(None, msk(30, 14, 0))).is_empty(), "never connected: the checklist's job");
}

#[test]
fn a_failing_analytics_load_alerts_after_its_hours_without_success() {
    let settings = only(AlertKind::AnalyticsFailing, 2);
    let failing = AnalyticsSource {
        id: 4,
        name: "Roistat".into(),
        last_success: Some(msk(30, 10, 0)),
        last_start: Some(msk(30, 11, 0)),
        last_error: Some("authentication_failed".into()),
        ..AnalyticsSource::default()
    };
    let fine = AnalyticsSource { id: 5, last_error: None, ..failing.clone() };
    let off = AnalyticsSource { id: 6, enabled: false, ..failing.clone() };
    let never = AnalyticsSource { id: 7, last_success: None, last_start: Some(msk(30, 9, 0)), ..failing.clone() };
    let input = |now| AlertInput {
        now,
        analytics_sources: vec![failing.clone(), fine.clone(), off.clone(), never.clone()],
        ..AlertInput::default()
    };
    assert_eq!(keys(&evaluate(&settings, &input(msk(30, 11, 59)))), ["analytics_failing:7"]);
    let alerts = evaluate(&settings, &input(msk(30, 12, 0)));
    assert_eq!(keys(&alerts), ["analytics_failing:4", "analytics_failing:7"]);
    assert!(alerts[0].details.contains("authentication_failed"));
    assert!(alerts[0].details.contains("30.11.2026 10:00"), "in the working hours' zone: {}", alerts[0].details);
    assert!(alerts[0].title.contains("Roistat"));
}

#[test]
fn a_channel_spending_every_day_of_the_window_without_leads_alerts() {
    let settings = only(AlertKind::ChannelWithoutLeads, 3);
    let now = msk(31, 12, 0); // Tuesday 1.12: the window is 28.11–30.11.
    let fact = |day: i8, channel: &str, cost: i64, leads: u64| {
        let date = if day > 30 { jiff::civil::date(2026, 12, day - 30) } else { jiff::civil::date(2026, 11, day) };
        let path = MarkerPath::new(Level::new(channel, format!("Канал {channel}")), Level::default(), Level::default());
        DailyFact { cost: Money::from_rubles(cost), leads, ..DailyFact::new(date, path) }
    };
    let facts = vec![
        // direct: three days of cost, no leads (and today's lead does not count).
        fact(28, "direct", 100, 0),
        fact(29, "direct", 100, 0),
        fact(30, "direct", 100, 0),
        fact(31, "direct", 100, 5),
        fact(27, "direct", 100, 3),
        // google: a lead on one day.
        fact(28, "google", 100, 0),
        fact(29, "google", 100, 1),
        fact(30, "google", 100, 0),
        // vk: one day without cost.
        fact(28, "vk", 100, 0),
        fact(30, "vk", 100, 0),
    ];
    let alerts = evaluate(&settings, &AlertInput { now, facts, ..AlertInput::default() });
    assert_eq!(keys(&alerts), ["channel_without_leads:direct"]);
    assert_eq!(alerts[0].title, "Канал «Канал direct» тратит без заявок");
    assert!(alerts[0].details.contains("300 ₽"), "{}", alerts[0].details);
    assert!(alerts[0].details.contains("28.11.2026 — 30.11.2026"), "{}", alerts[0].details);
    assert_eq!(alert_days(&settings, now), (jiff::civil::date(2026, 11, 28), jiff::civil::date(2026, 11, 30)));
}

fn alert_days(settings: &AlertSettings, now: Timestamp) -> (Date, Date) {
    fact_days(settings, now)
}

#[test]
fn leads_missing_in_the_reconciliation_alert_from_the_threshold_and_the_count_is_in_the_key() {
    let source = |id: u64, missing: usize| AnalyticsSource {
        id,
        name: format!("Проект {id}"),
        reconciliation: Some(Reconciliation {
            checked_at: Some(msk(30, 10, 0)),
            missing_count: missing,
            missing: (0..missing)
                .map(|i| RoistatLead {
                    id: i.to_string(), title: "Заявка с сайта".into(), ..RoistatLead::default()
                })
                .collect(),
            ..Reconciliation::default()
        }),
        ..AnalyticsSource::default()
    };
    let input = AlertInput {
        now: msk(30, 12, 0),
        analytics_sources: vec![source(1, 2), source(2, 0), source(3, 1)],
        ..AlertInput::default()
    };
    let alerts = evaluate(&only(AlertKind::ReconcileMissing, 1), &input);
    assert_eq!(keys(&alerts), ["reconcile_missing:1:2", "reconcile_missing:3:1"]);
    assert!(alerts[0].title.contains("2 заявок"), "{}", alerts[0].title);
    assert_eq!(alerts[0].since, msk(30, 10, 0));
    assert_eq!(keys(&evaluate(&only(AlertKind::ReconcileMissing, 2), &input)), ["reconcile_missing:1:2"]);
}

#[test]
fn rules_that_are_off_find_nothing() {
    let mut settings = AlertSettings::default();
    for kind in AlertKind::ALL {
        settings.rules.get_mut(kind).enabled = false;
    }
    let input = AlertInput {
        now: msk(30, 18, 0),
        leads: vec![new_lead(1, msk(30, 9, 0))],
        statuses: statuses(),
        last_roistat_request: Some(msk(27, 9, 0)),
        ..AlertInput::default()
    };
    assert!(evaluate(&settings, &input).is_empty());
    assert!(evaluate(&AlertSettings::default(), &input).is_empty(), "off until turned on");
    let on = AlertSettings { rules: AlertRules::all_on(), ..AlertSettings::default() };
    assert_eq!(evaluate(&on, &input).len(), 2);
    assert_eq!(minutes_text(45 * 60), "45 ч 00 мин");
    assert_eq!(minutes_text(5 * 24 * 60 + 61), "5 дн. 1 ч");
}

#[test]
fn the_history_of_alert_settings_shows_the_token_and_the_smtp_password_only_as_changed() {
    let old = AlertSettings::default();
    let new = AlertSettings {
        telegram_token: Secret::new("123456:SECRET-token"),
        smtp_password: Secret::new("mail-pass-77"),
        telegram_chat_id: "-100200".into(),
        ..AlertSettings::default()
    };
    let changes = record_changes(Some(&old), Some(&new));
    let text = format!("{changes:?}");
    assert!(!text.contains("SECRET") && !text.contains("mail-pass"), "{text}");
    assert_eq!(changes.iter().filter(|c| c.to == "изменён").count(), 2, "{text}");
    assert!(changes.iter().any(|c| c.to == "-100200"));
}

#[test]
fn a_message_lists_the_alerts_and_cuts_a_long_list() {
    let alert = |i: usize| Alert {
        kind: AlertKind::LeadNotTaken,
        key: format!("k{i}"),
        title: format!("Заявка № {i} не взята в работу"),
        details: "ждёт".into(),
        since: Timestamp::UNIX_EPOCH,
        lead: None,
    };
    let many: Vec<Alert> = (1..=25).map(alert).collect();
    let text = message_text(&many);
    assert!(text.contains("оповещений — 25") && text.contains("Заявка № 20 ") && !text.contains("Заявка № 21 "));
    assert!(text.ends_with("…и ещё 5"));
    assert_eq!(message_subject(&many[..1]), "Сквозная аналитика: Заявка № 1 не взята в работу");
    assert!(message_text(&[]).contains("проверка"));
}
