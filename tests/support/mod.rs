//! Helpers shared by the sync tests.
#![allow(dead_code)]

pub mod fake_roistat;

use fake_roistat::{Fake, FakeConfig};
use jiff::civil::Date;
use skvoz::domain::{AnalyticsSource, DailyFact, Secret};
use skvoz::roistat::{RetryPolicy, SyncOptions, SyncProgress};
use skvoz::store::Store;
use std::time::Duration;

/// Today in the project's time zone (the analytics source's default): the day `serve` counts as
/// today, whatever the zone of the machine running the tests.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .in_tz(skvoz::domain::DEFAULT_TIME_ZONE)
        .map(|now| now.date())
        .unwrap_or_else(|_| jiff::Zoned::now().date())
}

pub fn days_before(date: Date, n: i64) -> Date {
    date.checked_sub(jiff::Span::new().days(n)).unwrap()
}

pub async fn open_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_embedded(dir.path()).await.unwrap();
    (dir, store)
}

pub async fn fake() -> Fake {
    fake_roistat::start(FakeConfig { today: today(), ..FakeConfig::default() }).await
}

/// An analytics source pointing at the fake, saved in the store.
pub async fn add_source(store: &Store, fake: &Fake, enabled: bool) -> AnalyticsSource {
    store
        .put(AnalyticsSource {
            name: "Тест".into(),
            api_key: Secret::new(fake_roistat::KEY),
            project: fake_roistat::PROJECT.into(),
            api_base: fake.url.clone(),
            enabled,
            ..AnalyticsSource::default()
        })
        .await
        .unwrap()
}

/// Production behaviour with waits and timeouts shrunk for tests.
pub fn fast_options() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        },
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        today: Some(today()),
        ..SyncOptions::default()
    }
}

pub fn quiet(_: &SyncProgress) {}

/// The store's facts of one source, sorted like `expected_facts`, with the source id cleared.
pub async fn stored_facts(store: &Store, source_id: u64, from: Date, to: Date) -> Vec<DailyFact> {
    let mut facts: Vec<DailyFact> = store
        .facts_between(from, to)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.analytics_source_id == source_id)
        .map(|mut f| {
            f.analytics_source_id = 0;
            f
        })
        .collect();
    fake_roistat::sort_facts(&mut facts);
    facts
}

/// The first load's range: 180 days up to today.
pub fn history() -> (Date, Date) {
    (days_before(today(), 179), today())
}
