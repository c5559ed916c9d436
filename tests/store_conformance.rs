//! What every store backend must do, run on each of them: every entity round-trips and survives a
//! restart, indexes answer exactly, intake is idempotent and numbers never repeat, edits are
//! field-level with conflicts, appends never conflict, changes arrive on the feed, and a backup
//! restores an identical store while a damaged one changes nothing.

#[path = "support/backends.rs"]
mod backends;

use backends::Fixture;
use jiff::Timestamp;
use jiff::civil::Date;
use skvoz::domain::*;
use skvoz::store::{Store, StoreError, StoreEvent};
use std::io::Cursor;
use std::time::Duration;

crate::conformance!(
    every_entity_round_trips_and_survives_a_restart,
    lead_numbers_never_repeat_across_restarts,
    index_queries_return_exactly_the_matching_records,
    intake_is_idempotent_on_roistat_id,
    batch_intake_matches_resends_and_clients_inside_the_batch,
    concurrent_intake_of_one_phone_makes_one_client,
    intake_matches_clients_and_fills_their_empty_fields,
    facts_reload_replaces_and_never_doubles,
    report_sums_give_the_report_of_the_facts,
    report_sums_are_the_sums_of_the_facts_for_any_period,
    loads_at_once_keep_the_sums_of_the_facts,
    exchange_log_keeps_the_newest,
    exchange_log_keeps_the_newest_within_its_bytes,
    schema_is_created_once_even_concurrently,
    an_edit_moves_the_version_and_names_who_and_when,
    an_edit_of_a_field_that_moved_is_a_conflict,
    an_edit_made_before_a_roistat_comment_keeps_the_comment,
    writing_over_a_conflict_applies_the_edit,
    appends_never_conflict_and_never_overwrite,
    changes_arrive_on_the_feed,
    backup_restore_gives_an_identical_store,
    restore_refuses_a_store_with_data_unless_forced,
    a_damaged_backup_is_refused_and_changes_nothing,
    history_records_who_changed_what_and_from_where,
    history_of_settings_never_shows_a_secret,
    history_is_kept_across_a_restore_and_never_written_over,
    every_status_change_is_recorded_with_its_time_and_author,
    plans_are_kept_per_month_and_channel_with_their_history,
    a_plan_change_arrives_on_the_feed,
    a_plan_without_a_channel_or_with_negative_money_is_refused,
    alert_settings_and_the_sent_alerts_survive_a_restart_and_a_backup_carries_the_settings,
    what_the_alert_rules_read_carries_no_secret,
);

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

fn sample_lead(i: i64) -> Lead {
    let mut lead = Lead {
        created: ts(1_700_000_000 + i * 60),
        updated: ts(1_700_000_000 + i * 60),
        title: format!("Заявка {i}"),
        text: "Текст с «кавычками» и переводом\nстроки".into(),
        price: Money(12_034 + i),
        cost: Money(10_000),
        marker: Some(Marker::parse("seo_yandex").unwrap()),
        roistat_lead_id: Some(format!("r-{i}")),
        responsible: Some(Responsible::Role(Role::Manager)),
        utm: Utm { source: "yandex".into(), medium: "organic".into(), ..Utm::default() },
        attraction: Attraction { channel: "seo".into(), source: "yandex".into(), campaign: String::new() },
        origin: Origin::ProxyLead,
        comments: vec![comment("t", "c")],
        tasks: vec![Task {
            id: 1,
            deadline: Some(ts(1_700_100_000)),
            text: "позвонить".into(),
            done: false,
            from_roistat: true,
            created: None,
        }],
        ..Lead::default()
    };
    lead.extra.insert("delivery".into(), "Курьер".into());
    lead.unmapped.insert("page".into(), "/catalog".into());
    lead
}

fn comment(title: &str, text: &str) -> Comment {
    Comment { at: ts(1_700_000_100), title: title.into(), text: text.into(), from_roistat: true }
}

fn phone(p: &str) -> Contact {
    Contact { phone: p.into(), ..Contact::default() }
}

fn fact(day: i8, visits: u64) -> DailyFact {
    DailyFact {
        visits,
        ..DailyFact::new(
            Date::constant(2026, 11, day),
            [Level::new("direct", ""), Level::new("brand", ""), Level::new("ad1", "")],
        )
    }
}

async fn every_entity_round_trips_and_survives_a_restart(fixture: &Fixture) {
    let (lead, client, status, field, user, source, analytics, call, fact, settings, telephony);
    {
        let store = fixture.open().await;
        let contact = Contact { name: "Иван".into(), phone: "8 901 222-33-55".into(), email: "I@x.ru".into() };
        lead = store.intake_lead(sample_lead(1), contact).await.unwrap().lead;
        client = store.client(lead.client_id.unwrap()).await.unwrap().unwrap();
        status =
            store.put(Status { id: 0, name: "Особый".into(), group: StatusGroup::NotCounted, order: 9 }).await.unwrap();
        field = store
            .put(ExtraField {
                id: 0,
                name: "Доставка".into(),
                dev_name: "delivery".into(),
                kind: FieldKind::Text,
                service: false,
            })
            .await
            .unwrap();
        user = store.put(User { id: 0, name: "Петров".into(), role: Role::Manager, ..User::default() }).await.unwrap();
        source = store
            .put(LeadSource {
                name: "Roistat".into(),
                use_calls: true,
                api_key: Secret::new("k"),
                ..LeadSource::default()
            })
            .await
            .unwrap();
        analytics = store
            .put(AnalyticsSource {
                name: "Основной".into(),
                api_key: Secret::new("key"),
                project: "1".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        call = store
            .put_call(Call {
                roistat_call_id: Some("c1".into()),
                caller: "79990001122".into(),
                lead_id: Some(lead.id),
                ..Call::default()
            })
            .await
            .unwrap();
        fact = DailyFact {
            visits: 10,
            leads: 2,
            revenue: Money(100),
            ..DailyFact::new(
                Date::constant(2026, 11, 1),
                [Level::new("seo", "SEO"), Level::new("yandex", ""), Level::default()],
            )
        };
        store.replace_facts(0, fact.date, fact.date, vec![fact.clone()]).await.unwrap();
        settings = ServiceSettings { publication: "base".into(), ..store.service_settings().await.unwrap() };
        store.put_service_settings(settings.clone()).await.unwrap();
        telephony = Telephony { provider: "Mango".into(), address: "https://pbx".into(), ..Telephony::default() };
        store.put_telephony(telephony.clone()).await.unwrap();
    }
    let store = fixture.open().await;
    let mut stored_lead = store.lead(lead.id).await.unwrap().unwrap();
    assert_eq!(stored_lead.call_ids, vec![call.id]);
    stored_lead.call_ids.clear();
    assert!(stored_lead.version > lead.version, "linking the call moved the version");
    stored_lead.version = lead.version;
    stored_lead.changed_by = lead.changed_by.clone();
    stored_lead.updated = lead.updated;
    assert_eq!(stored_lead, lead);
    assert_eq!(client.phone, "8 901 222-33-55");
    assert_eq!(store.client(client.id).await.unwrap().unwrap(), client);
    assert_eq!(store.get::<Status>(status.id).await.unwrap().unwrap(), status);
    assert_eq!(store.get::<ExtraField>(field.id).await.unwrap().unwrap(), field);
    assert_eq!(store.get::<User>(user.id).await.unwrap().unwrap(), user);
    assert_eq!(store.get::<LeadSource>(source.id).await.unwrap().unwrap(), source);
    assert_eq!(store.get::<AnalyticsSource>(analytics.id).await.unwrap().unwrap(), analytics);
    assert_eq!(store.call(call.id).await.unwrap().unwrap(), call);
    assert_eq!(store.facts_between(fact.date, fact.date).await.unwrap(), vec![fact]);
    assert_eq!(store.service_settings().await.unwrap(), settings);
    assert_eq!(store.telephony().await.unwrap(), telephony);
    // The same contact by another spelling of the phone finds the same client.
    let again = store.intake_lead(sample_lead(2), phone("+7 (901) 222 33 55")).await.unwrap();
    assert_eq!(again.lead.client_id, Some(client.id));
}

async fn lead_numbers_never_repeat_across_restarts(fixture: &Fixture) {
    let mut numbers = Vec::new();
    for round in 0..3 {
        let store = fixture.open().await;
        for i in 0..3 {
            numbers.push(store.add_lead(sample_lead(round * 10 + i)).await.unwrap().number);
        }
        let intake = store.intake_lead(sample_lead(round * 10 + 5), Contact::default()).await.unwrap();
        numbers.push(intake.lead.number);
    }
    let mut sorted = numbers.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 12);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "numbers must grow: {numbers:?}");
}

