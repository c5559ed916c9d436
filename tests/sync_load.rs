//! The load against the fake Roistat: exact figures, idempotent reloads, retries, smaller periods.

mod support;

use skvoz::domain::{AnalyticsSource, LeadSource};
use skvoz::roistat::{Cancel, SchedulerConfig, run_sync, spawn_scheduler};
use std::time::Duration;
use support::fake_roistat::expected_facts;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_load_stores_exactly_the_history_and_a_second_load_changes_nothing() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    let (from, to) = history();

    let report = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    let expected = expected_facts(&fake.state.config, false, from, to);
    assert_eq!(report.facts, expected.len());
    assert_eq!(report.periods, 6, "180 days in periods of at most 31");
    assert!(fake.state.data_requests().iter().all(|(a, b)| b.since(*a).unwrap().get_days() < 31));
    let first = stored_facts(&store, source.id, from, to).await;
    assert_eq!(first, expected);
    assert_eq!(store.fact_count().await.unwrap(), expected.len());

    let after = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    assert!(after.last_start.is_some() && after.last_success.is_some());
    assert_eq!(after.last_error, None);
    assert_eq!(after.facts_loaded, expected.len() as u64);

    fake.state.reset_counts();
    let report = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    let requests = fake.state.data_requests();
    assert_eq!(requests, vec![(days_before(to, 13), to)], "a later run reloads the last 14 days only");
    assert_eq!(report.facts, expected_facts(&fake.state.config, false, days_before(to, 13), to).len());
    assert_eq!(stored_facts(&store, source.id, from, to).await, first);
    assert_eq!(store.fact_count().await.unwrap(), expected.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_recent_figure_is_updated_by_the_next_scheduled_load() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, true).await;
    let (from, to) = history();
    run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected_facts(&fake.state.config, false, from, to));

    fake.state.set(|s| s.bump_recent = true);
    // The last run was "two hours ago": the hourly schedule makes it due.
    let mut due = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    due.last_start = Some(jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(2)).unwrap());
    store.put(due).await.unwrap();

    let scheduler =
        spawn_scheduler(store.clone(), SchedulerConfig { tick: Duration::from_secs(3600), sync: fast_options() });
    let mut states = scheduler.watch();
    tokio::time::timeout(Duration::from_secs(60), states.wait_for(|m| m.get(&source.id).is_some_and(|s| s.runs >= 1)))
        .await
        .expect("the scheduled load did not finish")
        .unwrap();
    let state = scheduler.progress()[&source.id].clone();
    assert_eq!(state.last_error, None, "{}", state.message);
    scheduler.shutdown().await;

    let expected = expected_facts(&fake.state.config, true, from, to);
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected);
    assert_ne!(expected, expected_facts(&fake.state.config, false, from, to));
    assert_eq!(store.fact_count().await.unwrap(), expected.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_waited_out_without_extra_facts() {
    for http_429 in [false, true] {
        let fake = fake().await;
        let (_dir, store) = open_store().await;
        let source = add_source(&store, &fake, false).await;
        fake.state.set(|s| {
            s.rate_limit_times = 2;
            s.rate_limit_429 = http_429;
        });
        let report = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
        assert_eq!(report.retries, 2);
        assert_eq!(fake.state.data_requests().len(), 6 + 2);
        let (from, to) = history();
        let expected = expected_facts(&fake.state.config, false, from, to);
        assert_eq!(stored_facts(&store, source.id, from, to).await, expected);
        assert_eq!(store.fact_count().await.unwrap(), expected.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_smaller_period_splits_and_still_stores_everything() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    fake.state.set(|s| s.max_period_days = Some(7));
    let mut seen = Vec::new();
    let progress = std::sync::Mutex::new(&mut seen);
    let report = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &|p: &skvoz::roistat::SyncProgress| {
        progress.lock().unwrap().push((p.done, p.total))
    })
    .await
    .unwrap();
    let (from, to) = history();
    let expected = expected_facts(&fake.state.config, false, from, to);
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected);
    assert_eq!(report.facts, expected.len());
    assert!(report.periods > 6);
    let last = *seen.last().unwrap();
    assert_eq!(last.0, last.1, "progress ends with done == total");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "done never goes back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_loaded_when_a_lead_source_uses_calls() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    let source = add_source(&store, &fake, false).await;
    store.put(LeadSource { name: "Roistat".into(), use_calls: true, ..LeadSource::default() }).await.unwrap();
    let report = run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    assert_eq!(report.calls, 180 * 2);
    assert_eq!(store.calls().await.unwrap().len(), 180 * 2);
    // A reload of the same days updates the same calls, never duplicates them.
    run_sync(&store, source.id, &fast_options(), &Cancel::new(), &quiet).await.unwrap();
    let calls = store.calls().await.unwrap();
    assert_eq!(calls.len(), 180 * 2);
    assert!(calls.iter().all(|c| c.roistat_call_id.as_deref().is_some_and(|id| id.starts_with("call-"))));
}
