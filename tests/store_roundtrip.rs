//! The store: every entity round-trips, survives a reopen, and its indexes answer exactly.

use jiff::Timestamp;
use jiff::civil::Date;
use skvoz::domain::Contact;
use skvoz::domain::*;
use skvoz::store::{SledStore, StoreError, StoreEvent};

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
        comments: vec![Comment { at: ts(1_700_000_100), title: "t".into(), text: "c".into(), from_roistat: true }],
        tasks: vec![Task {
            id: 1,
            deadline: Some(ts(1_700_100_000)),
            text: "позвонить".into(),
            done: false,
            from_roistat: true,
        }],
        ..Lead::default()
    };
    lead.extra.insert("delivery".into(), "Курьер".into());
    lead.unmapped.insert("page".into(), "/catalog".into());
    lead
}

#[test]
fn every_entity_round_trips_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (lead, client, status, field, user, source, analytics, call, fact, settings, telephony);
    {
        let store = SledStore::open(dir.path()).unwrap();
        let intake = store
            .intake_lead(
                sample_lead(1),
                &Contact { name: "Иван".into(), phone: "8 901 222-33-55".into(), email: "I@x.ru".into() },
            )
            .unwrap();
        lead = intake.lead;
        client = store.client(lead.client_id.unwrap()).unwrap().unwrap();
        status = store.put(Status { id: 0, name: "Особый".into(), group: StatusGroup::NotCounted, order: 9 }).unwrap();
        field = store
            .put(ExtraField {
                id: 0,
                name: "Доставка".into(),
                dev_name: "delivery".into(),
                kind: FieldKind::Text,
                service: false,
            })
            .unwrap();
        user = store.put(User { id: 0, name: "Петров".into(), role: Role::Manager, ..User::default() }).unwrap();
        source = store
            .put(LeadSource {
                name: "Roistat".into(),
                use_calls: true,
                publication_address: "https://crm.example.ru/crm".into(),
                api_key: Secret::new("k"),
                ..LeadSource::default()
            })
            .unwrap();
        analytics = store
            .put(AnalyticsSource {
                name: "Основной".into(),
                api_key: Secret::new("key"),
                project: "1".into(),
                ..Default::default()
            })
            .unwrap();
        call = store
            .put_call(Call {
                roistat_call_id: Some("c1".into()),
                caller: "79990001122".into(),
                lead_id: Some(lead.id),
                ..Call::default()
            })
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
        store.replace_facts(0, fact.date, fact.date, std::slice::from_ref(&fact)).unwrap();
        settings = ServiceSettings { publication: "base".into(), ..store.service_settings().unwrap() };
        store.put_service_settings(&settings).unwrap();
        telephony = Telephony { provider: "Mango".into(), address: "https://pbx".into(), ..Telephony::default() };
        store.put_telephony(&telephony).unwrap();
        store.durable().unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    let mut stored_lead = store.lead(lead.id).unwrap().unwrap();
    assert_eq!(stored_lead.call_ids, vec![call.id]);
    stored_lead.call_ids.clear();
    assert_eq!(stored_lead, lead);
    assert_eq!(client.phone, "8 901 222-33-55");
    assert_eq!(store.client(client.id).unwrap().unwrap(), client);
    assert_eq!(store.get::<Status>(status.id).unwrap().unwrap(), status);
    assert_eq!(store.get::<ExtraField>(field.id).unwrap().unwrap(), field);
    assert_eq!(store.get::<User>(user.id).unwrap().unwrap(), user);
    assert_eq!(store.get::<LeadSource>(source.id).unwrap().unwrap(), source);
    assert_eq!(store.get::<AnalyticsSource>(analytics.id).unwrap().unwrap(), analytics);
    assert_eq!(store.call(call.id).unwrap().unwrap(), call);
    assert_eq!(store.facts_between(fact.date, fact.date).unwrap(), vec![fact]);
    assert_eq!(store.service_settings().unwrap(), settings);
    assert_eq!(store.telephony().unwrap(), telephony);
    // The same contact by another spelling of the phone finds the same client.
    let again = store
        .intake_lead(sample_lead(2), &Contact { phone: "+7 (901) 222 33 55".into(), ..Contact::default() })
        .unwrap();
    assert_eq!(again.lead.client_id, Some(client.id));
}

#[test]
fn lead_numbers_never_repeat_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut numbers = Vec::new();
    for round in 0..3 {
        let store = SledStore::open(dir.path()).unwrap();
        for i in 0..5 {
            numbers.push(store.add_lead(sample_lead(round * 10 + i)).unwrap().number);
        }
        store.durable().unwrap();
    }
    let mut sorted = numbers.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 15);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "numbers must grow: {numbers:?}");
}

#[test]
fn index_queries_return_exactly_the_matching_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let leads: Vec<Lead> = store.add_leads((0..50).map(sample_lead).collect()).unwrap();
    // Created in [10th, 20th) minute.
    let between = store.leads_created_between(leads[10].created, leads[20].created).unwrap();
    assert_eq!(
        between.iter().map(|l| l.id).collect::<Vec<_>>(),
        leads[10..20].iter().map(|l| l.id).collect::<Vec<_>>()
    );
    // Newest 5, newest first.
    let newest = store.leads_newest(5).unwrap();
    assert_eq!(
        newest.iter().map(|l| l.id).collect::<Vec<_>>(),
        leads[45..].iter().rev().map(|l| l.id).collect::<Vec<_>>()
    );
    // Changed since: move three leads forward in time.
    let later = ts(1_800_000_000);
    let mut changed = vec![leads[3].clone(), leads[7].clone(), leads[40].clone()];
    for lead in &mut changed {
        lead.updated = later;
        lead.title.push_str(" (изменена)");
    }
    store.update_leads(&changed).unwrap();
    let since = store.lead_ids_changed_since(ts(1_799_999_999)).unwrap();
    assert_eq!(since, vec![leads[3].id, leads[7].id, leads[40].id]);
    assert!(store.lead_ids_changed_since(later).unwrap().is_empty(), "strictly after");
    // The old updated entries are gone: no lead is listed twice.
    assert_eq!(store.lead_ids_changed_since(ts(0)).unwrap().len(), 50);
    // By Roistat id.
    assert_eq!(store.lead_by_roistat_id("r-17").unwrap().unwrap().id, leads[17].id);
    assert!(store.lead_by_roistat_id("r-999").unwrap().is_none());
}

