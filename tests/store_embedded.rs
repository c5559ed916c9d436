//! What only the embedded store has: one process at a time on a folder, clear errors for a locked
//! or unusable folder, and durability across SIGKILL — a child process writes leads and prints each
//! id once its write returned; it is killed mid-stream; every printed id must be there afterwards.

use skvoz::domain::{Contact, Lead};
use skvoz::store::{Store, StoreError};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const CHILD_ENV: &str = "SKVOZ_CRASH_CHILD_DIR";

/// The writer: runs only inside the child process started by the test below.
#[tokio::test]
async fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let store = Store::open_embedded(std::path::Path::new(&dir)).await.unwrap();
    let stdout = std::io::stdout();
    for i in 0.. {
        let lead = Lead { title: format!("Заявка {i}"), text: "x".repeat(200), ..Lead::default() };
        // Typed-in leads and Roistat's (through the intake journal) take turns.
        let id = if i % 2 == 0 {
            store.add_lead(lead).await.unwrap().id
        } else {
            let lead = Lead { roistat_lead_id: Some(format!("r-{i}")), ..lead };
            store.intake_lead(lead, Contact::default()).await.unwrap().lead.id
        };
        let mut out = stdout.lock();
        writeln!(out, "{id}").unwrap();
        out.flush().unwrap();
    }
}

#[tokio::test]
async fn every_acknowledged_lead_survives_sigkill() {
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
    let store = Store::open_embedded(dir.path()).await.unwrap();
    for id in &acknowledged {
        let lead = store.lead(*id).await.unwrap();
        assert!(lead.is_some(), "acknowledged lead {id} is lost");
    }
    // The store is readable and usable after recovery, and no id or number comes back.
    let all = store.all_leads().await.unwrap();
    assert!(all.len() >= acknowledged.len());
    let next = store.add_lead(Lead::default()).await.unwrap();
    assert!(next.id > *acknowledged.iter().max().unwrap());
    assert!(next.number > all.iter().map(|l| l.number).max().unwrap());
}

#[tokio::test]
async fn a_second_open_gives_the_clear_locked_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open_embedded(dir.path()).await.unwrap();
    match Store::open_embedded(dir.path()).await {
        Err(e @ StoreError::Locked(_)) => assert!(e.to_string().contains("уже открыта другой программой skvoz")),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("opened a locked store"),
    }
}

#[tokio::test]
async fn an_unusable_folder_gives_the_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    match Store::open_embedded(&file.join("sub")).await {
        Err(e @ StoreError::NotWritable { .. }) => assert!(e.to_string().contains("Нет доступа на запись")),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("opened a store under a file"),
    }
}
