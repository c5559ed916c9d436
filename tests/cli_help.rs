//! The command line's help speaks Russian, like the rest of the program.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_help_is_russian() {
    let main = help(&["--help"]);
    for part in ["Запуск: skvoz", "Команды:", "Параметры:", "Показать эту справку", "reconcile"]
    {
        assert!(main.contains(part), "{part} in {main}");
    }
    for command in [
        "demo",
        "backup",
        "serve",
        "settings",
        "log",
        "report",
        "restore",
        "sync",
        "sources",
        "projects",
        "reconcile",
        "db",
        "users",
        "history",
    ] {
        let text = help(&[command, "--help"]);
        for english in ["Usage:", "Options:", "Print help", "[default:", "[possible values:", "[env:"] {
            assert!(!text.contains(english), "«{english}» in skvoz {command} --help:\n{text}");
        }
        assert!(text.contains("Параметры:"), "skvoz {command} --help:\n{text}");
    }
    // Nested commands too.
    for command in
        [&["db", "migrate"][..], &["users"], &["users", "add"], &["users", "set-role"], &["users", "password"]]
    {
        let mut args = command.to_vec();
        args.push("--help");
        let text = help(&args);
        let command = command.join(" ");
        for english in ["Usage:", "Options:", "Commands:", "Arguments:", "Print help", "[possible values:", "[env:"] {
            assert!(!text.contains(english), "«{english}» in skvoz {command} --help:\n{text}");
        }
        assert!(text.contains("Параметры:"), "skvoz {command} --help:\n{text}");
    }
    let wrong = Command::new(env!("CARGO_BIN_EXE_skvoz")).arg("bogus").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).starts_with("Ошибка в командной строке. Справка: skvoz --help"));
}