async fn index_queries_return_exactly_the_matching_records(fixture: &Fixture) {
    let store = fixture.open().await;
    let leads: Vec<Lead> = store.add_leads((0..50).map(sample_lead).collect()).await.unwrap();
    let between = store.leads_created_between(leads[10].created, leads[20].created).await.unwrap();
    let ids = |leads: &[Lead]| leads.iter().map(|l| l.id).collect::<Vec<_>>();
    assert_eq!(ids(&between), ids(&leads[10..20]));
    let newest = store.leads_newest(5).await.unwrap();
    assert_eq!(ids(&newest), leads[45..].iter().rev().map(|l| l.id).collect::<Vec<_>>());
    // Three leads change now; every other one was last changed in 2023.
    let before_change = Timestamp::now() - Duration::from_secs(1);
    for i in [3, 7, 40] {
        let edit = LeadEdit::set(&leads[i], LeadValue::Title(format!("{} (изменена)", leads[i].title)));
        store.change_lead(leads[i].id, Some(leads[i].version), vec![edit], "Петров").await.unwrap();
    }
    let changed = store.leads_changed_since(before_change).await.unwrap();
    let mut changed_ids = ids(&changed);
    changed_ids.sort_unstable();
    assert_eq!(changed_ids, vec![leads[3].id, leads[7].id, leads[40].id]);
    assert!(changed.iter().all(|l| l.title.ends_with("(изменена)")));
    let exported = store.exportable_lead_ids_changed_since(before_change, None).await.unwrap();
    assert_eq!(exported, vec![leads[3].id, leads[7].id, leads[40].id]);
    // No lead is listed twice after its index entry moved.
    assert_eq!(store.exportable_lead_ids_changed_since(ts(0), None).await.unwrap().len(), 50);
    let exports = store.lead_exports(vec![leads[3].id, leads[7].id]).await.unwrap();
    assert_eq!(
        exports.views().unwrap().iter().map(|e| e.title.to_string()).collect::<Vec<_>>(),
        ["Заявка 3 (изменена)", "Заявка 7 (изменена)"]
    );
    assert_eq!(store.lead_by_roistat_id("r-17").await.unwrap().unwrap().id, leads[17].id);
    assert!(store.lead_by_roistat_id("r-999").await.unwrap().is_none());
}

async fn intake_is_idempotent_on_roistat_id(fixture: &Fixture) {
    let store = fixture.open().await;
    let first = store.intake_lead(sample_lead(1), Contact::default()).await.unwrap();
    let second = store.intake_lead(sample_lead(1), Contact::default()).await.unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.lead.id, second.lead.id);
    assert_eq!(store.lead_count().await.unwrap(), 1);
}

async fn batch_intake_matches_resends_and_clients_inside_the_batch(fixture: &Fixture) {
    let intakes;
    {
        let store = fixture.open().await;
        let earlier = store.intake_lead(sample_lead(7), phone("+7 900 000-00-07")).await.unwrap();
        let batch = vec![
            (sample_lead(1), phone("+7 900 111-11-11")),
            (sample_lead(2), phone("8 (900) 111-11-11")),
            (sample_lead(1), phone("+7 900 111-11-11")),
            (sample_lead(7), phone("+7 900 000-00-07")),
        ];
        intakes = store.intake_leads(batch).await.unwrap();
        let created: Vec<bool> = intakes.iter().map(|i| i.created).collect();
        assert_eq!(created, [true, true, false, false]);
        assert_eq!(intakes[2].lead.id, intakes[0].lead.id, "a resend in the same batch is the first copy");
        assert_eq!(intakes[3].lead.id, earlier.lead.id, "a resend of an earlier lead");
        assert_eq!(intakes[0].lead.client_id, intakes[1].lead.client_id, "one client for one phone");
        assert_eq!(intakes[1].lead.number, intakes[0].lead.number + 1);
    }
    let store = fixture.open().await;
    assert_eq!(store.lead_count().await.unwrap(), 3);
    assert_eq!(store.lead_by_roistat_id("r-2").await.unwrap().map(|l| l.id), Some(intakes[1].lead.id));
    assert_eq!(store.all_clients().await.unwrap().len(), 2);
}

async fn intake_matches_clients_and_fills_their_empty_fields(fixture: &Fixture) {
    let store = fixture.open().await;
    let contact = |phone: &str, email: &str| Contact { phone: phone.into(), email: email.into(), ..Contact::default() };
    let mut stored = Vec::new();
    for (i, (phone, email)) in
        [("+7 900 100-00-01", ""), ("", "b@example.ru"), ("+7 900 100-00-06", "")].into_iter().enumerate()
    {
        let intake = store.intake_lead(sample_lead(i as i64), contact(phone, email)).await.unwrap();
        stored.push(intake.lead.client_id.unwrap());
    }
    let [a, b, f] = stored[..] else { unreachable!() };
    let batch = vec![
        (sample_lead(11), contact("8 900 100-00-01", "a@example.ru")), // a by phone; its e-mail filled
        (sample_lead(12), contact("+7 900 100-00-02", "B@example.ru")), // b by e-mail; its phone filled
        (sample_lead(13), contact("+7 900 100-00-03", "")),            // a new client
        (sample_lead(14), contact("+7 900 100-00-03", "c@example.ru")), // the new one; its e-mail filled
        (sample_lead(15), contact("+7 900 100-00-04", "a@example.ru")), // a, matched earlier in the batch
        (sample_lead(16), contact("+7 900 100-00-06", "f@example.ru")), // f by phone; its e-mail filled
    ];
    let intakes = store.intake_leads(batch).await.unwrap();
    let clients: Vec<u64> = intakes.iter().map(|i| i.lead.client_id.unwrap()).collect();
    let c = clients[2];
    assert_eq!(clients, [a, b, c, c, a, f]);
    let numbers: Vec<u64> = intakes.iter().map(|i| i.lead.number - intakes[0].lead.number).collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    drop(store);
    let store = fixture.open().await;
    let all = store.all_clients().await.unwrap();
    assert_eq!(all.len(), 4);
    let client = |id: u64| all.iter().find(|c| c.id == id).unwrap().clone();
    assert_eq!((client(a).phone, client(a).email), ("+7 900 100-00-01".into(), "a@example.ru".into()));
    assert_eq!((client(b).phone, client(b).email), ("+7 900 100-00-02".into(), "b@example.ru".into()));
    assert_eq!((client(c).phone, client(c).email), ("+7 900 100-00-03".into(), "c@example.ru".into()));
    assert_eq!((client(f).phone, client(f).email), ("+7 900 100-00-06".into(), "f@example.ru".into()));
}

