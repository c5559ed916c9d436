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
    assert!(main.contains("Запуск: skvoz [ПАРАМЕТРЫ] [КОМАНДА]"), "{main}");
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
        "db status",
        "db migrate",
        "users",
        "users add",
        "users set-role",
        "users password",
        "history",
        "alerts",
    ] {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let text = help(&args);
        for english in [
            "Usage:",
            "Options:",
            "Commands:",
            "Print help",
            "[default:",
            "[possible values:",
            "[env:",
            "[OPTIONS]",
            "<COMMAND>",
            "<FILE>",
            "<DATE>",
            "<DIR>",
        ] {
            assert!(!text.contains(english), "«{english}» in skvoz {command} --help:\n{text}");
        }
        assert!(text.contains("Параметры:"), "skvoz {command} --help:\n{text}");
        assert!(text.contains(&format!("Запуск: skvoz {command} [ПАРАМЕТРЫ]")), "skvoz {command} --help:\n{text}");
    }
}

fn mistake(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(text.starts_with("Ошибка в командной строке. Справка: skvoz --help"), "{text}");
    assert!(!text.contains("error:") && !text.contains("For more information"), "clap's English: {text}");
    text
}

#[test]
fn command_line_mistakes_are_named_in_russian() {
    assert!(mistake(&["bogus"]).contains("неизвестная команда «bogus»"));
    assert!(mistake(&["report"]).contains("не указаны обязательные параметры: --from ДАТА, --to ДАТА"));
    assert!(
        mistake(&["report", "--from", "x", "--to", "2026-01-01"]).contains("неверное значение «x» параметра --from")
    );
    let group = mistake(&["report", "--from", "2026-01-01", "--to", "2026-01-02", "--group", "zz"]);
    assert!(group.contains("(допустимо: channel, source, campaign, day)"), "{group}");
    assert!(mistake(&["serve", "--foo"]).contains("неизвестный параметр «--foo»"));
}
