//! Store: the restart after a crash. 45,000 leads are in sled's files and 5,000 more (one intake
//! batch each) only in the intake journal, as after a SIGKILL before any flush of sled; the
//! figure is `Store::open_embedded`, which writes the 5,000 again and checkpoints.

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use skvoz::domain::Contact;
use skvoz::domain::{Lead, Origin, Utm};
use skvoz::store::{Store, store_dir};
use std::path::Path;
use std::time::{Duration, Instant};

const IN_SLED: u64 = 45_000;
const PENDING: u64 = 5_000;
const BATCH: u64 = 500;

fn lead(i: u64) -> (Lead, Contact) {
    let at = Timestamp::from_second(1_700_000_000 + i as i64 * 30).unwrap_or(Timestamp::UNIX_EPOCH);
    let lead = Lead {
        created: at,
        updated: at,
        title: "Заявка с сайта".into(),
        text: "Страница: https://example.ru/catalog/item-42, промокод LETO".into(),
        roistat_lead_id: Some(format!("{}", 90_000_000 + i)),
        utm: Utm { source: "yandex".into(), medium: "cpc".into(), campaign: "brand".into(), ..Utm::default() },
        origin: Origin::ProxyLead,
        ..Lead::default()
    };
    let contact = Contact { name: format!("Клиент {i}"), phone: format!("7901{i:07}"), email: String::new() };
    (lead, contact)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn is_journal(name: &str) -> bool {
    name.starts_with("intake.") && name.ends_with(".journal")
}

fn restart(c: &mut Criterion) {
    skvoz::tune_allocator();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let open = |dir: &Path| rt.block_on(Store::open_embedded(dir)).unwrap();
    // A store with 45,000 flushed leads and an empty journal.
    let clean = tempfile::tempdir().unwrap();
    {
        let store = open(clean.path());
        for start in (0..IN_SLED).step_by(BATCH as usize) {
            let items: Vec<_> = (start..start + BATCH).map(lead).collect();
            rt.block_on(store.intake_leads(items)).unwrap();
        }
        rt.block_on(store.close()).unwrap();
    }
    // The journal 5,000 more single-lead batches leave behind.
    let journal: Vec<(std::ffi::OsString, Vec<u8>)> = {
        let busy = tempfile::tempdir().unwrap();
        copy_dir(clean.path(), busy.path());
        let store = open(busy.path());
        for i in IN_SLED..IN_SLED + PENDING {
            rt.block_on(store.intake_leads(vec![lead(i)])).unwrap();
        }
        let files = std::fs::read_dir(store_dir(busy.path()))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| is_journal(&e.file_name().to_string_lossy()))
            .map(|e| (e.file_name(), std::fs::read(e.path()).unwrap()))
            .collect();
        drop(store);
        files
    };
    let crashed = |dir: &Path| {
        copy_dir(clean.path(), dir);
        for (name, bytes) in &journal {
            std::fs::write(store_dir(dir).join(name), bytes).unwrap();
        }
    };
    {
        let dir = tempfile::tempdir().unwrap();
        crashed(dir.path());
        let store = open(dir.path());
        assert_eq!(
            rt.block_on(store.lead_count()).unwrap(),
            (IN_SLED + PENDING) as usize,
            "the replay brought back every lead"
        );
    }

    let mut group = c.benchmark_group("store_restart");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("open after SIGKILL: 45k leads in sled + 5k in the journal", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let dir = tempfile::tempdir().unwrap();
                crashed(dir.path());
                let started = Instant::now();
                let store = open(dir.path());
                total += started.elapsed();
                drop(store);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, restart);
criterion_main!(benches);