async fn concurrent_intake_of_one_phone_makes_one_client(fixture: &Fixture) {
    let store = fixture.open().await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.intake_lead(sample_lead(i), phone("+7 900 555-44-33")).await.unwrap() })
        })
        .collect();
    let mut clients = Vec::new();
    let mut numbers = Vec::new();
    for task in tasks {
        let intake = task.await.unwrap();
        clients.push(intake.lead.client_id);
        numbers.push(intake.lead.number);
    }
    clients.dedup();
    assert_eq!(clients.len(), 1, "one phone, one client");
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 16, "every lead its own number");
    assert_eq!(store.all_clients().await.unwrap().len(), 1);
}

async fn facts_reload_replaces_and_never_doubles(fixture: &Fixture) {
    let store = fixture.open().await;
    let d = |day| Date::constant(2026, 11, day);
    store.replace_facts(1, d(1), d(3), vec![fact(1, 10), fact(2, 20), fact(3, 30)]).await.unwrap();
    store.replace_facts(2, d(1), d(3), vec![fact(2, 5)]).await.unwrap();
    store.replace_facts(1, d(2), d(3), vec![fact(2, 21)]).await.unwrap();
    let facts = store.facts_between(d(1), d(3)).await.unwrap();
    let visits: Vec<(u64, u64)> = facts.iter().map(|f| (f.analytics_source_id, f.visits)).collect();
    assert_eq!(visits, vec![(1, 10), (1, 21), (2, 5)]);
    assert_eq!(store.fact_date_span().await.unwrap(), Some((d(1), d(2))));
    assert_eq!(store.fact_count().await.unwrap(), 3);
}

/// Two years of facts that test the report's rules: two analytics sources, a channel renamed on
/// the way (the first title counts), direct visits (an empty value, no title), titles with
/// non-breaking spaces, a path seen only before the period, figures of zero.
fn report_facts() -> Vec<(u64, DailyFact)> {
    let start = Date::constant(2025, 1, 1);
    let mut out = Vec::new();
    for day in 0..730i64 {
        let date = start.checked_add(jiff::ToSpan::days(day)).unwrap();
        let renamed = if day < 400 { "Яндекс.Директ" } else { "Яндекс Директ" };
        let paths = [
            (1, [Level::new("direct", renamed), Level::new("brand", "Бренд"), Level::new("ad1", "")]),
            (1, [Level::new("direct", renamed), Level::new("brand", "Бренд"), Level::new("ad2", "Объявление\u{a0}2")]),
            (2, [Level::new("direct", "Директ (второй кабинет)"), Level::new("brand", ""), Level::new("ad1", "")]),
            (1, [Level::new("", ""), Level::new("", ""), Level::new("", "")]),
            (2, [Level::new("google", "Google\u{a0}Ads"), Level::new("search", "Поиск"), Level::new("", "")]),
        ];
        for (i, (source, levels)) in paths.into_iter().enumerate() {
            // The Google path stops a month before the end; every fourth day has no visits at all.
            if i == 4 && day > 700 {
                continue;
            }
            let n = day as u64 * 7 + i as u64;
            let mut f = DailyFact::new(date, levels);
            if day % 4 != 0 {
                f.visits = n % 97 + 1;
                f.leads = n % 5;
                f.sales = n % 3;
                f.revenue = Money(n as i64 * 1_234);
                f.cost = Money(n as i64 * 567 % 100_000);
                f.calls = n % 2;
            }
            out.push((source, f));
        }
    }
    out
}

async fn report_sums_give_the_report_of_the_facts(fixture: &Fixture) {
    use skvoz::report::{Comparison, Grouping, Query, build, from_sums};
    let store = fixture.open().await;
    let (first, last) = (Date::constant(2025, 1, 1), Date::constant(2026, 12, 31));
    let facts = report_facts();
    for source in [1, 2] {
        let own: Vec<DailyFact> = facts.iter().filter(|(s, _)| *s == source).map(|(_, f)| f.clone()).collect();
        store.replace_facts(source, first, last, own).await.unwrap();
    }
    let stored = store.facts_between(first, last).await.unwrap();
    assert_eq!(stored.len(), facts.len());
    let d = |y, m, day| Date::constant(y, m, day);
    let mut queries = Vec::new();
    for grouping in Grouping::ALL {
        for comparison in Comparison::ALL {
            // 90 days: a month or a quarter before overlaps the period; a year before leaves a gap.
            let mut q = Query::new(d(2026, 9, 1), d(2026, 11, 29), grouping);
            q.comparison = comparison;
            queries.push(q);
        }
        for channel in ["direct", "", "google"] {
            let q = Query { channel: Some(channel.to_string()), ..Query::new(d(2026, 2, 3), d(2026, 2, 16), grouping) };
            queries.push(q);
        }
        // Before the first fact, and the first days (the period before has nothing).
        queries.push(Query::new(d(2024, 6, 1), d(2024, 6, 30), grouping));
        queries.push(Query::new(d(2025, 1, 1), d(2025, 1, 10), grouping));
    }
    for q in queries {
        let sums = store.report_sums(q.periods().unwrap()).await.unwrap();
        let report = from_sums(&sums, &q).unwrap();
        assert_eq!(report, build(&stored, &q).unwrap(), "{q:?}");
    }
    // The renamed channel is named as it was first called in the period, the opaque one in words.
    let q = Query::new(d(2026, 1, 1), d(2026, 12, 31), Grouping::Channel);
    let report = from_sums(&store.report_sums(q.periods().unwrap()).await.unwrap(), &q).unwrap();
    let titles: Vec<&str> = report.rows.iter().map(|r| r.title.as_str()).collect();
    assert!(titles.contains(&"Яндекс.Директ"), "{titles:?}");
    assert!(titles.contains(&"(без значения)"), "{titles:?}");
    assert_eq!(report.rows.len(), 3);
}

