//! Frame time of the dashboard over 2 years × 1,000 marker triples (730k facts), headless
//! (egui_kittest, no GPU): a frame at rest, and a period change until the new report is on screen.

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use jiff::ToSpan;
use jiff::civil::Date;
use skvoz::app::{App, AppOptions, AppState, Command, Preset};
use skvoz::domain::{DailyFact, Level, Money};
use skvoz::store::Store;
use std::time::{Duration, Instant};

fn facts(days: i32, last: Date) -> Vec<DailyFact> {
    let mut out = Vec::with_capacity(1000 * days as usize);
    for d in (0..days).rev() {
        let date = last.checked_sub(d.days()).unwrap();
        for i in 0..1000usize {
            let (c, s, a) = (i / 100, i / 10 % 10, i % 10);
            let mut f = DailyFact::new(
                date,
                [
                    Level::new(format!("ch{c}"), format!("Канал {c}")),
                    Level::new(format!("src{s}"), format!("Источник {s}")),
                    Level::new(format!("ad{a}"), format!("Кампания {a}")),
                ],
            );
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

fn wait(h: &mut Harness<'static, App>) {
    let start = Instant::now();
    loop {
        h.step();
        if !h.state().is_busy() || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn bench(c: &mut Criterion) {
    let today = Date::constant(2026, 11, 24);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let all = facts(730, today);
    store.replace_facts(1, all[0].date, today, &all).unwrap();
    drop(all);
    store.durable().unwrap();
    drop(store);
    let options = || AppOptions { today: Some(today), state: AppState::default(), ..AppOptions::default() };

    // Start-up: open the store, build the app, draw until the dashboard shows its first report.
    c.bench_function("dashboard_startup_to_first_report_730k_facts", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                let app = App::new(Store::open(dir.path()).unwrap(), options()).unwrap();
                let mut h =
                    Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
                wait(&mut h);
                total += t.elapsed();
                h.state_mut().shutdown();
            }
            total
        })
    });

    let app = App::new(Store::open(dir.path()).unwrap(), options()).unwrap();
    let mut h = Harness::builder().with_size([1280.0, 800.0]).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    wait(&mut h);
    h.state_mut().commands.push(Command::ToggleRow("ch0".into()));
    wait(&mut h);

    // Memory of the whole process with the dashboard up (the facts themselves stay in the store).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines().filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM")) {
            eprintln!("dashboard with 730k facts stored: {line}");
        }
    }
    c.bench_function("dashboard_frame_at_rest_730k_facts", |b| b.iter(|| h.step()));
    let mut presets = [Preset::Days7, Preset::Days30].into_iter().cycle();
    c.bench_function("dashboard_period_change_to_new_report_on_screen_730k_facts", |b| {
        b.iter(|| {
            h.state_mut().commands.push(Command::SetPreset(presets.next().unwrap_or(Preset::Days30)));
            h.step();
            wait(&mut h);
        })
    });
    c.bench_function("dashboard_first_frame_with_new_report", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                h.state_mut().commands.push(Command::SetPreset(presets.next().unwrap_or(Preset::Days30)));
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
criterion_main!(benches);
