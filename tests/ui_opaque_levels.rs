//! The dashboard with channels as real Roistat projects name them: an empty value (direct visits),
//! one letter, titles with non-breaking spaces.

mod common;

use common::*;
use skvoz::app::AppState;
use skvoz::domain::{DailyFact, Level};

fn fact(l1: (&str, &str), l2: (&str, &str), visits: u64) -> DailyFact {
    let mut f = DailyFact::new(TODAY, [Level::new(l1.0, l1.1), Level::new(l2.0, l2.1), Level::new("cmp", "Кампания")]);
    f.visits = visits;
    f
}

#[test]
fn empty_and_opaque_channels_show_their_titles_and_open_on_their_own() {
    let setup = store(false);
    let direct = ("", "Прямые визиты");
    let google = ("g", "Google\u{a0}Ads\u{a0}1");
    // A channel whose value equals a source value under direct visits: opening one must not open the other.
    let x = ("x", "Канал X");
    let facts = vec![
        fact(direct, ("", ""), 3),
        fact(direct, ("x", "Источник X"), 4),
        fact(google, ("brand", "Бренд"), 5),
        fact(x, ("y", "Источник Y"), 6),
    ];
    setup.store.replace_facts(1, TODAY, TODAY, &facts).unwrap();
    let mut h = harness(app(&setup, AppState::default()));
    for title in ["▶ Прямые визиты", "▶ Google\u{a0}Ads\u{a0}1", "▶ Канал X"] {
        assert!(has_label(&h, title), "{title} not shown");
    }
    click(&mut h, "▶ Прямые визиты");
    assert!(has_label(&h, "▼ Прямые визиты"));
    assert!(has_label(&h, "▶ (без значения)") && has_label(&h, "▶ Источник X"), "the sources of direct visits");
    assert!(has_label(&h, "▶ Канал X"), "another channel stays closed");
    click(&mut h, "▶ Источник X");
    assert!(has_label(&h, "▼ Источник X") && has_label(&h, "▶ Канал X"));
    assert!(!has_label(&h, "▶ Источник Y"), "channel x did not open with the source x");
}