#[test]
fn intake_is_idempotent_on_roistat_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let first = store.intake_lead(sample_lead(1), &Contact::default()).unwrap();
    let second = store.intake_lead(sample_lead(1), &Contact::default()).unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.lead.id, second.lead.id);
    assert_eq!(store.lead_count(), 1);
}

#[test]
fn batch_intake_matches_resends_and_clients_inside_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let phone = |p: &str| Contact { phone: p.into(), ..Contact::default() };
    let earlier = store.intake_lead(sample_lead(7), &phone("+7 900 000-00-07")).unwrap();
    let batch = vec![
        (sample_lead(1), phone("+7 900 111-11-11")),
        (sample_lead(2), phone("8 (900) 111-11-11")),
        (sample_lead(1), phone("+7 900 111-11-11")),
        (sample_lead(7), phone("+7 900 000-00-07")),
    ];
    let intakes = store.intake_leads(&batch).unwrap();
    let created: Vec<bool> = intakes.iter().map(|i| i.created).collect();
    assert_eq!(created, [true, true, false, false]);
    assert_eq!(intakes[2].lead.id, intakes[0].lead.id, "a resend in the same batch is the first copy");
    assert_eq!(intakes[3].lead.id, earlier.lead.id, "a resend of an earlier lead");
    assert_eq!(intakes[0].lead.client_id, intakes[1].lead.client_id, "one client for one phone");
    assert_eq!(intakes[1].lead.number, intakes[0].lead.number + 1);
    drop(store);
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.lead_count(), 3);
    assert_eq!(store.lead_by_roistat_id("r-2").unwrap().map(|l| l.id), Some(intakes[1].lead.id));
    assert_eq!(store.all_clients().unwrap().len(), 2);
}

#[test]
fn facts_reload_replaces_and_never_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let d = |day| Date::constant(2026, 11, day);
    let fact = |day, visits| DailyFact {
        visits,
        ..DailyFact::new(d(day), [Level::new("direct", ""), Level::new("brand", ""), Level::new("ad1", "")])
    };
    store.replace_facts(1, d(1), d(3), &[fact(1, 10), fact(2, 20), fact(3, 30)]).unwrap();
    store.replace_facts(2, d(1), d(3), &[fact(2, 5)]).unwrap();
    store.replace_facts(1, d(2), d(3), &[fact(2, 21)]).unwrap();
    let facts = store.facts_between(d(1), d(3)).unwrap();
    let visits: Vec<(u64, u64)> = facts.iter().map(|f| (f.source_id, f.visits)).collect();
    assert_eq!(visits, vec![(1, 10), (1, 21), (2, 5)]);
    assert_eq!(store.fact_date_span().unwrap(), Some((d(1), d(2))));
}

#[test]
fn exchange_log_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.set_exchange_capacity(10).unwrap();
    for i in 0..25u16 {
        store
            .log_exchange(ExchangeEntry {
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
            })
            .unwrap();
    }
    let newest = store.exchange_newest(100).unwrap();
    assert_eq!(newest.len(), 10);
    assert_eq!(newest.first().unwrap().http_status, 224);
    assert_eq!(newest.last().unwrap().http_status, 215);
    assert_eq!(store.exchange_count(), 10);
}

#[test]
fn schema_is_created_once_even_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let s = store.clone();
            std::thread::spawn(move || s.ensure_schema().unwrap())
        })
        .collect();
    let created: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(created, required_fields().len() + default_statuses().len());
    assert_eq!(store.list::<ExtraField>().unwrap().len(), required_fields().len());
    assert_eq!(store.statuses().unwrap().len(), 4);
    // A duplicate developer name is refused.
    let dup = store.put(ExtraField {
        id: 0,
        name: "x".into(),
        dev_name: "utm_source".into(),
        kind: FieldKind::Text,
        service: false,
    });
    assert!(matches!(dup, Err(StoreError::Invalid(m)) if m.contains("utm_source")));
}

#[test]
fn a_second_open_gives_the_clear_locked_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path()).unwrap();
    match SledStore::open(dir.path()) {
        Err(e @ StoreError::Locked(_)) => assert!(e.to_string().contains("уже открыта другой программой skvoz")),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("opened a locked store"),
    }
}

#[test]
fn an_unusable_folder_gives_the_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    match SledStore::open(&file.join("sub")) {
        Err(e @ StoreError::NotWritable { .. }) => assert!(e.to_string().contains("Нет доступа на запись")),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("opened a store under a file"),
    }
}

#[tokio::test]
async fn changes_arrive_as_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mut events = store.subscribe();
    let lead = store.add_lead(sample_lead(1)).unwrap();
    assert_eq!(events.recv().await.unwrap(), StoreEvent::LeadsChanged(vec![lead.id]));
}
