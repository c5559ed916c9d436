//! Daily analytics facts by marker levels, as Roistat's `analytics/data` returns them.

use super::Money;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// One marker level: its value (`direct`) and Roistat's title (`Яндекс.Директ`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct Level {
    pub value: String,
    pub title: String,
}

impl Level {
    pub fn new(value: impl Into<String>, title: impl Into<String>) -> Level {
        Level { value: value.into(), title: title.into() }
    }
    /// The title as Roistat gave it (non-breaking spaces and all), or the value when it gave none.
    /// An empty value is a key like any other (direct visits); with no title either it still needs
    /// words on screen.
    pub fn label(&self) -> &str {
        match (self.title.is_empty(), self.value.is_empty()) {
            (false, _) => &self.title,
            (true, false) => &self.value,
            (true, true) => NO_VALUE,
        }
    }
}

/// The label of a level with neither value nor title.
pub const NO_VALUE: &str = "(без значения)";

/// Titles compared as people read them: any run of spaces (Roistat's titles carry U+00A0) is one
/// space, case does not matter.
pub fn same_title(a: &str, b: &str) -> bool {
    fn words(text: &str) -> impl Iterator<Item = String> + '_ {
        text.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_lowercase)
    }
    words(a).eq(words(b))
}

/// The three levels of a marker (уровни маркера): channel, source and campaign, as Roistat's
/// analytics reports them. Kept as a three-element array in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "[Level; 3]", into = "[Level; 3]")]
pub struct MarkerPath {
    pub channel: Level,
    pub source: Level,
    pub campaign: Level,
}

impl MarkerPath {
    pub fn new(channel: Level, source: Level, campaign: Level) -> MarkerPath {
        MarkerPath { channel, source, campaign }
    }
    /// The levels in order: channel, source, campaign.
    pub fn levels(&self) -> [&Level; 3] {
        [&self.channel, &self.source, &self.campaign]
    }
}

impl From<[Level; 3]> for MarkerPath {
    fn from([channel, source, campaign]: [Level; 3]) -> MarkerPath {
        MarkerPath { channel, source, campaign }
    }
}

impl From<MarkerPath> for [Level; 3] {
    fn from(path: MarkerPath) -> [Level; 3] {
        [path.channel, path.source, path.campaign]
    }
}

/// The figures of one day for one marker path (channel, source, campaign).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyFact {
    pub date: Date,
    /// The analytics source that loaded it (0: demo data); a reload replaces only its own facts.
    #[serde(default, alias = "source_id")]
    pub analytics_source_id: u64,
    /// Stored under its first name, `levels`.
    #[serde(rename = "levels")]
    pub path: MarkerPath,
    #[serde(default)]
    pub visits: u64,
    #[serde(default)]
    pub leads: u64,
    #[serde(default)]
    pub sales: u64,
    #[serde(default)]
    pub revenue: Money,
    #[serde(default)]
    pub cost: Money,
    #[serde(default)]
    pub calls: u64,
}

impl DailyFact {
    pub fn new(date: Date, path: impl Into<MarkerPath>) -> DailyFact {
        DailyFact {
            date,
            analytics_source_id: 0,
            path: path.into(),
            visits: 0,
            leads: 0,
            sales: 0,
            revenue: Money::ZERO,
            cost: Money::ZERO,
            calls: 0,
        }
    }
    /// The identity of a fact: a reload replaces, never adds.
    pub fn key_levels(&self) -> [&str; 3] {
        [&self.path.channel.value, &self.path.source.value, &self.path.campaign.value]
    }
}

/// Call statuses as Roistat's `call` action sends them. Stored as JSON: the known ones as their names
/// (what older records hold), any other as `{"Other": "…"}` — a call is never refused for its status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallStatus {
    #[default]
    Answer,
    Busy,
    NoAnswer,
    Cancel,
    Congestion,
    ChanUnavail,
    DontCall,
    Torture,
    /// A status this program does not know, exactly as it came.
    Other(String),
}

impl CallStatus {
    pub const ALL: [CallStatus; 8] = [
        CallStatus::Answer,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Cancel,
        CallStatus::Congestion,
        CallStatus::ChanUnavail,
        CallStatus::DontCall,
        CallStatus::Torture,
    ];
    /// A known status, or the text as it came; an empty text is the default.
    pub fn from_roistat(text: &str) -> CallStatus {
        match text.trim() {
            "" => CallStatus::default(),
            trimmed => CallStatus::parse(trimmed).unwrap_or_else(|| CallStatus::Other(trimmed.to_string())),
        }
    }

    pub fn parse(text: &str) -> Option<CallStatus> {
        Some(match text.trim().to_ascii_uppercase().as_str() {
            "ANSWER" | "ANSWERED" => CallStatus::Answer,
            "BUSY" => CallStatus::Busy,
            "NOANSWER" | "NO ANSWER" => CallStatus::NoAnswer,
            "CANCEL" => CallStatus::Cancel,
            "CONGESTION" => CallStatus::Congestion,
            "CHANUNAVAIL" => CallStatus::ChanUnavail,
            "DONTCALL" => CallStatus::DontCall,
            "TORTURE" => CallStatus::Torture,
            _ => return None,
        })
    }
    pub fn title(&self) -> &str {
        match self {
            CallStatus::Answer => "Отвечен",
            CallStatus::Busy => "Занято",
            CallStatus::NoAnswer => "Нет ответа",
            CallStatus::Cancel => "Отменён",
            CallStatus::Congestion => "Перегрузка",
            CallStatus::ChanUnavail => "Канал недоступен",
            CallStatus::DontCall => "Не звонить",
            CallStatus::Torture => "Автоответчик",
            CallStatus::Other(text) => text,
        }
    }
}

/// A call (Звонок), linked to a lead or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Call {
    pub id: u64,
    /// Roistat's call id: loads and resends update, not duplicate.
    pub roistat_call_id: Option<String>,
    pub callee: String,
    pub caller: String,
    pub at: jiff::Timestamp,
    pub visit: String,
    pub marker: String,
    pub status: CallStatus,
    pub lead_id: Option<u64>,
    pub duration_seconds: u32,
    pub file_url: String,
}

/// How many different numbers called: the unique calls of a journal (a number that calls again
/// is one caller).
pub fn unique_callers<'a>(calls: impl IntoIterator<Item = &'a Call>) -> usize {
    calls.into_iter().map(|c| super::normalize_phone(&c.caller)).collect::<std::collections::HashSet<_>>().len()
}

impl Default for Call {
    fn default() -> Self {
        Call {
            id: 0,
            roistat_call_id: None,
            callee: String::new(),
            caller: String::new(),
            at: jiff::Timestamp::UNIX_EPOCH,
            visit: String::new(),
            marker: String::new(),
            status: CallStatus::Answer,
            lead_id: None,
            duration_seconds: 0,
            file_url: String::new(),
        }
    }
}
