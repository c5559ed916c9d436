//! The team store on PostgreSQL, run by hand: `cargo bench --bench postgres`.
//!
//! The bench starts its own throw-away server (`initdb` into a temporary folder, a Unix socket,
//! `fsync`, `synchronous_commit` and `full_page_writes` on, everything else the server's default)
//! and measures `Store::open_postgres`:
//! 1. durable lead intake with 32 concurrent clients over HTTP through the real service, and with
//!    32 tasks calling `Store::intake_lead` directly;
//! 2. a lead through the service → seen on another `Store` handle's change feed (its own pool and
//!    `LISTEN` connection, as another process has), during that load and one lead at a time;
//! 3. the dashboard's read: `report_sums` + the report over 2 years × 1,000 marker triples;
//! 4. the leads list's first page with 100,000 leads.
//!
//! `SKVOZ_BENCH_LEADS` (default 10000) scales the intake; `SKVOZ_BENCH_PART` = `intake`, `facts`
//! or `leads` runs one part; with `SKVOZ_BENCH_STATEMENTS` set the server counts its statements
//! (`pg_stat_statements`) and the HTTP intake prints those that took its time. Without PostgreSQL installed it says so and ends.

use criterion::Criterion;
use skvoz::domain::{Attraction, Client, Contact, DailyFact, Lead, Marker, Money, Origin, Secret, Utm};
use skvoz::report::{Grouping, Query, from_sums};
use skvoz::service::{ServiceOptions, auth};
use skvoz::store::{Database, Store, StoreEvent};
use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[path = "support/http_client.rs"]
mod http_client;
use http_client::Connection;

#[path = "support/pg_server.rs"]
mod pg_server;
use pg_server::PgServer;

#[path = "support/facts.rs"]
mod support_facts;

const CLIENTS: usize = 32;
const PASSWORD: &str = "bench-password";
const LIST_LEADS: u64 = 100_000;
const LIST_CLIENTS: u64 = 20_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile of `values` (sorted here).
fn percentile(values: &mut [Duration], p: f64) -> Duration {
    values.sort_unstable();
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(index).copied().unwrap_or_default()
}

/// User + system CPU of one process from /proc (10 ms ticks); with `children`, what its reaped
/// children used too.
fn cpu_of(pid: &str, children: bool) -> Option<(Duration, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the command name: state 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
    let mut total = ticks(11) + ticks(12);
    if children {
        total += ticks(13) + ticks(14);
    }
    Some((Duration::from_millis(total * 10), fields.get(1)?.parse().ok()?))
}

/// CPU of this process (the service and the load generator).
fn process_cpu() -> Duration {
    cpu_of("self", false).map(|(cpu, _)| cpu).unwrap_or_default()
}

/// CPU of the PostgreSQL server: the postmaster, its running backends and those that ended.
fn server_cpu(postmaster: u32) -> Duration {
    let mut total = cpu_of(&postmaster.to_string(), true).map(|(cpu, _)| cpu).unwrap_or_default();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.bytes().all(|b| b.is_ascii_digit())
            && let Some((cpu, parent)) = cpu_of(&name, false)
            && parent == postmaster
        {
            total += cpu;
        }
    }
    total
}

/// What one load run measured: per lead its id, when it was sent and when it was acknowledged.
struct Run {
    name: &'static str,
    elapsed: Duration,
    leads: Vec<(u64, Instant, Instant)>,
    cpu: Duration,
    server_cpu: Duration,
}

impl Run {
    fn print(&self) {
        let mut latencies: Vec<Duration> = self.leads.iter().map(|(_, sent, done)| *done - *sent).collect();
        let n = latencies.len();
        println!(
            "{:<34} {:>7.0} leads/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({n} leads, {:.2} s; CPU per lead: {:.0} µs here, {:.0} µs PostgreSQL)",
            self.name,
            n as f64 / self.elapsed.as_secs_f64(),
            ms(percentile(&mut latencies, 0.50)),
            ms(percentile(&mut latencies, 0.99)),
            self.elapsed.as_secs_f64(),
            self.cpu.as_secs_f64() * 1e6 / n as f64,
            self.server_cpu.as_secs_f64() * 1e6 / n as f64,
        );
    }
}

