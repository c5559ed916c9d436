//! A 90-day report over 2 years × 1,000 marker triples (730k facts): by channel with the whole
//! drill-down, and the daily series alone (the day grouping).

use criterion::{Criterion, criterion_group, criterion_main};
use skvoz::domain::{DailyFact, Level, Money};
use skvoz::report::{Grouping, Query, build};
use std::hint::black_box;

/// 10 channels × 10 sources × 10 campaigns, one fact per triple and day, sorted by date like the store.
pub fn facts(days: i32, last: jiff::civil::Date) -> Vec<DailyFact> {
    let mut levels = Vec::new();
    for c in 0..10 {
        for s in 0..10 {
            for a in 0..10 {
                levels.push([
                    Level::new(format!("ch{c}"), format!("Канал {c}")),
                    Level::new(format!("src{s}"), format!("Источник {s}")),
                    Level::new(format!("ad{a}"), format!("Кампания {a}")),
                ]);
            }
        }
    }
    let mut out = Vec::with_capacity(levels.len() * days as usize);
    for d in (0..days).rev() {
        let date = last.checked_sub(jiff::ToSpan::days(d)).unwrap();
        for (i, l) in levels.iter().enumerate() {
            let mut f = DailyFact::new(date, l.clone());
            f.visits = (i % 50) as u64 + 10;
            f.leads = (i % 7) as u64;
            f.sales = (i % 3) as u64;
            f.revenue = Money::from_rubles((i % 3) as i64 * 15_000);
            f.cost = Money((i as i64 % 13) * 12_345);
            out.push(f);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
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
