//! The leads list with 100,000 leads: preparing and filtering the rows, and the screen's frames
//! (at rest, after a search change, opening a lead) in a headless egui_kittest harness.

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use jiff::Timestamp;
use skvoz::app::ScreenHost;
use skvoz::domain::{Attraction, Client, Lead, Marker, Money, Origin, Status, StatusGroup};
use skvoz::leads::{LeadColumn, LeadFilter, LeadList};
use skvoz::store::Store;
use skvoz::ui::leads::{Clock, LeadsScreen};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const TOTAL: u64 = 100_000;
const NAMES: &[&str] = &["Иванов Иван", "Петрова Анна", "Смирнов Павел", "Кузнецова Ольга", "Попов Сергей"];
const CHANNELS: &[(&str, &str)] = &[("direct", "brand"), ("seo", "yandex"), ("vk", "target"), ("google", "search")];

fn lead(i: u64) -> Lead {
    let at = Timestamp::from_second(1_780_000_000 + i as i64 * 30).unwrap_or(Timestamp::UNIX_EPOCH);
    let (channel, source) = CHANNELS[(i % CHANNELS.len() as u64) as usize];
    Lead {
        created: at,
        updated: at,
        title: format!("Заявка с сайта {i}"),
        client_id: Some(i % 20_000 + 1),
        status_id: Some(i % 4 + 1),
        price: Money(((i * 7_919) % 5_000_000) as i64),
        marker: Marker::parse(&format!("{channel}_{source}")).ok(),
        attraction: Attraction { channel: channel.into(), source: source.into(), campaign: "ad1".into() },
        origin: Origin::ProxyLead,
        ..Lead::default()
    }
}

fn client(id: u64) -> Client {
    Client {
        id,
        name: format!("{} {id}", NAMES[(id % NAMES.len() as u64) as usize]),
        phone: format!("79{:09}", id * 7_777 % 1_000_000_000),
        email: format!("client{id}@example.ru"),
        ..Client::default()
    }
}

fn statuses() -> Vec<Status> {
    ["Новая", "В работе", "Оплачена", "Отменена"]
        .iter()
        .enumerate()
        .map(|(i, name)| Status {
            id: i as u64 + 1,
            name: name.to_string(),
            group: StatusGroup::InWork,
            order: i as i32,
        })
        .collect()
}

fn list_rows(c: &mut Criterion) {
    skvoz::tune_allocator();
    let leads: Vec<Lead> = (1..=TOTAL).map(|i| Lead { id: i, number: i, ..lead(i) }).collect();
    let clients: Vec<Client> = (1..=20_000).map(client).collect();
    let statuses = statuses();
    let mut group = c.benchmark_group("leads_list");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    group.bench_function("prepare 100k rows", |b| b.iter(|| LeadList::build(&leads, &clients, &statuses, &[])));
    let mut list = LeadList::build(&leads, &clients, &statuses, &[]);
    group.bench_function("filter: search «иванов», 100k rows", |b| {
        let filter = LeadFilter { search: "иванов".into(), ..LeadFilter::default() };
        b.iter(|| list.apply(black_box(&filter), LeadColumn::Created, true))
    });
    group.bench_function("sort by client, 100k rows", |b| {
        b.iter(|| list.apply(&LeadFilter::default(), black_box(LeadColumn::Client), false))
    });
    group.finish();
}

/// Steps frames until the screen's reads have been answered and shown.
fn settle(harness: &mut Harness<'static, ScreenHost<LeadsScreen>>) {
    harness.step();
    while harness.state().is_busy() {
        harness.state().bg.wait_for_event(Duration::from_secs(60));
        harness.step();
    }
}

fn screen_frames(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let store = rt.block_on(Store::open_embedded(dir.path())).unwrap_or_else(|e| panic!("store: {e}"));
    rt.block_on(async {
        store.ensure_schema().await.unwrap_or_else(|e| panic!("schema: {e}"));
        // Many writers at once share the store's flushes.
        let mut writers = tokio::task::JoinSet::new();
        for id in 1..=20_000 {
            let store = store.clone();
            writers.spawn(async move { store.put_client(client(id)).await.map(|_| ()) });
        }
        while let Some(done) = writers.join_next().await {
            done.unwrap_or_else(|e| panic!("client: {e}")).unwrap_or_else(|e| panic!("client: {e}"));
        }
        for start in (1..=TOTAL).step_by(1_000) {
            store.add_leads((start..start + 1_000).map(lead).collect()).await.unwrap_or_else(|e| panic!("leads: {e}"));
        }
    });
    let now = Timestamp::from_second(1_790_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    let clock: Clock = Arc::new(move || now);
    let host = ScreenHost::new(&store, LeadsScreen::new(clock)).unwrap_or_else(|e| panic!("background: {e}"));
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui: &mut egui::Ui, host: &mut ScreenHost<LeadsScreen>| host.ui(ui), host);
    settle(&mut harness);
    assert_eq!(harness.state().screen.visible_len(), TOTAL as usize);

    let mut group = c.benchmark_group("leads_screen");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    group.bench_function("frame at rest, 100k leads", |b| b.iter(|| harness.step()));
    let mut flip = false;
    group.bench_function("search change to the next frame, 100k leads", |b| {
        b.iter(|| {
            flip = !flip;
            harness.state_mut().screen.set_search(if flip { "иванов" } else { "" });
            harness.step();
        })
    });
    harness.state_mut().screen.set_search("");
    harness.step();
    let mut id = 0;
    group.bench_function("open a lead (read in the background, form on screen), 100k leads", |b| {
        b.iter(|| {
            id = id % TOTAL + 1;
            harness.state_mut().screen.open_lead(id);
            settle(&mut harness);
        })
    });
    group.finish();
    assert!(harness.state().screen.open_lead_id().is_some());
}

criterion_group!(benches, list_rows, screen_frames);
criterion_main!(benches);