/// Each lead's arrival on a change feed, by lead id.
type Arrivals = Arc<Mutex<HashMap<u64, Instant>>>;

/// Notes when each lead first shows up on `store`'s change feed; counts `Reloaded`.
fn watch_feed(store: &Store) -> (Arrivals, Arc<AtomicUsize>) {
    let arrivals: Arrivals = Arc::default();
    let reloaded = Arc::new(AtomicUsize::new(0));
    let mut feed = store.subscribe();
    let (seen, reloads) = (arrivals.clone(), reloaded.clone());
    tokio::spawn(async move {
        while let Some(event) = feed.next().await {
            let now = Instant::now();
            match event {
                StoreEvent::LeadsChanged(ids) => {
                    let mut seen = seen.lock().unwrap();
                    for id in ids {
                        seen.entry(id).or_insert(now);
                    }
                }
                StoreEvent::Reloaded => {
                    reloads.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    });
    (arrivals, reloaded)
}

/// From sending a lead to its arrival on the other handle's feed, p50/p99/max; and how many never arrived.
fn print_feed(name: &str, run: &Run, arrivals: &Arrivals, reloaded: &AtomicUsize) {
    let seen = arrivals.lock().unwrap();
    let mut latencies = Vec::new();
    let mut missing = 0;
    for (id, sent, _) in &run.leads {
        match seen.get(id) {
            Some(at) => latencies.push(*at - *sent),
            None => missing += 1,
        }
    }
    let max = latencies.iter().max().copied().unwrap_or_default();
    println!(
        "{name:<34} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   ({} leads; {missing} not seen, {} Reloaded)",
        ms(percentile(&mut latencies, 0.50)),
        ms(percentile(&mut latencies, 0.99)),
        ms(max),
        run.leads.len(),
        reloaded.load(Ordering::Relaxed)
    );
}

/// `order_id` of an intake answer: the lead's id.
fn order_id(body: &[u8]) -> u64 {
    let text = std::str::from_utf8(body).expect("utf-8");
    let at = text.find("\"order_id\":\"").expect("order_id") + "\"order_id\":\"".len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("number")
}

/// `total` leads over HTTP from `CLIENTS` keep-alive connections; `first` numbers them.
async fn http_load(name: &'static str, addr: SocketAddr, target: &str, first: usize, total: usize, pm: u32) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let mut connections = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        connections.push(Connection::open(addr).await.expect("connect"));
    }
    let (started, cpu, pg_cpu) = (Instant::now(), process_cpu(), server_cpu(pm));
    let mut tasks = Vec::new();
    for mut connection in connections {
        let (next, target) = (next.clone(), target.to_string());
        tasks.push(tokio::spawn(async move {
            let mut leads = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let i = first + i;
                let path = format!(
                    "{target}&action=lead&id=pg-{i}&visit={}&title=%D0%97%D0%B0%D1%8F%D0%B2%D0%BA%D0%B0&name=%D0%98%D0%B2%D0%B0%D0%BD&phone=7900{:07}&data=%7B%22utm_source%22%3A%22yandex%22%2C%22utm_medium%22%3A%22cpc%22%7D",
                    3_000_000 + i,
                    i
                );
                let sent = Instant::now();
                let response = connection.get(&path).await.expect("request");
                assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
                leads.push((order_id(&response.body), sent, Instant::now()));
            }
            leads
        }));
    }
    let mut leads = Vec::with_capacity(total);
    for t in tasks {
        leads.extend(t.await.expect("client task"));
    }
    Run { name, elapsed: started.elapsed(), leads, cpu: process_cpu() - cpu, server_cpu: server_cpu(pm) - pg_cpu }
}

fn intake_item(i: usize) -> (Lead, Contact) {
    let now = jiff::Timestamp::now();
    let mut lead = Lead {
        created: now,
        updated: now,
        title: format!("Заявка с сайта {i}"),
        text: "Промокод ЛЕТО, страница /promo".into(),
        roistat_lead_id: Some(format!("direct-{i}")),
        marker: Marker::parse(&format!("{}", 3_000_000 + i)).ok(),
        origin: Origin::ProxyLead,
        ..Lead::default()
    };
    lead.extra.insert("utm_source".into(), "yandex".into());
    lead.extra.insert("utm_medium".into(), "cpc".into());
    (lead, Contact { name: "Иван".into(), phone: format!("7911{i:07}"), email: String::new() })
}

/// `total` leads through `Store::intake_lead` from `CLIENTS` tasks, no HTTP.
async fn store_load(name: &'static str, store: &Store, first: usize, total: usize, pm: u32) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let (started, cpu, pg_cpu) = (Instant::now(), process_cpu(), server_cpu(pm));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            tokio::spawn(async move {
                let mut leads = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let (lead, contact) = intake_item(first + i);
                    let sent = Instant::now();
                    let intake = store.intake_lead(lead, contact).await.expect("intake");
                    leads.push((intake.lead.id, sent, Instant::now()));
                }
                leads
            })
        })
        .collect();
    let mut leads = Vec::with_capacity(total);
    for t in tasks {
        leads.extend(t.await.expect("task"));
    }
    Run { name, elapsed: started.elapsed(), leads, cpu: process_cpu() - cpu, server_cpu: server_cpu(pm) - pg_cpu }
}

