//! Who has a lead open right now, on a team database: a soft notice in the lead form («Сейчас
//! открыта у: Петров»), friendlier than a lock. Windows announce what they open and close and
//! repeat it while it stays open; a notice that is not repeated fades.

use super::LeadId;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How often an open form repeats its announcement.
pub const PRESENCE_REPEAT: Duration = Duration::from_secs(30);

/// An announcement older than this is forgotten (a window that closed without saying so).
pub const PRESENCE_FADES: Duration = Duration::from_secs(75);

/// One window's announcement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The announcing window, so that it can tell its own announcements from others'.
    pub window: u64,
    /// The person's name as the window shows it.
    pub who: String,
    /// The lead open in its form; `None`: the form was closed.
    pub lead: Option<LeadId>,
}
