//! `skvoz settings` prints what to paste into Roistat, and exactly that works against `skvoz serve`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn skvoz(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("SKVOZ_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn field(text: &str, name: &str) -> String {
    text.lines().find_map(|l| l.trim().strip_prefix(name)).map(|v| v.trim().to_string()).unwrap()
}

#[tokio::test]
async fn printed_credentials_open_the_service_and_a_new_password_replaces_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let first = skvoz(dir.path(), &["settings"]);
    let (login, password) = (field(&first, "Логин:"), field(&first, "Пароль:"));
    assert_eq!(login, "httpService");
    assert!(password.len() >= 16, "a generated password: {password}");
    assert!(first.contains("/crm_httpAnalytics/hs/analytics") && first.contains("GET"));
    assert!(first.contains("Доверенные прокси (X-Forwarded-For, X-Real-IP): 127.0.0.0/8, ::1"), "{first}");
    assert!(first.contains("Соединений не более: 1024 всего, 64 с одного адреса"), "{first}");
    assert_eq!(field(&first, "Формат данных:"), "JSON (не XML)");
    // The same password on a second look; a new one on request.
    assert_eq!(field(&skvoz(dir.path(), &["settings"]), "Пароль:"), password);
    let renewed = field(&skvoz(dir.path(), &["settings", "--new-password"]), "Пароль:");
    assert_ne!(renewed, password);

    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("SKVOZ_DATA_DIR")
        .env_remove("SKVOZ_HTTP_USER")
        .env_remove("SKVOZ_HTTP_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap().to_string();
    let url = |password: &str| {
        format!(
            "http://{addr}/crm_httpAnalytics/hs/analytics?action=import_scheme&user={login}&token={}",
            skvoz::service::auth::token(&login, password)
        )
    };
    let new_status = reqwest::get(url(&renewed)).await.unwrap().status().as_u16();
    let old_status = reqwest::get(url(&password)).await.unwrap().status().as_u16();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(new_status, 200);
    assert_eq!(old_status, 401);
}
