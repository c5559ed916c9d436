//! `skvoz history`: a lead's history and the history since a day, newest first.

use skvoz::domain::{Actor, Lead, LeadEdit, LeadValue};
use skvoz::store::Store;
use std::process::Command;

fn skvoz(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz")).arg("--data-dir").arg(dir).args(args).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn history_prints_who_changed_which_field_from_what_to_what() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (first, second) = runtime.block_on(async {
        let store = Store::open_embedded(dir.path())
            .await
            .unwrap()
            .acting_as(Actor { author: "petrov".into(), origin: "окно".into() });
        let first = store.add_lead(Lead { title: "Окна".into(), ..Lead::default() }).await.unwrap();
        let second = store.add_lead(Lead { title: "Двери".into(), ..Lead::default() }).await.unwrap();
        let edit = LeadEdit::set(&first, LeadValue::Title("Окна ПВХ".into()));
        store.change_lead(first.id, Some(first.version), vec![edit], "petrov").await.unwrap();
        store.close().await.unwrap();
        (first, second)
    });
    drop(runtime);

    let (ok, out, err) = skvoz(dir.path(), &["history", "--lead", &first.number.to_string()]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains(&format!("Заявка № {}", first.number)) && lines[0].contains("petrov (окно)"), "{out}");
    assert_eq!(lines[1].trim(), "Наименование: Окна → Окна ПВХ", "{out}");
    assert!(out.contains("Заявка: создана") && !out.contains("Двери"), "{out}");

    let (ok, out, err) = skvoz(dir.path(), &["history", "--since", "01.01.2020"]);
    assert!(ok, "{err}");
    assert!(out.contains("Окна ПВХ") && out.contains(&format!("Заявка № {}", second.number)), "{out}");
    let (ok, out, _) = skvoz(dir.path(), &["history", "--since", "2100-01-01"]);
    assert!(ok && out.trim() == "Изменений не найдено", "{out}");

    let (ok, _, err) = skvoz(dir.path(), &["history", "--lead", "999"]);
    assert!(!ok && err.contains("Заявки № 999 нет"), "{err}");

    let (ok, _, err) = skvoz(dir.path(), &["history", "--since", "31.02.2026"]);
    assert!(!ok && err.contains("ДД.ММ.ГГГГ"), "{err}");
}
