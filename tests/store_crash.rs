//! Durability across a crash: a child process writes leads and prints each id after its durable
//! commit; it is killed with SIGKILL mid-stream; every printed id must be in the store afterwards.

use skvoz::domain::Lead;
use skvoz::store::SledStore;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "SKVOZ_CRASH_CHILD_DIR";

/// The writer: runs only inside the child process started by the test below.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let store = SledStore::open(std::path::Path::new(&dir)).unwrap();
    let stdout = std::io::stdout();
    for i in 0.. {
        let lead =
            store.add_lead(Lead { title: format!("Заявка {i}"), text: "x".repeat(200), ..Lead::default() }).unwrap();
        store.durable().unwrap();
        let mut out = stdout.lock();
        writeln!(out, "{}", lead.id).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn every_acknowledged_lead_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let reader = BufReader::new(child.stdout.take().unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        if let Ok(id) = line.trim().parse::<u64>() {
            acknowledged.push(id);
        }
        if acknowledged.len() >= 300 {
            break;
        }
    }
    // SIGKILL: no destructors, no flush on exit.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(acknowledged.len() >= 300, "the child wrote too little: {}", acknowledged.len());
    let store = SledStore::open(dir.path()).unwrap();
    for id in &acknowledged {
        let lead = store.lead(*id).unwrap();
        assert!(lead.is_some(), "acknowledged lead {id} is lost");
    }
    // The store is readable and usable after recovery.
    let all = store.all_leads().unwrap();
    assert!(all.len() >= acknowledged.len());
    let next = store.add_lead(Lead::default()).unwrap();
    assert!(next.id > *acknowledged.iter().max().unwrap());
}