/// Five months around a leap day from two analytics sources: a path that starts and ends mid-month,
/// one on the leap day only, one source's days on odd dates only, titles renamed on the way.
fn leap_facts() -> Vec<DailyFact> {
    let mut out = Vec::new();
    let mut day = Date::constant(2027, 12, 1);
    let mut n = 0u64;
    while day <= Date::constant(2028, 4, 30) {
        let renamed = if day < Date::constant(2028, 2, 14) { "Директ" } else { "Яндекс Директ" };
        let mut paths = vec![
            (1, [Level::new("direct", renamed), Level::new("brand", "Бренд"), Level::new("ad1", "")]),
            (1, [Level::new("", ""), Level::new("", ""), Level::new("", "")]),
        ];
        if day >= Date::constant(2028, 1, 17) && day <= Date::constant(2028, 3, 9) {
            paths.push((1, [Level::new("direct", renamed), Level::new("generic", "Общие"), Level::new("ad2", "")]));
        }
        if day == Date::constant(2028, 2, 29) {
            paths.push((1, [Level::new("vk", "ВКонтакте"), Level::new("feb29", "Високосный"), Level::new("", "")]));
        }
        if day.day() % 2 == 1 {
            paths.push((2, [Level::new("direct", "Второй кабинет"), Level::new("brand", ""), Level::new("ad1", "")]));
        }
        for (source, levels) in paths {
            n += 1;
            let mut f = DailyFact::new(day, levels);
            f.analytics_source_id = source;
            f.visits = n % 53 + 1;
            f.leads = n % 5;
            f.sales = n % 3;
            f.revenue = Money(n as i64 * 1_234);
            f.cost = Money(n as i64 * 567 % 100_000);
            f.calls = n % 2;
            out.push(f);
        }
        day = day.tomorrow().unwrap();
    }
    out
}

async fn report_sums_are_the_sums_of_the_facts_for_any_period(fixture: &Fixture) {
    use skvoz::report::{Periods, sums};
    let store = fixture.open().await;
    let d = |y, m, day| Date::constant(y, m, day);
    let mut facts = leap_facts();
    let own = |facts: &[DailyFact], source| facts.iter().filter(|f| f.analytics_source_id == source).cloned().collect();
    for source in [1, 2] {
        store.replace_facts(source, d(2027, 12, 1), d(2028, 4, 30), own(&facts, source)).await.unwrap();
    }
    let period = |from, to, previous_from, previous_to| Periods { from, to, previous_from, previous_to };
    let periods = [
        // Whole months, and whole months against mid-month to mid-month across the year's end.
        period(d(2028, 1, 1), d(2028, 2, 29), d(2027, 12, 1), d(2027, 12, 31)),
        period(d(2028, 1, 17), d(2028, 3, 9), d(2027, 12, 5), d(2028, 1, 16)),
        // February without its leap day, the leap day alone, and the days around it.
        period(d(2028, 2, 1), d(2028, 2, 28), d(2028, 2, 29), d(2028, 2, 29)),
        period(d(2028, 2, 28), d(2028, 3, 1), d(2028, 1, 31), d(2028, 2, 1)),
        // Inside one month; from mid-month to a month's last day; overlapping periods.
        period(d(2028, 2, 10), d(2028, 2, 20), d(2028, 2, 15), d(2028, 2, 25)),
        period(d(2028, 1, 18), d(2028, 3, 31), d(2027, 11, 5), d(2028, 1, 17)),
        // Beyond the facts at both ends, and a period with none.
        period(d(2027, 10, 15), d(2028, 5, 15), d(2027, 1, 1), d(2027, 10, 14)),
        period(d(2029, 1, 1), d(2029, 3, 31), d(2028, 10, 1), d(2028, 12, 31)),
    ];
    let check = |facts: Vec<DailyFact>, stage: &'static str| {
        let store = &store;
        async move {
            for p in periods {
                let expected = sums(&facts, &p).unwrap();
                assert_eq!(store.report_sums(p).await.unwrap(), expected, "{stage}: {p:?}");
            }
        }
    };
    check(facts.clone(), "loaded").await;

    // A reload from mid-month to mid-month: new figures, a path gone, a new one.
    let (from, to) = (d(2028, 2, 10), d(2028, 3, 5));
    facts.retain(|f| f.analytics_source_id != 1 || f.date < from || f.date > to);
    let mut reloaded = Vec::new();
    let mut day = from;
    while day <= to {
        for (i, levels) in [
            [Level::new("direct", "Директ"), Level::new("brand", "Бренд"), Level::new("ad1", "")],
            [Level::new("google", "Google"), Level::new("search", "Поиск"), Level::new("", "")],
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = DailyFact::new(day, levels);
            f.analytics_source_id = 1;
            f.visits = u64::from(day.day() as u8) * 10 + i as u64;
            f.cost = Money(i64::from(day.day()) * 1_000);
            reloaded.push(f);
        }
        day = day.tomorrow().unwrap();
    }
    store.replace_facts(1, from, to, reloaded.clone()).await.unwrap();
    facts.extend(reloaded);
    check(facts.clone(), "reloaded mid-month").await;

    // A source's whole month emptied.
    store.replace_facts(2, d(2028, 1, 1), d(2028, 1, 31), Vec::new()).await.unwrap();
    facts.retain(|f| f.analytics_source_id != 2 || f.date.month() != 1);
    check(facts.clone(), "a month emptied").await;

    // After a restart the sums are still those of the facts.
    drop(store);
    let store = fixture.open().await;
    let p = periods[1];
    assert_eq!(store.report_sums(p).await.unwrap(), sums(&facts, &p).unwrap());
}

async fn loads_at_once_keep_the_sums_of_the_facts(fixture: &Fixture) {
    use skvoz::report::{Periods, sums};
    let store = fixture.open().await;
    let d = |day| Date::constant(2028, 2, day);
    let february: Vec<DailyFact> = leap_facts().into_iter().filter(|f| f.date.month() == 2).collect();
    let part = |source, from, to, visits: u64| -> Vec<DailyFact> {
        let facts = february.iter().filter(|f| f.analytics_source_id == source && f.date >= from && f.date <= to);
        facts.map(|f| DailyFact { visits: f.visits + visits, ..f.clone() }).collect()
    };
    for round in 1..=3u64 {
        // Three loads of one source in one month, two of them over the same days, and another source.
        let (a, b, c, e) = tokio::join!(
            store.replace_facts(1, d(1), d(10), part(1, d(1), d(10), round)),
            store.replace_facts(1, d(20), d(29), part(1, d(20), d(29), round * 2)),
            store.replace_facts(1, d(5), d(25), part(1, d(5), d(25), round * 4)),
            store.replace_facts(2, d(1), d(29), part(2, d(1), d(29), round * 3)),
        );
        for outcome in [a, b, c, e] {
            outcome.unwrap();
        }
        let facts = store.facts_between(d(1), d(29)).await.unwrap();
        let loaded = part(1, d(1), d(29), 0).len() + part(2, d(1), d(29), 0).len();
        assert_eq!(facts.len(), loaded, "round {round}: every fact once");
        for periods in [
            Periods { from: d(1), to: d(29), previous_from: d(1), previous_to: d(29) },
            Periods { from: d(5), to: d(25), previous_from: d(1), previous_to: d(4) },
        ] {
            assert_eq!(store.report_sums(periods).await.unwrap(), sums(&facts, &periods).unwrap(), "round {round}");
        }
    }
}

