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

#[path = "support/pg.rs"]
mod pg;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_moves_to_a_team_database_and_back_unchanged() {
    let Some(config) = pg::fresh_database().await else { return };
    let url = pg::url(&config);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (first, from_db) = (a.path().join("embedded.jsonl"), a.path().join("database.jsonl"));
    let bin = env!("CARGO_BIN_EXE_skvoz");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).env_remove("SKVOZ_DATABASE_URL").output().unwrap();
        assert!(out.status.success(), "skvoz {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (a_dir, b_dir) = (a.path().to_str().unwrap(), b.path().to_str().unwrap());
    run(&["--data-dir", a_dir, "demo"]);
    run(&["--data-dir", a_dir, "backup", first.to_str().unwrap()]);
    let restored = run(&["--database-url", &url, "restore", first.to_str().unwrap()]);
    assert!(restored.contains("База данных") || restored.contains("postgresql://"), "{restored}");
    run(&["--database-url", &url, "backup", from_db.to_str().unwrap()]);
    // And back into an empty folder.
    run(&["--data-dir", b_dir, "restore", from_db.to_str().unwrap()]);
    let body = |path: &std::path::Path| std::fs::read_to_string(path).unwrap().split_once('\n').unwrap().1.to_string();
    assert_eq!(body(&first), body(&from_db), "the database's backup is the folder's backup");
    let back = Store::open_embedded(b.path()).await.unwrap();
    assert_eq!(backup_text(&back).await, body(&first), "and back in a folder, the same again");
    let status = run(&["--database-url", &url, "db", "status"]);
    assert!(status.contains("та, что знает эта программа"), "the schema is this program's: {status}");
}
