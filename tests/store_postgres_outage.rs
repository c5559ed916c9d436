//! PostgreSQL restarted under load (its own test binary: it restarts the harness's server). Writers
//! keep taking leads as Roistat sends them, resending what failed; after the restart every lead the
//! store acknowledged is there exactly once, no number is used twice, and the store works again by
//! itself.

#[path = "support/pg.rs"]
mod pg;

use skvoz::domain::{Contact, Lead};
use skvoz::store::{Database, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_under_load_loses_no_acknowledged_lead() {
    let Some(config) = pg::fresh_database().await else { return };
    let store = Store::open_postgres(&Database::from_config(config)).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8u32)
        .map(|w| {
            let (store, stop) = (store.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut acknowledged, mut failures) = (Vec::new(), 0u32);
                let mut i = 0u32;
                while !stop.load(Ordering::SeqCst) {
                    let lead = Lead { roistat_lead_id: Some(format!("w{w}-{i}")), ..Lead::default() };
                    let phone = format!("+7 900 {w:03}-{:02}-{:02}", i / 100 % 100, i % 100);
                    match store.intake_lead(lead, Contact { phone, ..Contact::default() }).await {
                        Ok(intake) => {
                            acknowledged.push((intake.lead.id, intake.lead.number));
                            i += 1;
                        }
                        // As Roistat does after an error answer: the same lead again, a little later.
                        Err(_) => {
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                (acknowledged, failures)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let restarted = pg::restart();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    let mut failures = 0;
    for writer in writers {
        let (acks, failed) = writer.await.expect("no writer panicked");
        acknowledged.extend(acks);
        failures += failed;
    }
    if !restarted {
        eprintln!("сервер PostgreSQL задан через PGHOST: перезапуск под нагрузкой пропущен");
        return;
    }
    assert!(failures > 0, "the restart was not noticed: the test proves nothing");
    assert!(acknowledged.len() > 50, "too few leads were taken: {}", acknowledged.len());
    for (id, _) in &acknowledged {
        assert!(store.lead(*id).await.unwrap().is_some(), "acknowledged lead {id} is lost");
    }
    let mut numbers: Vec<u64> = acknowledged.iter().map(|(_, n)| *n).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), acknowledged.len(), "a number was given twice");
    assert_eq!(store.lead_count().await.unwrap(), acknowledged.len(), "a resent lead was stored twice");
}
