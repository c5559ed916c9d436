//! Service benchmarks, run by hand: `cargo bench --bench service_intake`.
//!
//! 1. Durable lead intake over loopback with 32 concurrent clients, side by side with a bare handler
//!    answering ok through the same HTTP layer (the ceiling).
//! 2. A full export of 100,000 orders in pages of 1,000, and its ratio to serde_json serialising the
//!    same leads in memory.
//!
//! `SKVOZ_BENCH_LEADS` (default 20000) and `SKVOZ_BENCH_ORDERS` (default 100000) scale it;
//! `SKVOZ_BENCH_PART=intake` runs only the HTTP intake and its ceiling (for a profiler).

use axum::Router;
use skvoz::domain::{Lead, Marker, Money, Origin, Secret};
use skvoz::service::http1::{self, Http1Config};
use skvoz::service::{ServiceOptions, auth};
use skvoz::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "support/http_client.rs"]
mod http_client;
use http_client::Connection;

const CLIENTS: usize = 32;
const EXPORT_ROUNDS: usize = 7;

#[derive(serde::Deserialize)]
struct ExportPage {
    orders: Vec<serde::de::IgnoredAny>,
    pagination: Pagination,
}

#[derive(serde::Deserialize)]
struct Pagination {
    total_count: usize,
}
const PASSWORD: &str = "bench-password";

