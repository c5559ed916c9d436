//! Operations without downtime: while `skvoz serve` holds the embedded store, `skvoz backup`, `log`,
//! `settings [--new-password]` and `report` are answered by it through its control socket, all at
//! once; with nothing running they open the store themselves.
#![cfg(unix)]

#[path = "support/serve.rs"]
mod serve;

use serve::{LOGIN, PASSWORD, Serve, run_ok, set_password};

fn field(text: &str, name: &str) -> String {
    text.lines().find_map(|l| l.trim().strip_prefix(name)).map(|v| v.trim().to_string()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_log_settings_and_report_work_while_serve_runs_and_after() {
    let dir = tempfile::tempdir().unwrap();
    set_password(dir.path());
    let serve = Serve::start(dir.path());
    let client = reqwest::Client::new();
    let lead = |url: String| {
        let client = client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let (status, _) = lead(serve.url("action=lead&id=L1&title=До копии")).await;
    assert_eq!(status, 200);

    let backup = dir.path().join("while-serving.jsonl");
    let path = dir.path().to_path_buf();
    let commands: Vec<Vec<String>> = vec![
        vec!["backup".into(), backup.to_str().unwrap().into()],
        vec!["log".into(), "--tail".into(), "1".into()],
        vec!["settings".into()],
        vec![
            "report".into(),
            "--from".into(),
            "2026-01-01".into(),
            "--to".into(),
            "2026-01-31".into(),
            "--format".into(),
            "json".into(),
        ],
    ];
    let outputs: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = commands
            .iter()
            .map(|args| {
                let path = &path;
                s.spawn(move || run_ok(path, &args.iter().map(String::as_str).collect::<Vec<_>>()))
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(outputs[0].contains("Резервная копия") && outputs[0].contains("1 заявок"), "{}", outputs[0]);
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(text.contains("До копии") && text.trim_end().ends_with('}'), "the lead is in the backup");
    assert_eq!(outputs[1].lines().count(), 1, "{}", outputs[1]);
    assert!(outputs[1].contains("lead"), "{}", outputs[1]);
    assert_eq!(field(&outputs[2], "Пароль:"), PASSWORD);
    let report: serde_json::Value = serde_json::from_str(&outputs[3]).unwrap();
    assert!(report["rows"].is_array(), "{}", outputs[3]);

    // A new password reaches the running service at once.
    let renewed = field(&run_ok(dir.path(), &["settings", "--new-password"]), "Пароль:");
    assert_ne!(renewed, PASSWORD);
    let token = |password: &str| skvoz::service::auth::token(LOGIN, password);
    let with = |password: &str| format!("{}?user={LOGIN}&token={}&action=lead&id=L2", serve.base(), token(password));
    let (status, body) = lead(with(&renewed)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    assert_eq!(lead(with(PASSWORD)).await.0, 401);
    serve.stop();

    // Nothing runs: the commands open the store themselves.
    assert!(!skvoz::app::control::socket_path(&skvoz::store::store_dir(dir.path())).exists());
    let after = dir.path().join("after.jsonl");
    assert!(run_ok(dir.path(), &["backup", after.to_str().unwrap()]).contains("2 заявок"));
    assert_eq!(field(&run_ok(dir.path(), &["settings"]), "Пароль:"), renewed);
    assert_eq!(run_ok(dir.path(), &["log", "--tail", "2"]).lines().count(), 2);
}
