//! The scheduler: one load per source at a time, cancel, clean shutdown.

mod support;

use skvoz::domain::AnalyticsSource;
use skvoz::roistat::{RunNowError, SchedulerConfig, spawn_scheduler};
use std::time::Duration;
use support::fake_roistat::expected_facts;
use support::*;

fn config() -> SchedulerConfig {
    SchedulerConfig { tick: Duration::from_millis(50), sync: fast_options() }
}

const GUARD: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_load_is_never_started_twice() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    fake.state.set(|s| s.slow = Some(Duration::from_millis(150)));
    // Enabled and never run: due at once, so the scheduler starts it by itself.
    let source = add_source(&store, &fake, true).await;
    let scheduler = spawn_scheduler(store.clone(), config());
    let mut states = scheduler.watch();
    tokio::time::timeout(GUARD, states.wait_for(|m| m.get(&source.id).is_some_and(|s| s.running)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.run_now(source.id), Err(RunNowError::AlreadyRunning));
    assert!(scheduler.is_running(source.id));
    // Catalog changes while it runs must not start another one either.
    store.put(store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap()).await.unwrap();
    assert_eq!(scheduler.run_now(source.id), Err(RunNowError::AlreadyRunning));

    tokio::time::timeout(GUARD, states.wait_for(|m| m.get(&source.id).is_some_and(|s| s.runs >= 1 && !s.running)))
        .await
        .unwrap()
        .unwrap();
    let requests = fake.state.data_requests();
    let mut unique = requests.clone();
    unique.dedup();
    assert_eq!(requests.len(), 6, "each period requested once: {requests:?}");
    assert_eq!(unique, requests);
    let (from, to) = history();
    assert_eq!(stored_facts(&store, source.id, from, to).await, expected_facts(&fake.state.config, false, from, to));

    // Done and not due (hourly): a manual run is allowed again.
    assert_eq!(scheduler.run_now(source.id), Ok(()));
    tokio::time::timeout(GUARD, states.wait_for(|m| m.get(&source.id).is_some_and(|s| s.runs >= 2)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scheduler.progress()[&source.id].runs, 2);
    scheduler.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_load_between_whole_periods() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    fake.state.set(|s| s.slow = Some(Duration::from_millis(200)));
    let source = add_source(&store, &fake, false).await;
    let scheduler = spawn_scheduler(store.clone(), config());
    let mut states = scheduler.watch();
    scheduler.run_now(source.id).unwrap();
    tokio::time::timeout(GUARD, states.wait_for(|m| m.get(&source.id).is_some_and(|s| s.done >= 1)))
        .await
        .unwrap()
        .unwrap();
    assert!(scheduler.cancel(source.id));
    tokio::time::timeout(GUARD, states.wait_for(|m| m.get(&source.id).is_some_and(|s| !s.running)))
        .await
        .unwrap()
        .unwrap();
    let state = scheduler.progress()[&source.id].clone();
    assert!(state.last_error.as_deref().is_some_and(|e| e.contains("отменена")), "{state:?}");
    assert!(state.done < state.total, "{state:?}");

    let requests = fake.state.data_requests();
    assert!(requests.len() < 6, "{requests:?}");
    // Only whole periods were stored: exactly the first `done` ones.
    let (from, to) = history();
    let kept_to = requests[state.done - 1].1;
    assert_eq!(
        stored_facts(&store, source.id, from, to).await,
        expected_facts(&fake.state.config, false, from, kept_to)
    );
    let stored = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    assert!(stored.last_error.is_some() && stored.last_success.is_none());
    assert!(!scheduler.cancel(source.id), "nothing left to cancel");
    scheduler.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cancels_running_loads_and_waits_for_them() {
    let fake = fake().await;
    let (_dir, store) = open_store().await;
    fake.state.set(|s| s.slow = Some(Duration::from_secs(5)));
    let source = add_source(&store, &fake, false).await;
    let scheduler = spawn_scheduler(store.clone(), config());
    scheduler.run_now(source.id).unwrap();
    let observer = scheduler.clone();
    tokio::time::timeout(GUARD, scheduler.shutdown()).await.unwrap();
    assert!(!observer.is_running(source.id));
    assert_eq!(observer.run_now(source.id), Err(RunNowError::Stopped));
    let stored = store.get::<AnalyticsSource>(source.id).await.unwrap().unwrap();
    assert!(stored.last_error.is_some());
}
