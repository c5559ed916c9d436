//! What only the PostgreSQL backend has: TLS to the server (verified, and refused when the
//! certificate is not trusted), and one database shared by several processes, each seeing the
//! others' changes on its feed.

#[path = "support/pg.rs"]
mod pg;

use skvoz::domain::{Contact, Lead};
use skvoz::store::{Database, Store, StoreEvent};
use std::time::Duration;

fn url(port: u16, db: &str, options: &str) -> String {
    format!("postgresql://skvoz@localhost:{port}/{db}?{options}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_against_the_given_root_and_refused_for_another() {
    let Some(db) = pg::fresh_database_name().await else { return };
    let Some(tls) = pg::tls_server() else {
        eprintln!("сервер PostgreSQL с TLS недоступен (нет openssl или сервер задан через PGHOST): проверка пропущена");
        return;
    };
    let trusted = url(tls.port, &db, &format!("sslmode=verify-full&sslrootcert={}", tls.ca.display()));
    let store = Store::open_postgres(&Database::parse(&trusted).unwrap()).await.expect("a verified TLS connection");
    let lead = store.add_lead(Lead { title: "по TLS".into(), ..Lead::default() }).await.unwrap();
    assert_eq!(store.lead(lead.id).await.unwrap().unwrap().title, "по TLS");

    let untrusted = url(tls.port, &db, &format!("sslmode=verify-full&sslrootcert={}", tls.other_ca.display()));
    let refused = Store::open_postgres(&Database::parse(&untrusted).unwrap()).await;
    let err = refused.err().expect("a certificate from an untrusted CA is refused");
    let text = err.to_string();
    assert!(text.contains("Сертификат сервера") && text.contains("sslrootcert"), "{text}");
    assert!(text.contains(&format!("localhost:{}", tls.port)), "{text}");

    // `require` encrypts without checking, as libpq does.
    let required = url(tls.port, &db, "sslmode=require");
    let store = Store::open_postgres(&Database::parse(&required).unwrap()).await.expect("require connects");
    assert_eq!(store.lead_count().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_taken_by_one_process_reaches_the_feed_of_another() {
    let Some(config) = pg::fresh_database().await else { return };
    let database = Database::from_config(config);
    let service = Store::open_postgres(&database).await.unwrap();
    let window = Store::open_postgres(&database).await.unwrap();
    let mut feed = window.subscribe();
    let lead = Lead { roistat_lead_id: Some("R-77".into()), ..Lead::default() };
    let intake =
        service.intake_lead(lead, Contact { phone: "+7 900 123-45-67".into(), ..Contact::default() }).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(&StoreEvent::LeadsChanged(vec![intake.lead.id])) {
        let next = tokio::time::timeout_at(deadline, feed.next()).await.expect("the other process's lead arrives");
        seen.push(next.expect("the feed goes on"));
    }
    assert_eq!(window.lead_by_roistat_id("R-77").await.unwrap().map(|l| l.id), Some(intake.lead.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_migrated_once_and_a_newer_one_is_refused() {
    let Some(config) = pg::fresh_database().await else { return };
    let database = Database::from_config(config.clone());
    let empty = Store::schema_status(&database).await.unwrap();
    assert_eq!((empty.version(), empty.applied.len()), (0, 0), "nothing before the first open");
    // Two processes opening a new database at once migrate it once.
    let (a, b) = tokio::join!(Store::open_postgres(&database), Store::open_postgres(&database));
    a.unwrap();
    b.unwrap();
    let status = Store::schema_status(&database).await.unwrap();
    assert_eq!(status.version(), status.latest);
    // Numbers may have gaps (a migration is numbered when it is written), never repeats.
    let versions: Vec<i32> = status.applied.iter().map(|m| m.0).collect();
    let mut once = versions.clone();
    once.dedup();
    assert_eq!(versions, once, "each migration recorded once");

    // A database a newer skvoz migrated: this one refuses to touch it and says what to do.
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')", &[])
        .await
        .unwrap();
    let refused = Store::open_postgres(&database).await.err().expect("a newer schema is refused");
    assert!(refused.to_string().contains("обновите программу") && refused.to_string().contains("999"), "{refused}");

    // An edited migration is noticed.
    client.execute("DELETE FROM schema_migrations WHERE version = 999", &[]).await.unwrap();
    client.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", &[]).await.unwrap();
    let refused = Store::open_postgres(&database).await.err().expect("an edited migration is refused");
    assert!(refused.to_string().contains("отличается"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_stored_before_their_sums_existed_are_summed_when_the_schema_is_updated() {
    use skvoz::domain::{DailyFact, Level};
    use skvoz::report::{Periods, sums};
    let Some(config) = pg::fresh_database().await else { return };
    let database = Database::from_config(config.clone());
    let store = Store::open_postgres(&database).await.unwrap();
    let d = |month, day| jiff::civil::Date::constant(2026, month, day);
    let mut facts = Vec::new();
    for (i, date) in [d(9, 29), d(9, 30), d(10, 1), d(10, 15), d(10, 31), d(11, 1), d(11, 2)].into_iter().enumerate() {
        for (source, channel) in [(1, "direct"), (2, "google")] {
            let levels = [Level::new(channel, channel), Level::new("brand", ""), Level::new("", "")];
            let mut fact = DailyFact::new(date, levels);
            fact.analytics_source_id = source;
            fact.visits = 10 * i as u64 + source;
            facts.push(fact);
        }
    }
    for source in [1, 2] {
        let own = facts.iter().filter(|f| f.analytics_source_id == source).cloned().collect();
        store.replace_facts(source, d(9, 1), d(11, 30), own).await.unwrap();
    }
    drop(store);
    // The database as a skvoz without the sums left it: the facts alone.
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(
            "DROP TABLE fact_month_sums, fact_channel_days, fact_loads; \
             DELETE FROM schema_migrations WHERE name = 'fact_sums'",
        )
        .await
        .unwrap();
    let store = Store::open_postgres(&database).await.unwrap();
    for periods in [
        Periods { from: d(9, 30), to: d(11, 1), previous_from: d(9, 1), previous_to: d(9, 29) },
        Periods { from: d(10, 1), to: d(10, 31), previous_from: d(9, 1), previous_to: d(9, 30) },
    ] {
        assert_eq!(store.report_sums(periods).await.unwrap(), sums(&facts, &periods).unwrap(), "{periods:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_change_is_lost_on_the_way_to_another_process_under_concurrent_writes() {
    let Some(config) = pg::fresh_database().await else { return };
    let database = Database::from_config(config);
    let writer = Store::open_postgres(&database).await.unwrap();
    let reader = Store::open_postgres(&database).await.unwrap();
    let mut feed = reader.subscribe();
    // Leads and exchange-log entries written at once, as `serve` does: their commits interleave.
    let leads = {
        let writer = writer.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..400 {
                let lead = Lead { roistat_lead_id: Some(format!("C-{i}")), ..Lead::default() };
                ids.push(writer.intake_lead(lead, Contact::default()).await.unwrap().lead.id);
            }
            ids
        })
    };
    let log = {
        let writer = writer.clone();
        tokio::spawn(async move {
            for i in 0..400u16 {
                let entry = skvoz::domain::ExchangeEntry {
                    id: 0,
                    at: jiff::Timestamp::now(),
                    remote: "127.0.0.1".into(),
                    action: "lead".into(),
                    outcome: skvoz::domain::Outcome::Ok,
                    http_status: 200,
                    duration_micros: u64::from(i),
                    error: String::new(),
                    params: vec![],
                    answer: String::new(),
                    request_bytes: 0,
                };
                writer.log_exchanges(vec![entry]).await.unwrap();
            }
        })
    };
    let ids = leads.await.unwrap();
    log.await.unwrap();
    let mut missing: std::collections::BTreeSet<u64> = ids.into_iter().collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !missing.is_empty() {
        match tokio::time::timeout_at(deadline, feed.next()).await {
            Ok(Some(StoreEvent::LeadsChanged(changed))) => changed.iter().for_each(|id| {
                missing.remove(id);
            }),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    assert!(missing.is_empty(), "{} leads never reached the other handle: {missing:?}", missing.len());
}
