//! Backup → restore gives an identical store; a damaged file is refused and changes nothing.

use skvoz::store::{SledStore, StoreError};
use std::io::BufReader;

fn backup_text(store: &SledStore) -> String {
    let mut out = Vec::new();
    store.backup(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    // The header carries the time of the backup; everything after it must match.
    text.split_once('\n').unwrap().1.to_string()
}

fn demo_store(dir: &std::path::Path) -> SledStore {
    let store = SledStore::open(dir).unwrap();
    let handle = skvoz::store::Store::from_embedded(store.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(skvoz::demo::fill(&handle, 11, jiff::civil::Date::constant(2026, 11, 24))).unwrap();
    store
}

#[test]
fn backup_restore_gives_an_identical_store() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let original = demo_store(a.path());
    let mut file = Vec::new();
    let written = original.backup(&mut file).unwrap();
    let restored = SledStore::open(b.path()).unwrap();
    let read = restored.restore(&mut BufReader::new(&file[..]), false).unwrap();
    assert_eq!(written, read);
    assert!(read.leads > 100 && read.facts > 1000);
    assert_eq!(backup_text(&original), backup_text(&restored));
    // Indexes were rebuilt: queries answer the same.
    assert_eq!(original.leads_newest(20).unwrap(), restored.leads_newest(20).unwrap());
    let lead = original.leads_newest(1).unwrap().remove(0);
    let rid = lead.roistat_lead_id.clone().unwrap();
    assert_eq!(restored.lead_by_roistat_id(&rid).unwrap().unwrap(), lead);
    // And numbering continues without repeats.
    let next = restored.add_lead(skvoz::domain::Lead::default()).unwrap();
    assert!(next.number > original.all_leads().unwrap().iter().map(|l| l.number).max().unwrap());
}

#[test]
fn restore_refuses_a_store_with_data_unless_forced() {
    let a = tempfile::tempdir().unwrap();
    let store = demo_store(a.path());
    let mut file = Vec::new();
    store.backup(&mut file).unwrap();
    let err = store.restore(&mut BufReader::new(&file[..]), false).unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
    store.restore(&mut BufReader::new(&file[..]), true).unwrap();
}

#[test]
fn damaged_files_fail_naming_the_line_and_leave_the_target_untouched() {
    let a = tempfile::tempdir().unwrap();
    let store = demo_store(a.path());
    let mut file = Vec::new();
    store.backup(&mut file).unwrap();
    let text = String::from_utf8(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    let target_dir = tempfile::tempdir().unwrap();
    let target = SledStore::open(target_dir.path()).unwrap();
    let marker = target.add_lead(skvoz::domain::Lead { title: "Своя заявка".into(), ..Default::default() }).unwrap();
    let before = backup_text(&target);

    // Truncated: the last lines are missing.
    let truncated = lines[..lines.len() / 2].join("\n");
    let err = target.restore(&mut BufReader::new(truncated.as_bytes()), true).unwrap_err();
    assert!(matches!(err, StoreError::Backup { .. }), "{err}");
    assert!(err.to_string().contains("обрезан"), "{err}");

    // Edited: a line broken in the middle names its number.
    let mut edited: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    edited[42] = edited[42].replace("\"record\":{", "\"record\":{{");
    let err = target.restore(&mut BufReader::new(edited.join("\n").as_bytes()), true).unwrap_err();
    match &err {
        StoreError::Backup { line, .. } => assert_eq!(*line, 43),
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("строка 43"), "{err}");

    // A removed record breaks the count in the end line.
    let mut removed: Vec<&str> = lines.clone();
    removed.remove(100);
    let err = target.restore(&mut BufReader::new(removed.join("\n").as_bytes()), true).unwrap_err();
    assert!(err.to_string().contains("файл изменён"), "{err}");

    // Nothing happened to the target.
    assert_eq!(backup_text(&target), before);
    assert_eq!(target.lead(marker.id).unwrap().unwrap().title, "Своя заявка");
}

#[test]
fn cli_backup_and_restore() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let file = a.path().join("backup.jsonl");
    let bin = env!("CARGO_BIN_EXE_skvoz");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let demo = run(&["--data-dir", a.path().to_str().unwrap(), "demo"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = run(&["--data-dir", a.path().to_str().unwrap(), "backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["--data-dir", b.path().to_str().unwrap(), "restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A second restore without --force is refused with the Russian message.
    let out = run(&["--data-dir", b.path().to_str().unwrap(), "restore", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let restored = SledStore::open(b.path()).unwrap();
    let original = SledStore::open(a.path()).unwrap();
    assert_eq!(backup_text(&original), backup_text(&restored));
}
