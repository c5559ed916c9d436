//! A 90-day report over 2 years × 1,000 marker triples (730k facts): by channel with the whole
//! drill-down, and the daily series alone (the day grouping).

use criterion::{Criterion, criterion_group, criterion_main};
use skvoz::report::{Grouping, Query, build};
use std::hint::black_box;

#[path = "support/facts.rs"]
mod support_facts;
use skvoz::domain::DailyFact;
use support_facts::facts;

fn bench(c: &mut Criterion) {
    skvoz::tune_allocator();
    let last = jiff::civil::Date::constant(2026, 11, 24);
    let all = facts(730, last);
    let from = last.checked_sub(jiff::ToSpan::days(89)).unwrap();
    let by_channel = Query::new(from, last, Grouping::Channel);
    // What the store returns for the query: the period and the previous one.
    let (span_from, _) = by_channel.facts_span().unwrap();
    let slice: Vec<DailyFact> = all.iter().filter(|f| f.date >= span_from).cloned().collect();
    c.bench_function("report_90d_by_channel_drilldown_1000_triples", |b| {
        b.iter(|| build(black_box(&slice), black_box(&by_channel)).unwrap())
    });
    let by_day = Query::new(from, last, Grouping::Day);
    c.bench_function("report_90d_daily_series_1000_triples", |b| {
        b.iter(|| build(black_box(&slice), black_box(&by_day)).unwrap())
    });
    // The worst case: the caller hands in all 730k facts and the report skips what is outside.
    c.bench_function("report_90d_by_channel_from_730k_facts", |b| {
        b.iter(|| build(black_box(&all), black_box(&by_channel)).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
