//! The analytics load at scale: 2 years × 500 marker triples of daily facts from the fake Roistat
//! over loopback. Prints the time of the first load and of a reload, and how much the store grew.
//! Run: `cargo bench --bench sync_load`.

#[path = "../tests/support/fake_roistat.rs"]
mod fake;

use skvoz::domain::{AnalyticsSource, Secret};
use skvoz::roistat::{Cancel, SyncOptions, run_sync};
use skvoz::store::Store;
use std::time::Instant;

const DAYS: u32 = 730;

fn main() {
    skvoz::tune_allocator();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let today = jiff::Zoned::now().date();
    // 5 channels × 10 sources × 10 campaigns = 500 triples.
    let config = fake::FakeConfig { channels: 5, sources: 10, campaigns: 10, today, ..fake::FakeConfig::default() };
    let fake = fake::start(config).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_embedded(dir.path()).await.unwrap();
    let source = store
        .put(AnalyticsSource {
            name: "Бенчмарк".into(),
            api_key: Secret::new(fake::KEY),
            project: fake::PROJECT.into(),
            api_base: fake.url.clone(),
            history_days: DAYS,
            enabled: false,
            ..AnalyticsSource::default()
        })
        .await
        .unwrap();
    let before = store.size_on_disk().await.unwrap();
    let options = SyncOptions { today: Some(today), ..SyncOptions::default() };

    let started = Instant::now();
    let report = run_sync(&store, source.id, &options, &Cancel::new(), &|_| {}).await.unwrap();
    let first = started.elapsed();
    let after = store.size_on_disk().await.unwrap();

    let started = Instant::now();
    let reload = run_sync(&store, source.id, &options, &Cancel::new(), &|_| {}).await.unwrap();
    let second = started.elapsed();
    let after_reload = store.size_on_disk().await.unwrap();

    let facts = store.fact_count().await.unwrap();
    println!("sync_load: {DAYS} days x 500 triples");
    println!(
        "  first load: {} facts in {} periods, {:.2} s ({:.0} facts/s)",
        report.facts,
        report.periods,
        first.as_secs_f64(),
        report.facts as f64 / first.as_secs_f64()
    );
    println!(
        "  reload (last 14 days, {} period): {} facts, {:.2} s",
        reload.periods,
        reload.facts,
        second.as_secs_f64()
    );
    println!(
        "  store: {} facts; {} -> {} bytes (+{} bytes, {:.0} bytes/fact); after reload {} bytes",
        facts,
        before,
        after,
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / facts.max(1) as f64,
        after_reload
    );
    assert_eq!(facts, report.facts, "a reload must not add facts");
}
