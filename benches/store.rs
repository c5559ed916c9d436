//! Store: batched lead inserts with indexes; open + newest 100 leads on a 100,000-lead store.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use skvoz::domain::{Attraction, Lead, Marker, Money, Origin, Utm};
use skvoz::store::Store;
use std::time::Duration;
use tokio::runtime::Runtime;

fn lead(i: u64) -> Lead {
    let at = Timestamp::from_second(1_700_000_000 + i as i64 * 30).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut lead = Lead {
        created: at,
        updated: at,
        title: "Заявка с сайта".into(),
        text: "Страница: https://example.ru/catalog/item-42, промокод LETO".into(),
        price: Money(1_234_500),
        marker: Marker::parse(&format!("{}", 3_000_000 + i)).ok(),
        roistat_lead_id: Some(format!("{}", 90_000_000 + i)),
        utm: Utm { source: "yandex".into(), medium: "cpc".into(), campaign: "brand".into(), ..Utm::default() },
        attraction: Attraction { channel: "direct".into(), source: "brand".into(), campaign: "ad1".into() },
        origin: Origin::ProxyLead,
        ..Lead::default()
    };
    lead.extra.insert("utm_source".into(), "yandex".into());
    lead.extra.insert("delivery".into(), "Курьер".into());
    lead
}

const BATCH: u64 = 1_000;
const TOTAL: u64 = 100_000;

/// Each batch is durable when `add_leads` returns.
fn fill(rt: &Runtime, store: &Store, total: u64) {
    for start in (0..total).step_by(BATCH as usize) {
        rt.block_on(store.add_leads((start..start + BATCH).map(lead).collect())).unwrap();
    }
}

fn inserts(c: &mut Criterion) {
    skvoz::tune_allocator();
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("store");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(TOTAL));
    group.bench_function("insert 100k leads with indexes, batches of 1000, each durable", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let store = rt.block_on(Store::open_embedded(dir.path())).unwrap();
                fill(&rt, &store, TOTAL);
                drop(store);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let dir = tempfile::tempdir().unwrap();
    {
        let store = rt.block_on(Store::open_embedded(dir.path())).unwrap();
        fill(&rt, &store, TOTAL);
        let bytes = rt.block_on(store.size_on_disk()).unwrap();
        eprintln!("disk: {bytes} bytes for {TOTAL} leads = {} bytes per lead", bytes / TOTAL);
    }
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.bench_function("open a 100k-lead store and read the newest 100 leads", |b| {
        b.iter(|| {
            let store = rt.block_on(Store::open_embedded(dir.path())).unwrap();
            let newest = rt.block_on(store.leads_newest(100)).unwrap();
            assert_eq!(newest.len(), 100);
        })
    });
    group.finish();
}

criterion_group!(benches, inserts);
criterion_main!(benches);
