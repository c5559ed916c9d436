//! «План продаж»: a marketer types a channel's plan for the month, writes it, and sees how much of
//! it is done and the forecast.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use skvoz::app::{AppState, Page};
use skvoz::domain::{DailyFact, Level, MarkerPath, Money, Plan, Role, User};

fn direct() -> MarkerPath {
    MarkerPath::new(
        Level::new("direct", "Яндекс.Директ"),
        Level::new("search", "Поиск"),
        Level::new("ad1", "Объявление"),
    )
}

#[test]
fn a_plan_typed_in_the_window_is_stored_and_its_progress_shown() {
    let setup = store(false);
    // 24 November: Roistat says the channel spent 1 000 ₽ a day so far.
    let days: Vec<DailyFact> = (1..=24)
        .map(|d| DailyFact {
            cost: Money::from_rubles(1_000),
            ..DailyFact::new(jiff::civil::date(2026, 11, d), direct())
        })
        .collect();
    setup.store.replace_facts(1, days[0].date, TODAY, &days).unwrap();
    let marketer = setup.store.put(User { name: "Ольга".into(), role: Role::Marketer, ..User::default() }).unwrap();
    let state = AppState { page: Page::Plan, user_id: Some(marketer.id), ..AppState::default() };
    let mut h = harness(app(&setup, state));
    assert!(h.query_by_role_and_label(egui::Role::Button, "План продаж").is_some(), "a marketer has the page");
    assert!(has_label(&h, "Ноябрь 2026"));
    assert!(has_label(&h, "Бюджет: Яндекс.Директ"), "the channel from Roistat's figures has a line");

    h.get_by_label("Бюджет: Яндекс.Директ").click();
    h.run_steps(2);
    h.get_by_label("Бюджет: Яндекс.Директ").type_text("48 000");
    h.get_by_label("Заявки: Яндекс.Директ").click();
    h.run_steps(2);
    h.get_by_label("Заявки: Яндекс.Директ").type_text("60");
    h.run_steps(2);
    click(&mut h, "Записать");
    until(&mut h, "the plan written", |h| has_label(h, "Записано"));

    let stored = setup.store.run(setup.store.handle().plans(Some("2026-11".parse().unwrap()))).unwrap();
    assert_eq!(
        stored,
        [Plan { budget: Money::from_rubles(48_000), leads: 60, ..Plan::new("2026-11".parse().unwrap(), "direct") }]
    );
    // The history names the person at the window.
    let history = setup
        .store
        .run(
            setup
                .store
                .handle()
                .history(skvoz::domain::HistoryFilter { kind: Some("plan".into()), ..Default::default() }),
        )
        .unwrap();
    assert_eq!(history[0].author, "Ольга");

    // 24 000 ₽ of 48 000 ₽ spent: 50 %; at this pace 30 days cost 30 000 ₽.
    // The channel's line and the totals.
    until(&mut h, "progress and forecast", |h| h.query_all_by_label("50,0\u{a0}%").count() == 2);
    let forecast = skvoz::report::fmt_money(Money::from_rubles(30_000));
    assert_eq!(h.query_all_by_label(&forecast).count(), 2, "the budget forecast");

    // Another month: the page reads it, without this month's plan.
    h.get_by_label("▶").click();
    wait(&mut h);
    assert!(has_label(&h, "Декабрь 2026"));
    let budget = h.get_by_label("Бюджет: Яндекс.Директ");
    assert_eq!(budget.value().as_deref(), Some(""), "December has no plan yet");
}

#[test]
fn what_is_not_a_number_is_named_and_nothing_is_written() {
    let setup = store(false);
    let days = vec![DailyFact { cost: Money::from_rubles(1_000), ..DailyFact::new(TODAY, direct()) }];
    setup.store.replace_facts(1, TODAY, TODAY, &days).unwrap();
    let mut h = harness(app(&setup, AppState { page: Page::Plan, ..AppState::default() }));
    h.get_by_label("Продажи: Яндекс.Директ").click();
    h.run_steps(2);
    h.get_by_label("Продажи: Яндекс.Директ").type_text("много");
    h.run_steps(2);
    click(&mut h, "Записать");
    assert!(h.query_by_label_contains("«много» — не число").is_some());
    assert!(setup.store.run(setup.store.handle().plans(None)).unwrap().is_empty());
}