/// `"total_count":N` read from the end of an export page.
fn total_count(body: &[u8]) -> usize {
    let text = std::str::from_utf8(body).expect("utf-8");
    let at = text.rfind("\"total_count\":").expect("total_count") + "\"total_count\":".len();
    text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("number")
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct LoadResult {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the whole process (server and clients) during the run.
    cpu: Duration,
}

/// User + system CPU time of this process so far, from /proc (10 ms ticks): the machine may be
/// shared, so the CPU a request costs is printed beside the wall-clock figures.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the command name: state is field 0, utime 11, stime 12.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

impl LoadResult {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
    fn print(&self, name: &str) {
        println!(
            "{name:<28} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {:.2} s, CPU {:.0} µs per request)",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
            self.requests,
            self.elapsed.as_secs_f64(),
            self.cpu.as_secs_f64() * 1e6 / self.requests as f64
        );
    }
}

/// `total` GETs from `CLIENTS` concurrent keep-alive connections to `addr`; `target(i)` gives the
/// path and query of the i-th request.
async fn load(addr: SocketAddr, total: usize, target: Arc<dyn Fn(usize) -> String + Send + Sync>) -> LoadResult {
    let next = Arc::new(AtomicUsize::new(0));
    let mut connections = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        connections.push(Connection::open(addr).await.expect("connect"));
    }
    let started = Instant::now();
    let cpu = process_cpu();
    let mut tasks = Vec::new();
    for mut connection in connections {
        let (next, target) = (next.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let response = connection.get(&target(i)).await.expect("request");
                assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
                assert!(response.body.starts_with(b"{\"status\":\"ok\""));
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    LoadResult { requests: total, elapsed: started.elapsed(), latencies, cpu: process_cpu() - cpu }
}

async fn bare_server() -> (SocketAddr, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new()
        .fallback(|| async { ([("content-type", "application/json")], r#"{"status":"ok","order_id":"1"}"#) });
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(http1::serve(listener, router, Http1Config::new(1_000_000), stop_rx));
    (addr, stop)
}

fn order_lead(i: usize) -> Lead {
    let now = jiff::Timestamp::now();
    let mut lead = Lead {
        created: now,
        updated: now,
        title: format!("Заявка с сайта {i}"),
        text: "Промокод ЛЕТО, страница /promo".into(),
        status_id: Some(1),
        price: Money(123_450 + i as i64),
        cost: Money(99_00),
        client_id: Some(i as u64 % 5000 + 1),
        origin: Origin::ProxyLead,
        marker: Some(Marker::parse(&format!("{}", 3_000_000 + i)).expect("marker")),
        ..Lead::default()
    };
    lead.extra.insert("utm_source".into(), "yandex".into());
    lead.extra.insert("utm_medium".into(), "cpc".into());
    lead.extra.insert("utm_campaign".into(), format!("brand_{}", i % 20));
    lead.extra.insert("roistat".into(), format!("{}", 3_000_000 + i));
    lead
}

/// The same durable intake called directly by 32 tasks: what the store and the disk allow.
async fn store_only(store: &Store, total: usize) -> LoadResult {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let cpu = process_cpu();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let t = Instant::now();
                    let lead = Lead { roistat_lead_id: Some(format!("direct-{i}")), ..order_lead(i) };
                    let contact = skvoz::domain::Contact { phone: format!("7911{i:07}"), ..Default::default() };
                    store.intake_lead(lead, contact).await.expect("intake");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for t in threads {
        latencies.extend(t.await.expect("task"));
    }
    LoadResult { requests: total, elapsed: started.elapsed(), latencies, cpu: process_cpu() - cpu }
}

fn main() {
    skvoz::tune_allocator();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let leads = env_usize("SKVOZ_BENCH_LEADS", 20_000);
    let orders = env_usize("SKVOZ_BENCH_ORDERS", 100_000);
    // For profiling: only the HTTP intake and its ceiling.
    let only_intake = std::env::var("SKVOZ_BENCH_PART").is_ok_and(|p| p == "intake");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_embedded(dir.path()).await.expect("store");
    let mut settings = store.service_settings().await.expect("settings");
    settings.password = Secret::new(PASSWORD);
    store.put_service_settings(settings.clone()).await.expect("settings");
    let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..Default::default() };
    let handle = skvoz::service::start(store.clone(), options).await.expect("start");
    let addr = handle.local_addr();
    let target =
        format!("{}?user={}&token={}", settings.path(), settings.login, auth::token(&settings.login, PASSWORD));

    println!("== Durable lead intake, {CLIENTS} concurrent clients over loopback ==");
    let (bare_addr, bare_stop) = bare_server().await;
    let bare_target = "/crm_httpAnalytics/hs/analytics?action=lead";
    // Warm up both (schema creation, connections).
    load(bare_addr, CLIENTS * 4, Arc::new(move |_| bare_target.to_string())).await;
    let warm = target.clone();
    load(addr, CLIENTS * 4, Arc::new(move |i| format!("{warm}&action=lead&id=warm-{i}&title=x"))).await;

    let ceiling = load(bare_addr, leads, Arc::new(move |_| bare_target.to_string())).await;
    let intake_target = target.clone();
    let intake = load(
        addr,
        leads,
        Arc::new(move |i| {
            format!(
                "{intake_target}&action=lead&id=bench-{i}&visit={}&title=%D0%97%D0%B0%D1%8F%D0%B2%D0%BA%D0%B0&name=%D0%98%D0%B2%D0%B0%D0%BD&phone=7900{:07}&data=%7B%22utm_source%22%3A%22yandex%22%2C%22utm_medium%22%3A%22cpc%22%7D",
                3_000_000 + i,
                i
            )
        }),
    )
    .await;
    ceiling.print("bare handler (ceiling)");
    intake.print("durable lead intake");
    let _ = bare_stop.send(true);
    if only_intake {
        handle.shutdown().await.expect("shutdown");
        return;
    }
    store_only(&store, leads).await.print("store only, no HTTP");

    println!("== Export of {orders} orders in pages of 1,000 ==");
    let batch = 5_000;
    let mut made = 0;
    while made < orders {
        let n = batch.min(orders - made);
        store.add_leads((made..made + n).map(order_lead).collect()).await.expect("add leads");
        made += n;
    }
    // The same leads serialised by serde_json in memory: the yardstick (reading them is not timed).
    let all: Vec<Lead> =
        store.all_leads().await.expect("all leads").into_iter().filter(|l| l.is_exportable()).collect();
    // Whole export over HTTP, as Roistat does it: one keep-alive connection, page after page.
    // Export and yardstick take turns, so both meet the same state of a shared machine; the ratio
    // is the median of the rounds.
    let mut connection = Connection::open(addr).await.expect("connect");
    let (mut exports, mut yardsticks, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut exported = 0;
    for _ in 0..EXPORT_ROUNDS {
        let started = Instant::now();
        let mut offset = 0;
        let mut bodies = Vec::new();
        loop {
            let page = format!("{target}&action=export&date=0&offset={offset}&limit=1000");
            let response = connection.get(&page).await.expect("export");
            assert_eq!(response.status, 200);
            let body = response.body;
            // `total_count` ends the answer; the pages are validated after the clock stops.
            let total = total_count(&body);
            bodies.push(body);
            offset += 1000;
            if offset >= total {
                break;
            }
        }
        let export = started.elapsed();
        let started = Instant::now();
        let bytes = serde_json::to_vec(&all).expect("serde");
        std::hint::black_box(bytes.len());
        let yardstick = started.elapsed();
        exports.push(export);
        yardsticks.push(yardstick);
        ratios.push(export.as_secs_f64() / yardstick.as_secs_f64());
        let mut count = 0;
        for body in &bodies {
            let v: ExportPage = serde_json::from_slice(body).expect("json");
            assert_eq!(v.pagination.total_count, total_count(body));
            count += v.orders.len();
        }
        exported = count;
        assert_eq!(count, total_count(&bodies[0]));
        assert_eq!(count, all.len());
    }
    // What the server itself spent on the last export's pages, from the exchange log (written in the
    // background: wait until the last page is in it).
    let pages = exported.div_ceil(1000);
    let mut server = Duration::ZERO;
    for _ in 0..100 {
        let entries = store.exchange_newest(pages).await.expect("exchange log");
        if entries.iter().filter(|e| e.action == "export").count() == pages {
            server = entries.iter().map(|e| Duration::from_micros(e.duration_micros)).sum();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let range = |v: &[Duration]| {
        let (lo, hi) = (v.iter().min().copied().unwrap_or_default(), v.iter().max().copied().unwrap_or_default());
        format!("{:.1}–{:.1} ms", ms(&lo), ms(&hi))
    };
    ratios.sort_by(f64::total_cmp);
    println!(
        "full export over HTTP          {} for {exported} orders ({pages} pages, {EXPORT_ROUNDS} rounds, checked after the clock)",
        range(&exports)
    );
    println!("— of it in the server          {:>8.1} ms in the last round (the handlers' own time)", ms(&server));
    println!("serde_json of the same leads   {} ({} leads in memory)", range(&yardsticks), all.len());
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default().as_secs_f64();
    println!(
        "ratio export / serde_json      {:.2}x median of the rounds ({:.2}–{:.2}x), best to best {:.2}x",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        best(&exports) / best(&yardsticks)
    );
    handle.shutdown().await.expect("shutdown");
}
