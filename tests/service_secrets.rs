//! Attack: a password typed into Roistat's *login* field used to reach stderr, the exchange log and
//! backups in clear, and the store and backups were readable by every local user. Against a real
//! `skvoz serve`: the password shows nowhere but in the service settings, in files only the owner reads.

#[path = "support/serve.rs"]
mod serve;

use serve::{PASSWORD, Serve, run_ok, set_password};

#[tokio::test]
async fn a_password_sent_as_the_user_reaches_no_log_and_no_backup_entry() {
    let dir = tempfile::tempdir().unwrap();
    set_password(dir.path());
    let serve = Serve::start(dir.path());
    let client = reqwest::Client::new();
    let wrong_field = format!("{}?action=export&user={PASSWORD}&token=0123", serve.base());
    assert_eq!(client.get(&wrong_field).send().await.unwrap().status().as_u16(), 401);
    let no_token = format!("{}?action=lead&user={PASSWORD}", serve.base());
    assert_eq!(client.get(&no_token).send().await.unwrap().status().as_u16(), 401);
    let basic = client.get(format!("{}?action=export", serve.base())).basic_auth(PASSWORD, Some("x"));
    assert_eq!(basic.send().await.unwrap().status().as_u16(), 401);
    // Roistat's own requests go on.
    let ok: serde_json::Value = client.get(serve.url("action=lead&id=R1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ok["status"], "ok");
    let stderr = serve.stop();

    assert!(stderr.contains("неудачный вход"), "the failures are logged: {stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let log = run_ok(dir.path(), &["log", "--tail", "50"]);
    assert_eq!(log.lines().count(), 4, "{log}");
    assert!(!log.contains(PASSWORD), "{log}");

    let backup = dir.path().join("backup.jsonl");
    run_ok(dir.path(), &["backup", backup.to_str().unwrap()]);
    let text = std::fs::read_to_string(&backup).unwrap();
    let holding: Vec<&str> = text.lines().filter(|l| l.contains(PASSWORD)).collect();
    assert_eq!(holding.len(), 1, "only the service settings hold the password: {holding:?}");
    assert!(holding[0].starts_with(r#"{"kind":"service_settings""#), "{}", holding[0]);
    assert!(text.lines().filter(|l| l.contains(r#""kind":"exchange""#)).count() >= 4);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&backup), 0o600);
        assert_eq!(mode(dir.path()), 0o700);
        let store = skvoz::store::store_dir(dir.path());
        assert_eq!(mode(&store), 0o700);
        for entry in std::fs::read_dir(&store).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
}
