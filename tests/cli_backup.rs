//! `skvoz backup` and `skvoz restore` as a person runs them: the restored store is identical, and a
//! second restore over data is refused with the Russian hint about `--force`.

use skvoz::store::Store;

/// The backup without its header (which carries the time of the backup).
async fn backup_text(store: &Store) -> String {
    let (out, _) = store.backup(Vec::new()).await.unwrap();
    String::from_utf8(out).unwrap().split_once('\n').unwrap().1.to_string()
}

#[tokio::test]
async fn cli_backup_and_restore() {
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
    let out = run(&["--data-dir", b.path().to_str().unwrap(), "restore", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let restored = Store::open_embedded(b.path()).await.unwrap();
    let original = Store::open_embedded(a.path()).await.unwrap();
    assert!(original.lead_count().await.unwrap() > 100);
    assert_eq!(backup_text(&original).await, backup_text(&restored).await);
}
