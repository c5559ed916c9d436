//! Which other windows have a lead open: this window's announcements and what it heard.

use crate::domain::{LeadId, PRESENCE_FADES, PRESENCE_REPEAT, Presence};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

/// A window that hears someone open its lead answers at once (so the newcomer sees it too),
/// but not more often than this, so two windows never keep answering each other.
const ANSWER_AFTER: Duration = Duration::from_secs(2);

pub(crate) struct Presences {
    window: u64,
    /// Other windows' open leads: who, which lead, when last heard.
    others: HashMap<u64, (String, LeadId, Instant)>,
    /// What this window last announced, and when.
    announced: Option<(Option<LeadId>, Instant)>,
}

impl Default for Presences {
    fn default() -> Presences {
        // A random number per window: two windows of one person are two presences.
        let window = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Presences { window, others: HashMap::new(), announced: None }
    }
}

impl Presences {
    /// Another window's announcement; `mine` is the lead this window has open.
    pub fn heard(&mut self, presence: Presence, mine: Option<LeadId>, now: Instant) {
        if presence.window == self.window {
            return;
        }
        let Some(lead) = presence.lead else {
            self.others.remove(&presence.window);
            return;
        };
        let known = self.others.get(&presence.window).is_some_and(|(_, l, _)| *l == lead);
        self.others.insert(presence.window, (presence.who, lead, now));
        // Someone just opened the lead this window has open: tell them soon.
        if !known
            && mine == Some(lead)
            && let Some((_, at)) = &mut self.announced
            && now.duration_since(*at) >= ANSWER_AFTER
        {
            *at = now.checked_sub(PRESENCE_REPEAT).unwrap_or(*at);
        }
    }

    /// What to announce now, if anything: a change of the open lead, or the repetition while it
    /// stays open.
    pub fn announcement(&mut self, mine: Option<LeadId>, who: &str, now: Instant) -> Option<Presence> {
        let due = match self.announced {
            None => mine.is_some(),
            Some((lead, at)) => lead != mine || (mine.is_some() && now.duration_since(at) >= PRESENCE_REPEAT),
        };
        if !due {
            return None;
        }
        self.announced = Some((mine, now));
        Some(Presence { window: self.window, who: who.to_string(), lead: mine })
    }

    /// Who else has `lead` open, by name.
    pub fn present(&self, lead: LeadId, now: Instant) -> Vec<String> {
        let mut names: Vec<String> = self
            .others
            .values()
            .filter(|(_, l, at)| *l == lead && now.duration_since(*at) < PRESENCE_FADES)
            .map(|(who, _, _)| who.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(window: u64, who: &str, lead: Option<LeadId>) -> Presence {
        Presence { window, who: who.into(), lead }
    }

    #[test]
    fn others_show_while_they_repeat_and_go_when_they_close_or_fall_silent() {
        let t0 = Instant::now();
        let mut p = Presences::default();
        p.heard(other(1, "Петров", Some(7)), None, t0);
        p.heard(other(2, "Иванова", Some(8)), None, t0);
        assert_eq!(p.present(7, t0), vec!["Петров".to_string()]);
        p.heard(other(1, "Петров", None), None, t0);
        assert!(p.present(7, t0).is_empty(), "closed");
        assert!(p.present(8, t0 + PRESENCE_FADES).is_empty(), "silent too long");
    }

    #[test]
    fn a_window_announces_changes_repeats_and_answers_a_newcomer_once() {
        let t0 = Instant::now();
        let mut p = Presences::default();
        assert!(p.announcement(None, "Анна", t0).is_none(), "nothing open, nothing to say");
        let first = p.announcement(Some(7), "Анна", t0).expect("opened");
        assert_eq!((first.lead, first.who.as_str()), (Some(7), "Анна"));
        assert!(p.announcement(Some(7), "Анна", t0 + Duration::from_secs(5)).is_none());
        assert!(p.announcement(Some(7), "Анна", t0 + PRESENCE_REPEAT).is_some(), "repeated");
        // Its own announcement coming back is not someone else.
        p.heard(first.clone(), Some(7), t0 + PRESENCE_REPEAT);
        assert!(p.present(7, t0 + PRESENCE_REPEAT).is_empty());
        // A newcomer opens the same lead: answered at once, but an echo of theirs is not.
        let later = t0 + PRESENCE_REPEAT + ANSWER_AFTER;
        p.heard(other(9, "Петров", Some(7)), Some(7), later);
        assert!(p.announcement(Some(7), "Анна", later).is_some(), "answered");
        p.heard(other(9, "Петров", Some(7)), Some(7), later + Duration::from_millis(10));
        assert!(p.announcement(Some(7), "Анна", later + Duration::from_millis(20)).is_none());
        let closed = p.announcement(None, "Анна", later + Duration::from_secs(1)).expect("closed");
        assert_eq!(closed.lead, None);
    }
}