/// Waits until every lead of `run` arrived on the feed, or a few seconds passed.
async fn settle(run: &Run, arrivals: &Arrivals) {
    for _ in 0..500 {
        if run.leads.iter().all(|(id, _, _)| arrivals.lock().unwrap().contains_key(id)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Parts 1 and 2: intake and the change feed of another handle.
async fn intake(server: &PgServer, pm: u32) {
    let leads = env_usize("SKVOZ_BENCH_LEADS", 10_000);
    let database = Database::from_config(server.database("intake").await);
    let store = Store::open_postgres(&database).await.expect("store");
    let other = Store::open_postgres(&database).await.expect("second handle");
    let mut settings = store.service_settings().await.expect("settings");
    settings.password = Secret::new(PASSWORD);
    store.put_service_settings(settings.clone()).await.expect("settings");
    let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..Default::default() };
    let handle = skvoz::service::start(store.clone(), options).await.expect("start");
    let addr = handle.local_addr();
    let target =
        format!("{}?user={}&token={}", settings.path(), settings.login, auth::token(&settings.login, PASSWORD));
    let (arrivals, reloaded) = watch_feed(&other);

    println!("== Durable lead intake on PostgreSQL, {CLIENTS} concurrent clients ==");
    http_load("warm-up", addr, &target, 10_000_000, CLIENTS * 8, pm).await;
    server.reset_statements("intake").await;
    let http = http_load("durable intake over HTTP", addr, &target, 0, leads, pm).await;
    http.print();
    for line in server.top_statements("intake", 15).await {
        println!("  {line}");
    }
    settle(&http, &arrivals).await;
    let direct = store_load("Store::intake_lead, no HTTP", &store, 0, leads, pm).await;
    direct.print();
    settle(&direct, &arrivals).await;

    println!("== A lead written through one handle → on another handle's change feed ==");
    print_feed("during the HTTP intake above", &http, &arrivals, &reloaded);
    print_feed("during the direct intake above", &direct, &arrivals, &reloaded);
    // One lead at a time over HTTP, each waited for on the other feed before the next.
    let mut connection = Connection::open(addr).await.expect("connect");
    let mut one = Run {
        name: "one at a time",
        elapsed: Duration::ZERO,
        leads: Vec::new(),
        cpu: Duration::ZERO,
        server_cpu: Duration::ZERO,
    };
    let started = Instant::now();
    for i in 0..300 {
        let path = format!("{target}&action=lead&id=single-{i}&title=x&phone=7922{i:07}");
        let sent = Instant::now();
        let response = connection.get(&path).await.expect("request");
        assert_eq!(response.status, 200);
        let id = order_id(&response.body);
        one.leads.push((id, sent, Instant::now()));
        for _ in 0..2000 {
            if arrivals.lock().unwrap().contains_key(&id) {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    one.elapsed = started.elapsed();
    print_feed("one lead at a time over HTTP", &one, &arrivals, &reloaded);
    handle.shutdown().await.expect("shutdown");
}

/// Part 3: 2 years × 1,000 triples; the 90-day and the 365-day report (the latter sums all
/// 730,000 facts: the year and the year before), each as `report_sums` + `from_sums`.
/// The window on a team database: from its start to the first painted frame (which never waits for
/// the database: it says «Подключение к базе…») and to the dashboard's first report, summed by the
/// database, on screen. Five fresh windows in a row; the range is printed.
fn window_start(database: &tokio_postgres::Config, today: jiff::civil::Date) {
    use skvoz::app::AppState;
    use skvoz::store::Location;
    use skvoz::ui::{StartOptions, Workstation};
    let (mut first_frames, mut reports) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let location = Location::Postgres(Box::new(Database::from_config(database.clone())));
        let options = StartOptions { today: Some(today), services: false };
        let started = Instant::now();
        let workstation =
            Workstation::new(dir.path(), Some(location), AppState::default(), options).expect("workstation");
        let mut h = egui_kittest::Harness::builder()
            .with_size([1280.0, 800.0])
            .build_ui_state(|ui, w: &mut Workstation| w.ui(ui), workstation);
        h.step();
        first_frames.push(started.elapsed());
        let shown = |w: &Workstation| w.window().is_some_and(|w| w.dashboard.report.is_some());
        while !shown(h.state()) {
            assert!(started.elapsed() < Duration::from_secs(60), "the first report never came");
            h.state().wait_for_event(Duration::from_millis(5));
            h.step();
        }
        reports.push(started.elapsed());
        h.state_mut().shutdown();
    }
    let range = |d: &[Duration]| {
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        let (min, max) = (d.iter().min().map_or(0.0, ms), d.iter().max().map_or(0.0, ms));
        format!("{min:.1}–{max:.1} ms")
    };
    println!(
        "window on the team database: first painted frame {}, the dashboard's first report (730k facts) on screen {}",
        range(&first_frames),
        range(&reports)
    );
}

fn facts(c: &mut Criterion, rt: &Runtime, server: &PgServer) {
    let last = jiff::civil::Date::constant(2026, 11, 24);
    let database_config = rt.block_on(server.database("facts"));
    let store = rt.block_on(Store::open_postgres(&Database::from_config(database_config.clone()))).expect("store");
    let all: Vec<DailyFact> = support_facts::facts(730, last);
    let first = all.first().map(|f| f.date).expect("facts");
    let count = all.len();
    let started = Instant::now();
    rt.block_on(store.replace_facts(1, first, last, all)).expect("facts");
    println!("stored {count} facts in one replace_facts: {:.2} s", started.elapsed().as_secs_f64());
    let size = rt.block_on(store.size_on_disk()).expect("size");
    println!("database size with them: {} MB", size / 1_000_000);

    window_start(&database_config, last);

    let mut group = c.benchmark_group("postgres_report");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, days) in [("90 days", 90), ("365 days, all 730k facts summed", 365)] {
        let from = last.checked_sub(jiff::ToSpan::days(days - 1)).expect("date");
        let query = Query::new(from, last, Grouping::Channel);
        let periods = query.periods().expect("periods");
        let sums = rt.block_on(store.report_sums(periods)).expect("sums");
        println!("{name}: report_sums returns {} paths, {} channel days", sums.paths.len(), sums.days.len());
        group.bench_function(format!("report_sums + report by channel, {name}"), |b| {
            b.iter(|| {
                let sums = rt.block_on(store.report_sums(periods)).expect("sums");
                from_sums(black_box(&sums), black_box(&query)).expect("report")
            })
        });
        group.bench_function(format!("report alone from the sums, {name}"), |b| {
            b.iter(|| from_sums(black_box(&sums), black_box(&query)).expect("report"))
        });
    }
    group.finish();
}

fn list_lead(i: u64) -> Lead {
    let at = jiff::Timestamp::from_second(1_700_000_000 + i as i64 * 30).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut lead = Lead {
        created: at,
        updated: at,
        title: "Заявка с сайта".into(),
        text: "Страница: https://example.ru/catalog/item-42, промокод LETO".into(),
        price: Money(1_234_500),
        client_id: Some(i % LIST_CLIENTS + 1),
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

/// Part 4: 100,000 leads (added in batches of 1,000, each durable) and 20,000 clients; the
/// window's first page (`leads_newest(200)`) and what the leads screen reads when it opens.
fn leads(c: &mut Criterion, rt: &Runtime, server: &PgServer) {
    let store = rt.block_on(async {
        let database = Database::from_config(server.database("leads").await);
        Store::open_postgres(&database).await.expect("store")
    });
    let started = Instant::now();
    for start in (0..LIST_LEADS).step_by(1_000) {
        rt.block_on(store.add_leads((start..start + 1_000).map(list_lead).collect())).expect("leads");
    }
    let took = started.elapsed();
    println!(
        "add_leads: {LIST_LEADS} leads in batches of 1,000: {:.2} s, {:.0} leads/s",
        took.as_secs_f64(),
        LIST_LEADS as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    rt.block_on(async {
        let next = Arc::new(AtomicUsize::new(1));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (store, next) = (store.clone(), next.clone());
                tokio::spawn(async move {
                    loop {
                        let id = next.fetch_add(1, Ordering::Relaxed) as u64;
                        if id > LIST_CLIENTS {
                            break;
                        }
                        let client = Client {
                            name: format!("Клиент {id}"),
                            phone: format!("79{:09}", id * 7_777 % 1_000_000_000),
                            email: format!("client{id}@example.ru"),
                            ..Client::default()
                        };
                        store.put_client(client).await.expect("client");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    println!("put_client: {LIST_CLIENTS} clients from {CLIENTS} tasks: {:.2} s", started.elapsed().as_secs_f64());

    let mut group = c.benchmark_group("postgres_leads");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("leads_newest(200), 100k leads", |b| {
        b.iter(|| {
            let page = rt.block_on(store.leads_newest(200)).expect("page");
            assert_eq!(page.len(), 200);
        })
    });
    group.bench_function("all_leads + all_clients (the leads screen's load), 100k + 20k", |b| {
        b.iter(|| {
            let leads = rt.block_on(store.all_leads()).expect("leads");
            let clients = rt.block_on(store.all_clients()).expect("clients");
            assert_eq!((leads.len(), clients.len()), (LIST_LEADS as usize, LIST_CLIENTS as usize));
        })
    });
    group.finish();
}

fn main() {
    skvoz::tune_allocator();
    let server = match PgServer::start() {
        Ok(server) => server,
        Err(why) => {
            println!("PostgreSQL недоступен ({why}): бенчмарк пропущен");
            return;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let settings = runtime.block_on(async {
        let mut out = Vec::new();
        for s in ["fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers"] {
            out.push(format!("{s}={}", server.show(s).await));
        }
        out.join(" ")
    });
    println!("{} on a Unix socket: {settings}", server.version);
    let pm = server.postmaster();
    let part = std::env::var("SKVOZ_BENCH_PART").unwrap_or_default();
    if part.is_empty() || part == "intake" {
        runtime.block_on(intake(&server, pm));
    }
    let mut criterion = Criterion::default().configure_from_args();
    if part.is_empty() || part == "facts" {
        facts(&mut criterion, &runtime, &server);
    }
    if part.is_empty() || part == "leads" {
        leads(&mut criterion, &runtime, &server);
    }
    criterion.final_summary();
    drop(runtime);
    drop(server);
}
