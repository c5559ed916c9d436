//! The benches' synthetic facts: the same two years of 1,000 marker triples for the report and the
//! dashboard, so their figures describe the same data.

use skvoz::domain::{DailyFact, Level, Money};

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
