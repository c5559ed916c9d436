//! The calls journal: calls with their leads, counts of unique callers, search by digits.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use skvoz::app::{AppState, Page};
use skvoz::domain::{Call, CallStatus, Lead};

#[test]
fn the_journal_shows_calls_with_their_leads_and_counts_unique_callers() {
    let setup = store(false);
    let lead = setup.store.add_lead(Lead { title: "Звонок от 79161234567".into(), ..Lead::default() }).unwrap();
    let at = |s: i64| jiff::Timestamp::from_second(1_795_000_000 + s).unwrap();
    for (n, (caller, status, lead_id)) in [
        ("79161234567", CallStatus::Answer, Some(lead.id)),
        ("+7 916 123-45-67", CallStatus::NoAnswer, None),
        ("79035550000", CallStatus::Busy, None),
    ]
    .into_iter()
    .enumerate()
    {
        setup
            .store
            .put_call(Call {
                roistat_call_id: Some(format!("c{n}")),
                caller: caller.into(),
                callee: "74951234567".into(),
                at: at(n as i64 * 60),
                status,
                lead_id,
                duration_seconds: 185,
                file_url: if n == 0 { "https://records.example.ru/1.mp3".into() } else { String::new() },
                ..Call::default()
            })
            .unwrap();
    }
    let mut h = harness(app(&setup, AppState { page: Page::Calls, ..AppState::default() }));
    wait(&mut h);
    assert!(has_label(&h, "Звонков: 3 · уникальных номеров: 2"));
    assert!(has_label(&h, &format!("№ {} Звонок от 79161234567", lead.number)), "the call's lead");
    assert_eq!(h.query_all_by_label("3:05").count(), 3);
    assert!(h.query_by_label("Слушать").is_some(), "the recording link");
    assert_eq!(h.query_all_by_label("+7 916 123-45-67").count(), 2, "phones as people write them");

    h.get_by_label("Поиск звонков").click();
    h.run_steps(2);
    h.get_by_label("Поиск звонков").type_text("903 555");
    h.run_steps(3);
    assert!(has_label(&h, "Звонков: 1 · уникальных номеров: 1"));

    // A call that arrives while the journal is open shows up.
    setup
        .store
        .put_call(Call {
            roistat_call_id: Some("c9".into()),
            caller: "79035550000".into(),
            at: at(600),
            ..Call::default()
        })
        .unwrap();
    // It comes by the change feed and a read in the background.
    until(&mut h, "the new call", |h| has_label(h, "Звонков: 2 · уникальных номеров: 1"));
}