fn exchange(i: u16) -> ExchangeEntry {
    ExchangeEntry {
        id: 0,
        at: ts(i64::from(i)),
        remote: "127.0.0.1".into(),
        action: "lead".into(),
        outcome: Outcome::Ok,
        http_status: 200 + i,
        duration_micros: 5,
        error: String::new(),
        params: vec![],
        answer: String::new(),
        request_bytes: 0,
    }
}

async fn exchange_log_keeps_the_newest(fixture: &Fixture) {
    let store = fixture.open().await;
    store.set_exchange_capacity(10).await.unwrap();
    for i in 0..25u16 {
        store.log_exchanges(vec![exchange(i)]).await.unwrap();
    }
    let newest = store.exchange_newest(100).await.unwrap();
    assert_eq!(newest.len(), 10);
    assert_eq!(newest.first().unwrap().http_status, 224);
    assert_eq!(newest.last().unwrap().http_status, 215);
    assert_eq!(store.exchange_count().await.unwrap(), 10);
    let page = store.exchange_page(Some(newest[2].id), 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.http_status).collect::<Vec<_>>(), [221, 220, 219]);
    assert_eq!(store.exchange_after(newest[1].id).await.unwrap().len(), 1);
}

async fn exchange_log_keeps_the_newest_within_its_bytes(fixture: &Fixture) {
    const CAP: u64 = 16 * 1024;
    let store = fixture.open().await;
    let mut settings = store.service_settings().await.unwrap();
    settings.exchange_log_max_bytes = CAP;
    store.put_service_settings(settings).await.unwrap();
    // Entries of one size, about a fifth of the cap each, two by two.
    let big = |i: u16| ExchangeEntry { answer: "ответ ".repeat(300), ..exchange(i) };
    for i in 0..6u16 {
        store.log_exchanges(vec![big(10 + 2 * i), big(11 + 2 * i)]).await.unwrap();
    }
    let newest = store.exchange_newest(100).await.unwrap();
    let bytes = store.exchange_bytes().await.unwrap();
    let size = bytes / newest.len() as u64;
    assert!(size > 2_000, "{size}");
    assert_eq!(newest.len() as u64, CAP / size, "as many of the newest as fit");
    assert_eq!(newest.first().unwrap().http_status, 221);
    let statuses: Vec<u16> = newest.iter().map(|e| e.http_status).collect();
    let expected: Vec<u16> = (0..newest.len() as u16).map(|k| 221 - k).collect();
    assert_eq!(statuses, expected);
}

async fn schema_is_created_once_even_concurrently(fixture: &Fixture) {
    let store = fixture.open().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.ensure_schema().await.unwrap() })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += task.await.unwrap();
    }
    assert_eq!(created, required_fields().len() + default_statuses().len());
    assert_eq!(store.list::<ExtraField>().await.unwrap().len(), required_fields().len());
    assert_eq!(store.statuses().await.unwrap().len(), 4);
    let dup = store
        .put(ExtraField {
            id: 0,
            name: "x".into(),
            dev_name: "utm_source".into(),
            kind: FieldKind::Text,
            service: false,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Invalid(m)) if m.contains("utm_source")));
}

async fn an_edit_moves_the_version_and_names_who_and_when(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    assert_eq!(lead.version, 1);
    let before = Timestamp::now() - Duration::from_secs(1);
    let changed = store
        .change_lead(lead.id, Some(1), vec![LeadEdit::set(&lead, LeadValue::Price(Money(50_000)))], "Петров")
        .await
        .unwrap();
    assert_eq!((changed.version, changed.changed_by.as_str(), changed.price), (2, "Петров", Money(50_000)));
    assert!(changed.updated > before);
    assert_eq!(store.lead(lead.id).await.unwrap().unwrap(), changed);
}

