//! The views beyond the ROI table over 50,000 leads of 180 days (30,000 clients, five managers,
//! status histories and tasks): each view for a 90-day period, by sale date.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use skvoz::domain::{Attraction, Lead, Money, Responsible, Role, Status, StatusChange, Task, User, default_statuses};
use skvoz::report::views::{Basis, LeadBook, View, ViewQuery, compute};
use std::hint::black_box;

const LEADS: u64 = 50_000;
const CHANNELS: [&str; 5] = ["direct", "google", "seo", "vk", "direct_visit"];
const SOURCES: [&str; 3] = ["brand", "search", "rsya"];

fn book(last: Date) -> LeadBook {
    let statuses: Vec<Status> = default_statuses()
        .into_iter()
        .zip(1u64..)
        .map(|((name, group), id)| Status { id, name: name.into(), group, order: id as i32 })
        .collect();
    let (new, work, paid, cancelled) = (1, 2, 3, 4);
    let start = last.checked_sub(jiff::ToSpan::days(179)).unwrap().to_zoned(TimeZone::UTC).unwrap().timestamp();
    let step = SignedDuration::from_secs(180 * 24 * 3600 / LEADS as i64);
    let minutes = |m: u64| SignedDuration::from_secs(m as i64 * 60);
    let leads = (0..LEADS)
        .map(|i| {
            let created = start + step * i as i32;
            let mut lead = Lead {
                id: i + 1,
                number: i + 1,
                created,
                updated: created,
                client_id: Some(i * 7 % 30_000),
                status_id: Some(new),
                price: Money::from_rubles(5_000 + (i % 30) as i64 * 1_000),
                responsible: Some(Responsible::User(i % 5 + 1)),
                attraction: Attraction {
                    channel: CHANNELS[(i % 5) as usize].into(),
                    source: SOURCES[(i / 5 % 3) as usize].into(),
                    campaign: format!("ad{}", i / 15 % 3),
                },
                ..Lead::default()
            };
            let mut moves = Vec::new();
            if i % 8 != 0 {
                moves.push((created + minutes(5 + i % 240), work));
                match i % 10 {
                    0..=2 => moves.push((created + minutes(60 * 24 * (1 + i % 9)), paid)),
                    3 | 4 => moves.push((created + minutes(60 * (2 + i % 100)), cancelled)),
                    _ => {}
                }
            }
            for (at, to) in moves {
                lead.status_changes
                    .push(StatusChange { at, from: lead.status_id, to: Some(to), by: "Петров".into() });
                lead.status_id = Some(to);
            }
            if i % 3 == 0 {
                lead.tasks.push(Task {
                    id: 1,
                    deadline: Some(created + minutes(60 * 24 * 2)),
                    text: "Перезвонить".into(),
                    done: i % 9 != 0,
                    from_roistat: false,
                    created: Some(created + minutes(10)),
                });
            }
            lead
        })
        .collect();
    let users =
        (1..=5).map(|id| User { id, name: format!("Менеджер {id}"), role: Role::Manager, ..User::default() });
    let now = last.at(18, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp();
    LeadBook { leads, statuses, users: users.collect(), now, ..LeadBook::default() }
}

fn bench(c: &mut Criterion) {
    skvoz::tune_allocator();
    let last = Date::constant(2026, 11, 24);
    let book = book(last);
    let from = last.checked_sub(jiff::ToSpan::days(89)).unwrap();
    let mut group = c.benchmark_group("views");
    for view in View::ALL {
        let query = ViewQuery {
            view,
            basis: Basis::Sale,
            from,
            to: last,
            channel: None,
            zone: TimeZone::UTC,
            sale_field: None,
        };
        group.bench_function(format!("{}_90d_50k_leads", view.key()), |b| {
            b.iter(|| compute(black_box(&query), black_box(&book)).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
