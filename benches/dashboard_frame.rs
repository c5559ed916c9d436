//! Frame time of the dashboard over 2 years × 1,000 marker triples (730k facts), headless
//! (egui_kittest, no GPU): a frame at rest, and a period change until the new report is on screen.
//!
//! Start-up and memory are also measured in a fresh process (this binary started again with
//! `SKVOZ_BENCH_DASHBOARD_STORE` set): it opens the store once, shows the dashboard with its first
//! report and a drilled-down channel, and prints its time and its VmRSS/VmHWM from /proc/self/status.

use criterion::{Criterion, criterion_group};
use egui_kittest::Harness;
use jiff::civil::Date;
use skvoz::app::{App, AppOptions, AppState, Command, PeriodPreset};
use skvoz::store::Store;
use skvoz::ui::Window;
use std::path::Path;
use std::time::{Duration, Instant};

/// Set in the child process: the data folder of the store to open.
const CHILD_STORE: &str = "SKVOZ_BENCH_DASHBOARD_STORE";
const TODAY: Date = Date::constant(2026, 11, 24);

#[path = "support/facts.rs"]
mod support_facts;
use support_facts::facts;

fn wait(h: &mut Harness<'static, Window>) {
    let start = Instant::now();
    loop {
        h.step();
        if !h.state().is_busy() || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn options() -> AppOptions {
    AppOptions { today: Some(TODAY), state: AppState::default(), ..AppOptions::default() }
}

fn harness(app: App) -> Harness<'static, Window> {
    Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, w: &mut Window| w.ui(ui), Window::new(app))
}

/// The child process: start-up to the first report, then the memory with the dashboard up.
fn child(dir: &Path) {
    let started = Instant::now();
    let mut h = harness(App::new(Store::open_embedded_blocking(dir).unwrap(), options()).unwrap());
    wait(&mut h);
    assert!(h.state().dashboard.report.is_some(), "the first report is not on screen");
    let startup = started.elapsed();
    h.state_mut().commands.push(Command::ToggleRow("ch0".into()));
    wait(&mut h);
    for _ in 0..10 {
        h.step();
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
    };
    println!("{:.1} {} {}", startup.as_secs_f64() * 1000.0, kb("VmRSS:").unwrap_or(0), kb("VmHWM:").unwrap_or(0));
    h.state_mut().shutdown();
}

/// Runs [`child`] in fresh processes and prints what they measured.
fn fresh_processes(dir: &Path, runs: usize) {
    let exe = std::env::current_exe().unwrap();
    for run in 1..=runs {
        let out = std::process::Command::new(&exe).env(CHILD_STORE, dir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let figures: Vec<f64> = text.lines().last().unwrap_or("").split(' ').filter_map(|x| x.parse().ok()).collect();
        if let [ms, rss, hwm] = figures[..] {
            println!(
                "fresh process {run}: start-up to the first report {ms:.0} ms; with the dashboard up VmRSS {:.0} MB, VmHWM {:.0} MB",
                rss / 1024.0,
                hwm / 1024.0
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(Store::open_embedded(dir.path())).unwrap();
    let all = facts(730, TODAY);
    rt.block_on(store.replace_facts(1, all[0].date, TODAY, all.clone())).unwrap();
    drop(all);
    let count = rt.block_on(store.fact_count()).unwrap();
    let size = rt.block_on(store.size_on_disk()).unwrap();
    println!("store of {count} facts: {:.1} MB on disk", size as f64 / 1e6);
    rt.block_on(store.close()).unwrap();
    drop(store);
    fresh_processes(dir.path(), 3);

    // Start-up: open the store, build the app, draw until the dashboard shows its first report.
    c.bench_function("dashboard_startup_to_first_report_730k_facts", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let mut h = harness(App::new(Store::open_embedded_blocking(dir.path()).unwrap(), options()).unwrap());
                wait(&mut h);
                total += t.elapsed();
                h.state_mut().shutdown();
            }
            total
        })
    });

    let mut h = harness(App::new(Store::open_embedded_blocking(dir.path()).unwrap(), options()).unwrap());
    wait(&mut h);
    h.state_mut().commands.push(Command::ToggleRow("ch0".into()));
    wait(&mut h);

    c.bench_function("dashboard_frame_at_rest_730k_facts", |b| b.iter(|| h.step()));
    let mut presets = [PeriodPreset::Days7, PeriodPreset::Days30].into_iter().cycle();
    c.bench_function("dashboard_period_change_to_new_report_on_screen_730k_facts", |b| {
        b.iter(|| {
            h.state_mut().commands.push(Command::SetPreset(presets.next().unwrap_or(PeriodPreset::Days30)));
            h.step();
            wait(&mut h);
        })
    });
    c.bench_function("dashboard_first_frame_with_new_report", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                h.state_mut().commands.push(Command::SetPreset(presets.next().unwrap_or(PeriodPreset::Days30)));
                h.step();
                // Wait for the report off-screen, then time only the frame that shows it.
                h.state().bg.wait_for_event(Duration::from_secs(60));
                let t = Instant::now();
                h.step();
                total += t.elapsed();
                wait(&mut h);
            }
            total
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(8));
    targets = bench
}
fn main() {
    skvoz::tune_allocator();
    if let Some(dir) = std::env::var_os(CHILD_STORE) {
        child(Path::new(&dir));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