async fn an_edit_of_a_field_that_moved_is_a_conflict(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    let theirs = LeadEdit::set(&lead, LeadValue::Status(Some(3)));
    let saved = store.change_lead(lead.id, Some(lead.version), vec![theirs], "Петров").await.unwrap();
    let mine = LeadEdit::set(&lead, LeadValue::Status(Some(4)));
    let err = store.change_lead(lead.id, Some(lead.version), vec![mine], "Сидорова").await.unwrap_err();
    match &err {
        StoreError::Conflict { by, current, .. } => {
            assert_eq!(by, "Петров");
            assert_eq!(current.status_id, Some(3));
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(err.to_string().contains("изменил Петров"), "{err}");
    assert_eq!(store.lead(lead.id).await.unwrap().unwrap(), saved, "nothing was written");
}

async fn an_edit_made_before_a_roistat_comment_keeps_the_comment(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    store.append_comment(lead.id, comment("Roistat", "перезвонить после 18"), "Roistat").await.unwrap();
    // The form was opened before the comment came and changed the title.
    let mut edited = lead.clone();
    edited.title = "Окна ПВХ".into();
    let saved = store.change_lead(lead.id, Some(lead.version), LeadEdit::diff(&lead, &edited), "Петров").await.unwrap();
    assert_eq!(saved.title, "Окна ПВХ");
    assert!(saved.comments.iter().any(|c| c.text == "перезвонить после 18"), "the comment survives");
    assert_eq!(saved.comments.len(), lead.comments.len() + 1);
}

async fn writing_over_a_conflict_applies_the_edit(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    store
        .change_lead(lead.id, None, vec![LeadEdit::set(&lead, LeadValue::Title("их".into()))], "Петров")
        .await
        .unwrap();
    let mine = vec![LeadEdit::set(&lead, LeadValue::Title("моё".into()))];
    assert!(matches!(
        store.change_lead(lead.id, Some(lead.version), mine.clone(), "Сидорова").await,
        Err(StoreError::Conflict { .. })
    ));
    let over = store.change_lead(lead.id, None, mine, "Сидорова").await.unwrap();
    assert_eq!((over.title.as_str(), over.version), ("моё", 3));
}

async fn appends_never_conflict_and_never_overwrite(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let task = Task {
                    id: 0,
                    deadline: None,
                    text: format!("задача {i}"),
                    done: false,
                    from_roistat: true,
                    created: None,
                };
                store.append_task(lead.id, task, "Roistat").await.unwrap();
                store.append_comment(lead.id, comment("Roistat", &format!("комментарий {i}")), "Roistat").await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stored = store.lead(lead.id).await.unwrap().unwrap();
    assert_eq!(stored.comments.len(), 11);
    assert_eq!(stored.tasks.len(), 11);
    let mut ids: Vec<u64> = stored.tasks.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 11, "every task its own id");
    assert_eq!(stored.version, 21);
}

async fn changes_arrive_on_the_feed(fixture: &Fixture) {
    let store = fixture.open().await;
    let mut feed = store.subscribe();
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap();
    assert_eq!(next, Some(StoreEvent::LeadsChanged(vec![lead.id])));
    store.append_comment(lead.id, comment("Roistat", "x"), "Roistat").await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap();
    assert_eq!(next, Some(StoreEvent::LeadsChanged(vec![lead.id])));
    store.put(Status { id: 0, name: "Новый".into(), group: StatusGroup::NotCounted, order: 1 }).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap();
    assert_eq!(next, Some(StoreEvent::CatalogChanged));
}

/// A store with some of everything.
async fn filled(store: &Store) {
    store.ensure_schema().await.unwrap();
    for i in 0..40 {
        store.intake_lead(sample_lead(i), phone(&format!("+7 900 000-00-{:02}", i % 25))).await.unwrap();
    }
    store.add_leads((100..120).map(|i| Lead { roistat_lead_id: None, ..sample_lead(i) }).collect()).await.unwrap();
    let facts: Vec<DailyFact> = (1..=28).map(|day| fact(day, u64::from(day as u8) * 3)).collect();
    store.replace_facts(1, Date::constant(2026, 11, 1), Date::constant(2026, 11, 28), facts).await.unwrap();
    store.log_exchanges((0..5).map(exchange).collect()).await.unwrap();
    store.put_plan(plan("2026-11", "seo", 5_000_000)).await.unwrap();
    store.put_plan(plan("2026-12", "direct", 12_000_000)).await.unwrap();
}

/// The backup without its header (which carries the time of the backup).
async fn backup_text(store: &Store) -> String {
    let (out, _) = store.backup(Vec::new()).await.unwrap();
    String::from_utf8(out).unwrap().split_once('\n').unwrap().1.to_string()
}

async fn backup_restore_gives_an_identical_store(fixture: &Fixture) {
    let other = Fixture::embedded();
    let original = other.open().await;
    filled(&original).await;
    let (file, written) = original.backup(Vec::new()).await.unwrap();
    let restored = fixture.open().await;
    let read = restored.restore(Cursor::new(file), false).await.unwrap();
    assert_eq!(written, read);
    assert_eq!((read.leads, read.facts), (60, 28));
    assert_eq!(backup_text(&original).await, backup_text(&restored).await);
    assert_eq!(original.leads_newest(20).await.unwrap(), restored.leads_newest(20).await.unwrap());
    assert_eq!(restored.lead_by_roistat_id("r-17").await.unwrap(), original.lead_by_roistat_id("r-17").await.unwrap());
    // What a store derives from the facts is rebuilt, not restored: the same sums on both.
    let d = |day| Date::constant(2026, 11, day);
    let periods = skvoz::report::Periods { from: d(3), to: d(28), previous_from: d(1), previous_to: d(2) };
    let sums = restored.report_sums(periods).await.unwrap();
    assert_eq!(sums, original.report_sums(periods).await.unwrap());
    assert_eq!(sums.days.len(), 26);
    let next = restored.add_lead(Lead::default()).await.unwrap();
    let max = original.all_leads().await.unwrap().iter().map(|l| l.number).max().unwrap();
    assert!(next.number > max, "numbering continues without repeats");
}

async fn restore_refuses_a_store_with_data_unless_forced(fixture: &Fixture) {
    let store = fixture.open().await;
    filled(&store).await;
    let (file, _) = store.backup(Vec::new()).await.unwrap();
    let err = store.restore(Cursor::new(file.clone()), false).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
    store.add_lead(Lead { title: "после копии".into(), ..Lead::default() }).await.unwrap();
    store.restore(Cursor::new(file), true).await.unwrap();
    assert_eq!(store.lead_count().await.unwrap(), 60, "the lead made after the backup is gone");
}

async fn a_damaged_backup_is_refused_and_changes_nothing(fixture: &Fixture) {
    let source = Fixture::embedded();
    let original = source.open().await;
    filled(&original).await;
    let (file, _) = original.backup(Vec::new()).await.unwrap();
    let text = String::from_utf8(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    let target = fixture.open().await;
    let marker = target.add_lead(Lead { title: "Своя заявка".into(), ..Default::default() }).await.unwrap();
    let before = backup_text(&target).await;

    let truncated = lines[..lines.len() / 2].join("\n");
    let err = target.restore(Cursor::new(truncated.into_bytes()), true).await.unwrap_err();
    assert!(matches!(err, StoreError::Backup { .. }) && err.to_string().contains("обрезан"), "{err}");

    let mut edited: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    edited[42] = edited[42].replace("\"record\":{", "\"record\":{{");
    let err = target.restore(Cursor::new(edited.join("\n").into_bytes()), true).await.unwrap_err();
    assert!(matches!(err, StoreError::Backup { line: 43, .. }), "{err}");
    assert!(err.to_string().contains("строка 43"), "{err}");

    let mut removed = lines.clone();
    removed.remove(50);
    let err = target.restore(Cursor::new(removed.join("\n").into_bytes()), true).await.unwrap_err();
    assert!(err.to_string().contains("файл изменён"), "{err}");

    assert_eq!(backup_text(&target).await, before);
    assert_eq!(target.lead(marker.id).await.unwrap().unwrap().title, "Своя заявка");
}

async fn history_records_who_changed_what_and_from_where(fixture: &Fixture) {
    let started = Timestamp::now() - Duration::from_secs(1);
    {
        let store = fixture.open().await;
        store.ensure_schema().await.unwrap();
        let service = store.acting_as(Actor { origin: "HTTP-сервис".into(), ..Actor::default() });
        let roistat_lead = Lead { title: "Окна".into(), roistat_lead_id: Some("h-1".into()), ..Lead::default() };
        let id = service.intake_lead(roistat_lead, phone("79010000001")).await.unwrap().lead.id;
        service.append_comment(id, comment("", "Перезвоните после обеда"), AUTHOR_ROISTAT).await.unwrap();

        let manager = store.acting_as(Actor { author: "petrov".into(), origin: "окно".into() });
        let lead = manager.lead(id).await.unwrap().unwrap();
        let statuses = manager.statuses().await.unwrap();
        let edits = vec![
            LeadEdit::set(&lead, LeadValue::Title("Окна ПВХ".into())),
            LeadEdit::set(&lead, LeadValue::Status(Some(statuses[1].id))),
        ];
        manager.change_lead(id, Some(lead.version), edits, "petrov").await.unwrap();

        let admin = store.acting_as(Actor { author: "ivanova".into(), origin: "окно".into() });
        let renamed = Status { name: "Новая заявка".into(), ..statuses[0].clone() };
        admin.put(renamed).await.unwrap();
        // Another lead's history is not this one's.
        manager.add_lead(Lead { title: "Звонок в офис".into(), ..Lead::default() }).await.unwrap();
    }
    // After a restart, as it was written.
    let store = fixture.open().await;
    let id = store.lead_by_roistat_id("h-1").await.unwrap().unwrap().id;
    let statuses = store.statuses().await.unwrap();
    let history = store.history(HistoryFilter { lead: Some(id), ..HistoryFilter::default() }).await.unwrap();
    let what: Vec<(&str, &str, &[FieldChange])> =
        history.iter().map(|e| (e.author.as_str(), e.origin.as_str(), e.changes.as_slice())).collect();
    assert_eq!(
        what,
        vec![
            (
                "petrov",
                "окно",
                &[
                    FieldChange::new("Наименование", "Окна", "Окна ПВХ"),
                    FieldChange::new("Статус", "—", statuses[1].name.as_str()),
                ][..]
            ),
            ("Roistat", "HTTP-сервис", &[FieldChange::new("Комментарий", "", "Перезвоните после обеда")][..]),
            (
                "Roistat",
                ORIGIN_INTAKE,
                &[FieldChange::new("Заявка", "", "создана"), FieldChange::new("Наименование", "", "Окна")][..]
            ),
        ],
        "newest first"
    );
    assert!(history.iter().all(|e| matches!(e.object, HistoryObject::Lead { id: of, .. } if of == id)));
    assert!(history.windows(2).all(|w| w[0].id > w[1].id && w[0].at >= w[1].at));

    let status = HistoryObject::Status(statuses[0].id);
    let renamed = store.history(HistoryFilter { object: Some(status), ..HistoryFilter::default() }).await.unwrap();
    assert_eq!(renamed.len(), 1);
    assert_eq!(renamed[0].author, "ivanova");
    assert_eq!(renamed[0].changes, vec![FieldChange::new("Наименование", "Новая", "Новая заявка")]);
    let statuses_by_admin =
        HistoryFilter { kind: Some("status".into()), author: Some("ivanova".into()), ..HistoryFilter::default() };
    assert_eq!(store.history(statuses_by_admin).await.unwrap(), renamed);
    let by_petrov = HistoryFilter { author: Some("petrov".into()), ..HistoryFilter::default() };
    assert_eq!(store.history(by_petrov).await.unwrap().len(), 2, "the edit and the lead typed in");

    // Since a moment, and paged.
    let all = store.history(HistoryFilter { since: Some(started), ..HistoryFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 5, "{all:#?}");
    let later = Timestamp::now() + Duration::from_secs(60);
    assert!(store.history(HistoryFilter { since: Some(later), ..HistoryFilter::default() }).await.unwrap().is_empty());
    let first = store.history(HistoryFilter { limit: 2, ..HistoryFilter::default() }).await.unwrap();
    let next = HistoryFilter { limit: 10, before_id: Some(first[1].id), ..HistoryFilter::default() };
    let rest = store.history(next).await.unwrap();
    assert_eq!(first.iter().chain(&rest).cloned().collect::<Vec<_>>(), all);
}

async fn history_of_settings_never_shows_a_secret(fixture: &Fixture) {
    let store = fixture.open().await.acting_as(Actor { author: "ivanova".into(), origin: "окно".into() });
    let mut settings = store.service_settings().await.unwrap();
    let old_password = settings.password.expose().to_string();
    settings.password = Secret::new("НовыйПароль-123");
    settings.login = "roistat-crm".into();
    store.put_service_settings(settings).await.unwrap();
    let history = store
        .history(HistoryFilter {
            object: Some(HistoryObject::Settings("settings/service".into())),
            ..HistoryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].author, "ivanova");
    assert!(history[0].changes.contains(&FieldChange::new("Пароль", "", "изменён")), "{:?}", history[0].changes);
    assert!(history[0].changes.iter().any(|c| c.field == "Логин" && c.to == "roistat-crm"));
    let text = format!("{history:?}");
    assert!(!text.contains("НовыйПароль-123") && !text.contains(&old_password), "{text}");
}

async fn history_is_kept_across_a_restore_and_never_written_over(fixture: &Fixture) {
    let store = fixture.open().await.acting_as(Actor { author: "petrov".into(), origin: "окно".into() });
    let lead = store.add_lead(Lead { title: "До восстановления".into(), ..Lead::default() }).await.unwrap();
    let (backup, _) = store.backup(Vec::new()).await.unwrap();
    assert!(!String::from_utf8_lossy(&backup).contains("history"), "the history is not part of a backup");
    let before = store.history(HistoryFilter::default()).await.unwrap();
    store.restore(Cursor::new(backup), true).await.unwrap();
    let edit = LeadEdit::set(&lead, LeadValue::Title("После восстановления".into()));
    store.change_lead(lead.id, Some(lead.version), vec![edit], "petrov").await.unwrap();
    let after = store.history(HistoryFilter::default()).await.unwrap();
    assert_eq!(after.len(), before.len() + 1, "{after:#?}");
    assert_eq!(after[1..], before[..], "the entries before the restore are as they were");
    assert!(after[0].id > before[0].id);
}

async fn every_status_change_is_recorded_with_its_time_and_author(fixture: &Fixture) {
    let store = fixture.open().await;
    let lead = store.add_lead(sample_lead(1)).await.unwrap();
    let created_with = lead.status_id;
    let before = Timestamp::now() - Duration::from_secs(1);
    let in_work = store
        .change_lead(lead.id, Some(lead.version), vec![LeadEdit::set(&lead, LeadValue::Status(Some(3)))], "Петров")
        .await
        .unwrap();
    // A comment, a task and a price moved nothing of the status.
    store.append_comment(lead.id, comment("Roistat", "перезвонить"), "Roistat").await.unwrap();
    let task =
        Task {
            id: 0, deadline: None, text: "отправить КП".into(), done: false, from_roistat: false, created: None
        };
    store.append_task(lead.id, task, "Петров").await.unwrap();
    let priced = store.lead(lead.id).await.unwrap().unwrap();
    let priced = store
        .change_lead(lead.id, None, vec![LeadEdit::set(&priced, LeadValue::Price(Money(70_000)))], "Петров")
        .await
        .unwrap();
    let paid = store
        .change_lead(lead.id, None, vec![LeadEdit::set(&priced, LeadValue::Status(Some(4)))], "Сидорова")
        .await
        .unwrap();
    store.close().await.unwrap();
    drop(store);
    let store = fixture.open().await;
    let stored = store.lead(lead.id).await.unwrap().unwrap();
    let moves: Vec<(Option<u64>, Option<u64>, &str)> =
        stored.status_changes.iter().map(|c| (c.from, c.to, c.by.as_str())).collect();
    assert_eq!(moves, vec![(created_with, Some(3), "Петров"), (Some(3), Some(4), "Сидорова")]);
    assert_eq!(stored.status_changes[0].at, in_work.updated);
    assert_eq!(stored.status_changes[1].at, paid.updated);
    assert!(stored.status_changes[0].at >= before);
    assert_eq!(stored.first_status(), created_with);
    let set = stored.tasks.iter().find(|t| t.text == "отправить КП").unwrap();
    assert!(set.created.is_some_and(|at| at >= before), "the store stamps when a task was set");
    assert_eq!(stored.tasks.iter().find(|t| t.text == "позвонить").unwrap().created, None, "a stored task keeps none");
}

fn plan(month: &str, channel: &str, budget: i64) -> Plan {
    Plan {
        budget: Money(budget),
        leads: 120,
        sales: 30,
        revenue: Money(90_000_000),
        ..Plan::new(month.parse().unwrap(), channel)
    }
}

async fn plans_are_kept_per_month_and_channel_with_their_history(fixture: &Fixture) {
    let december: Month = "2026-12".parse().unwrap();
    {
        let store = fixture.open().await.acting_as(Actor { author: "smirnova".into(), origin: "окно".into() });
        store.put_plan(plan("2026-12", "seo", 5_000_000)).await.unwrap();
        store.put_plan(plan("2026-12", "direct", 10_000_000)).await.unwrap();
        store.put_plan(plan("2026-11", "direct", 8_000_000)).await.unwrap();
        store.put_plan(plan("2027-01", "direct", 9_000_000)).await.unwrap();
        // A channel has one plan a month: a second one replaces it.
        store.put_plan(plan("2026-12", "direct", 12_000_000)).await.unwrap();
        store.delete_plan("2027-01".parse().unwrap(), "direct").await.unwrap();
        store.delete_plan("2027-01".parse().unwrap(), "nothing-here").await.unwrap();
    }
    // After a restart, as written: by month, then channel.
    let store = fixture.open().await;
    assert_eq!(
        store.plans(Some(december)).await.unwrap(),
        [plan("2026-12", "direct", 12_000_000), plan("2026-12", "seo", 5_000_000)]
    );
    let all: Vec<String> = store.plans(None).await.unwrap().iter().map(Plan::key).collect();
    assert_eq!(all, ["2026-11/direct", "2026-12/direct", "2026-12/seo"]);
    assert!(store.plans(Some("2027-01".parse().unwrap())).await.unwrap().is_empty());

    let history = store.history(HistoryFilter { kind: Some("plan".into()), ..HistoryFilter::default() }).await.unwrap();
    assert_eq!(history.len(), 6, "five writes and one removal; removing nothing leaves no entry: {history:#?}");
    assert!(history.iter().all(|e| e.author == "smirnova" && e.origin == "окно"));
    assert_eq!(history[0].object, HistoryObject::Plan("2027-01/direct".into()));
    assert_eq!(history[0].changes[0], FieldChange::new("Запись", "", "удалена"));
    assert_eq!(history[1].object.title(), "План продаж на 2026-12, канал direct");
    let one = HistoryObject::Plan("2026-12/seo".into());
    let of_one = store.history(HistoryFilter { object: Some(one.clone()), ..HistoryFilter::default() }).await.unwrap();
    assert_eq!(of_one.len(), 1, "one plan's history is its own: {of_one:#?}");
    assert_eq!(of_one[0].object, one);
    assert_eq!(
        history[1].changes,
        [FieldChange::new("Бюджет", Money(10_000_000).to_string(), Money(12_000_000).to_string())]
    );
}

async fn a_plan_change_arrives_on_the_feed(fixture: &Fixture) {
    let store = fixture.open().await;
    let mut feed = store.subscribe();
    store.put_plan(plan("2026-12", "direct", 1)).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap();
    assert_eq!(next, Some(StoreEvent::PlansChanged));
    store.delete_plan("2026-12".parse().unwrap(), "direct").await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap();
    assert_eq!(next, Some(StoreEvent::PlansChanged));
}

async fn a_plan_without_a_channel_or_with_negative_money_is_refused(fixture: &Fixture) {
    let store = fixture.open().await;
    let err = store.put_plan(plan("2026-12", " ", 1)).await.unwrap_err();
    assert!(err.to_string().contains("не указан канал"), "{err}");
    let err = store.put_plan(plan("2026-12", "direct", -100)).await.unwrap_err();
    assert!(err.to_string().contains("не могут быть отрицательными"), "{err}");
    assert!(store.plans(None).await.unwrap().is_empty());
}

async fn alert_settings_and_the_sent_alerts_survive_a_restart_and_a_backup_carries_the_settings(fixture: &Fixture) {
    let settings = AlertSettings {
        telegram_enabled: true,
        telegram_token: Secret::new("123:bot-token-x"),
        telegram_chat_id: "-1001".into(),
        smtp_password: Secret::new("smtp-pass-y"),
        rules: AlertRules { lead_not_taken: Rule { enabled: true, threshold: 45 }, ..AlertRules::default() },
        ..AlertSettings::default()
    };
    {
        let store = fixture.open().await.acting_as(Actor { author: "admin".into(), origin: "окно".into() });
        assert_eq!(store.alert_settings().await.unwrap(), AlertSettings::default());
        assert!(store.alerts_sent().await.unwrap().is_empty());
        store.put_alert_settings(settings.clone()).await.unwrap();
        store.put_alerts_sent(vec!["b".into(), "a".into()]).await.unwrap();
        store.put_alerts_sent(vec!["b".into(), "c".into()]).await.unwrap();
    }
    let store = fixture.open().await;
    assert_eq!(store.alert_settings().await.unwrap(), settings);
    let mut sent = store.alerts_sent().await.unwrap();
    sent.sort();
    assert_eq!(sent, ["b", "c"], "the memory is replaced, not added to");
    let history = store
        .history(HistoryFilter {
            object: Some(HistoryObject::Settings("settings/alerts".into())),
            ..HistoryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].object.title(), "Настройки оповещений");
    let text = format!("{history:?}");
    assert!(!text.contains("bot-token") && !text.contains("smtp-pass"), "{text}");
    let (backup, _) = store.backup(Vec::new()).await.unwrap();
    store.put_alert_settings(AlertSettings::default()).await.unwrap();
    store.restore(Cursor::new(backup), true).await.unwrap();
    assert_eq!(store.alert_settings().await.unwrap(), settings);
    assert!(store.alerts_sent().await.unwrap().is_empty(), "what was sent is not part of a backup");
}

async fn what_the_alert_rules_read_carries_no_secret(fixture: &Fixture) {
    let store = fixture.open().await;
    assert_eq!(store.alert_rules().await.unwrap(), AlertSettings::default().rules_only(), "nothing stored yet");
    assert_eq!(store.last_accepted_request(500).await.unwrap(), None);
    let settings = AlertSettings {
        telegram_enabled: true,
        telegram_token: Secret::new("123:bot-token-x"),
        smtp_password: Secret::new("smtp-pass-y"),
        rules: AlertRules { analytics_failing: Rule { enabled: true, threshold: 3 }, ..AlertRules::default() },
        ..AlertSettings::default()
    };
    store.put_alert_settings(settings.clone()).await.unwrap();
    let source = AnalyticsSource {
        name: "Roistat".into(),
        api_key: Secret::new("api-key-z"),
        enabled: true,
        last_start: Some(ts(100)),
        last_error: Some("ответ 500".into()),
        ..AnalyticsSource::default()
    };
    let source = store.put(source).await.unwrap();
    let refused = ExchangeEntry { outcome: Outcome::AuthFailed, ..exchange(3) };
    store
        .log_exchanges(vec![exchange(1), ExchangeEntry { outcome: Outcome::Duplicate, ..exchange(2) }, refused])
        .await
        .unwrap();

    let rules = store.alert_rules().await.unwrap();
    assert_eq!(rules.rules, settings.rules);
    assert_eq!((rules.telegram_token.expose(), rules.smtp_password.expose(), rules.telegram_enabled), ("", "", false));
    let states = store.analytics_load_states().await.unwrap();
    assert_eq!(states, vec![source.load_state()]);
    assert_eq!((states[0].api_key.expose(), states[0].last_error.as_deref()), ("", Some("ответ 500")));
    // The newest accepted request: a resend counts, a refused login does not.
    assert_eq!(store.last_accepted_request(500).await.unwrap(), Some(ts(2)));
    assert_eq!(store.last_accepted_request(1).await.unwrap(), None, "only the newest entries are looked at");
}
