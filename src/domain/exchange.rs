//! The exchange log (журнал обмена): one entry per request from Roistat.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    /// A resent lead: answered with the earlier `order_id`, nothing created.
    Duplicate,
    AuthFailed,
    Error,
}

/// When Roistat's newest accepted request (a lead taken, or a resend answered) came, of entries
/// newest first.
pub fn last_accepted(newest_first: &[ExchangeEntry]) -> Option<jiff::Timestamp> {
    newest_first.iter().find(|e| matches!(e.outcome, Outcome::Ok | Outcome::Duplicate)).map(|e| e.at)
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Ok, Outcome::Duplicate, Outcome::AuthFailed, Outcome::Error];
    pub fn title(self) -> &'static str {
        match self {
            Outcome::Ok => "Успешно",
            Outcome::Duplicate => "Повтор",
            Outcome::AuthFailed => "Ошибка входа",
            Outcome::Error => "Ошибка",
        }
    }
}

/// How a lead's note begins when keys it brought have no extra field (a warning: the lead is in).
pub const MISSING_FIELDS_WARNING: &str = "Предупреждение: нет доп. реквизита для";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeEntry {
    pub id: u64,
    pub at: Timestamp,
    pub remote: String,
    pub action: String,
    pub outcome: Outcome,
    pub http_status: u16,
    pub duration_micros: u64,
    #[serde(default)]
    pub error: String,
    /// Parameters with secrets masked.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// The answer, cut to a few kilobytes.
    #[serde(default)]
    pub answer: String,
    /// Bytes of the request's parameters (query string and body), also when they are not logged.
    #[serde(default)]
    pub request_bytes: u64,
}

/// Byte caps of the parts of an entry, counted as the store encodes them (JSON, escapes included),
/// so hostile requests cannot make an entry, or the log, larger than its caps say.
pub mod limits {
    pub const REMOTE: usize = 64;
    pub const ACTION: usize = 128;
    pub const PARAM_NAME: usize = 128;
    pub const PARAM_VALUE: usize = 2048;
    pub const ERROR: usize = 1024;
    pub const ANSWER: usize = 4096;
    /// One whole entry, encoded; parameters beyond it are left out (and the entry says how many).
    pub const ENTRY: usize = 16 * 1024;
    /// What the fields besides the texts take at most when encoded (names, numbers, the time).
    pub(super) const FRAME: usize = 320;
    /// What a parameter adds besides its name and value: `["",""],`.
    pub(super) const PARAM_FRAME: usize = 8;
}

/// The name of the parameter that says how many parameters an entry left out.
pub const PARAMS_LEFT_OUT: &str = "…";

impl ExchangeEntry {
    /// The entry with every part cut to [`limits`]; encoded, it takes at most [`limits::ENTRY`] bytes.
    pub fn bounded(mut self) -> ExchangeEntry {
        self.remote = fit_owned(std::mem::take(&mut self.remote), limits::REMOTE);
        self.action = fit_owned(std::mem::take(&mut self.action), limits::ACTION);
        self.error = fit_owned(std::mem::take(&mut self.error), limits::ERROR);
        self.answer = fit_owned(std::mem::take(&mut self.answer), limits::ANSWER);
        let fixed = limits::FRAME
            + encoded_len(&self.remote)
            + encoded_len(&self.action)
            + encoded_len(&self.error)
            + encoded_len(&self.answer);
        // Room for the note about left-out parameters is kept from the start.
        let note = limits::PARAM_FRAME + 3 + 40;
        let mut budget = limits::ENTRY.saturating_sub(fixed + note);
        let mut kept = Vec::new();
        let total = self.params.len();
        for (name, value) in std::mem::take(&mut self.params) {
            let name = fit_owned(name, limits::PARAM_NAME);
            let value = fit_owned(value, limits::PARAM_VALUE);
            let cost = limits::PARAM_FRAME + encoded_len(&name) + encoded_len(&value);
            if cost > budget {
                break;
            }
            budget -= cost;
            kept.push((name, value));
        }
        if kept.len() < total {
            let left_out = total - kept.len();
            kept.push((PARAMS_LEFT_OUT.to_string(), format!("не записано параметров: {left_out}")));
        }
        self.params = kept;
        self
    }

    /// A refused request (failed login, too many attempts): time, address, action, size and outcome
    /// only — never its parameters, whoever sent them and however large they were.
    pub fn refused(mut self) -> ExchangeEntry {
        self.params.clear();
        self.answer.clear();
        self.error = fit(&self.error, 160);
        self.action = fit(&self.action, 64);
        self.bounded()
    }
}

/// How many bytes `text` takes as a JSON string's content.
pub fn encoded_len(text: &str) -> usize {
    // Bytes of multi-byte characters are all ≥ 0x80 and count as themselves: only escapes add.
    text.len()
        + text
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                b if b < 0x20 => 5,
                _ => 0,
            })
            .sum::<usize>()
}

fn char_encoded_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// `text` cut so that, encoded, it takes at most `max_bytes`, with `…` when cut.
pub fn fit(text: &str, max_bytes: usize) -> String {
    if fits(text, max_bytes) { text.to_string() } else { cut_to(text, max_bytes) }
}

/// [`fit`] that keeps `text` itself when it fits: no copy on the common path.
pub fn fit_owned(text: String, max_bytes: usize) -> String {
    if fits(&text, max_bytes) { text } else { cut_to(&text, max_bytes) }
}

/// Escapes only add, so a text longer than `max_bytes` is not read through (an export page's
/// answer is half a megabyte).
fn fits(text: &str, max_bytes: usize) -> bool {
    text.len() <= max_bytes && encoded_len(text) <= max_bytes
}

fn cut_to(text: &str, max_bytes: usize) -> String {
    let room = max_bytes.saturating_sub('…'.len_utf8());
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let n = char_encoded_len(c);
        if used + n > room {
            break;
        }
        used += n;
        end = i + c.len_utf8();
    }
    format!("{}…", &text[..end])
}

/// At most `max` characters, with `…` when cut: for texts shown to people.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Parameter names whose values never reach the log.
pub fn is_secret_param(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "token" | "password" | "pass" | "api_key" | "key" | "authorization")
}

pub const MASK: &str = "***";

/// Which log entries a person wants to see; every condition left empty lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeFilter {
    /// The exact action (`""` is the address check without an action).
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    /// Entries at or after this moment.
    pub since: Option<Timestamp>,
    /// Text searched, ignoring case, in the action, address, parameters, answer and error.
    pub text: String,
}

impl ExchangeFilter {
    pub fn is_empty(&self) -> bool {
        self.action.is_none() && self.outcome.is_none() && self.since.is_none() && self.text.trim().is_empty()
    }

    /// A filter whose text is already lower case and trimmed, ready for many entries.
    pub fn prepared(&self) -> ExchangeFilter {
        ExchangeFilter { text: self.text.trim().to_lowercase(), ..self.clone() }
    }

    /// Whether `entry` passes. Expects a [`prepared`](Self::prepared) filter.
    pub fn matches(&self, entry: &ExchangeEntry) -> bool {
        if self.action.as_ref().is_some_and(|a| *a != entry.action)
            || self.outcome.is_some_and(|o| o != entry.outcome)
            || self.since.is_some_and(|s| entry.at < s)
        {
            return false;
        }
        if self.text.is_empty() {
            return true;
        }
        let found = |s: &str| s.to_lowercase().contains(&self.text);
        // A phone is searched by its digits, however either side writes it: «916 123-45-67» finds
        // `+7 (916) 123-45-67`.
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let wanted = digits(&self.text);
        let phone_like = wanted.len() >= 5 && self.text.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
        let found_phone = |v: &str| phone_like && digits(v).contains(&wanted);
        found(&entry.action)
            || found(&entry.error)
            || found(&entry.remote)
            || found(&entry.answer)
            || entry.params.iter().any(|(k, v)| found(k) || (!is_secret_param(k) && (found(v) || found_phone(v))))
            || entry.http_status.to_string() == self.text
    }
}

impl ExchangeEntry {
    /// A request that succeeded with something to look at (the missing-fields warning).
    pub fn is_warning(&self) -> bool {
        self.outcome == Outcome::Ok && !self.error.is_empty()
    }

    /// The keys of a proxy lead's `data` that no extra field takes now, as developer names an extra
    /// field can have: what «Создать реквизит …» offers. `has_field` tells whether a developer name
    /// exists. A `data` the log cut or that is not JSON offers nothing.
    pub fn missing_field_keys(&self, has_field: impl Fn(&str) -> bool) -> Vec<String> {
        if self.action != "lead" {
            return Vec::new();
        }
        let Some((_, data)) = self.params.iter().find(|(k, _)| k == "data") else { return Vec::new() };
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(data) else {
            return Vec::new();
        };
        // utm_content and utm_term have their own place on a lead (see the lead action).
        map.keys()
            .filter(|k| !matches!(k.as_str(), "utm_content" | "utm_term"))
            .filter(|k| super::validate_dev_name(k).is_ok() && !has_field(k))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_fields_are_the_data_keys_no_field_takes() {
        let mut e = entry("lead", Outcome::Ok, "Предупреждение: нет доп. реквизита для promo");
        let data = r#"{"promo":"X","delivery":"Курьер","utm_term":"t","640163":"n","utm_source":"y"}"#;
        e.params.push(("data".into(), data.into()));
        assert!(e.is_warning());
        assert_eq!(e.missing_field_keys(|k| k == "delivery" || k == "utm_source"), ["promo"]);
        assert_eq!(e.missing_field_keys(|k| k == "delivery"), ["promo", "utm_source"]);
        e.params.last_mut().unwrap().1 = "{\"promo\":\"X".into();
        assert!(e.missing_field_keys(|_| false).is_empty(), "a cut data offers nothing");
        assert!(!entry("lead", Outcome::Error, "Заявка не сохранена").is_warning());
    }

    #[test]
    fn a_phone_is_found_by_its_digits_however_it_is_written() {
        let mut e = entry("lead", Outcome::Ok, "");
        e.params = vec![("phone".into(), "+7 (916) 123-45-67".into()), ("token".into(), "9161234567".into())];
        let search = |e: &ExchangeEntry, text: &str| {
            ExchangeFilter { text: text.into(), ..ExchangeFilter::default() }.prepared().matches(e)
        };
        assert!(search(&e, "916 123-45-67"));
        assert!(search(&e, "9161234567"));
        assert!(!search(&e, "9161234568"));
        // Digits in a secret are never searched.
        e.params.remove(0);
        assert!(!search(&e, "9161234567"));
    }

    fn entry(action: &str, outcome: Outcome, error: &str) -> ExchangeEntry {
        ExchangeEntry {
            id: 1,
            at: Timestamp::from_second(1_700_000_000).unwrap(),
            remote: "10.0.0.1:5000".into(),
            action: action.into(),
            outcome,
            http_status: 200,
            duration_micros: 10,
            error: error.into(),
            params: vec![("token".into(), "Секрет".into()), ("phone".into(), "79990001122".into())],
            answer: "{\"status\":\"ok\"}".into(),
            request_bytes: 40,
        }
    }

    #[test]
    fn a_bounded_entry_fits_its_cap_whatever_came_in() {
        let huge = |c: char| c.to_string().repeat(200_000);
        let mut e = entry("x", Outcome::Ok, "");
        e.remote = huge('r');
        e.action = huge('\u{1}');
        e.error = huge('"');
        e.answer = huge('ж');
        e.params = (0..50).map(|i| (format!("{i}{}", huge('\u{0}')), huge('\\'))).collect();
        let bounded = e.bounded();
        let encoded = serde_json::to_vec(&bounded).unwrap();
        assert!(encoded.len() <= limits::ENTRY, "{} bytes", encoded.len());
        assert!(bounded.params.len() < 50);
        assert_eq!(bounded.params.last().unwrap().0, PARAMS_LEFT_OUT);
        assert!(bounded.answer.ends_with('…') && bounded.answer.starts_with("жж"));
        // Small entries stay as they were.
        let small = entry("lead", Outcome::Ok, "");
        assert_eq!(small.clone().bounded(), small);
    }

    #[test]
    fn a_refused_request_keeps_no_parameters_and_no_answer() {
        let mut e = entry(&"a".repeat(10_000), Outcome::AuthFailed, "Неверный логин или пароль");
        e.params.push(("x".repeat(100_000), "y".repeat(100_000)));
        let refused = e.refused();
        assert!(refused.params.is_empty() && refused.answer.is_empty());
        assert_eq!(refused.request_bytes, 40);
        assert_eq!(refused.error, "Неверный логин или пароль");
        assert!(serde_json::to_vec(&refused).unwrap().len() < 512);
    }

    #[test]
    fn the_encoded_length_is_what_serde_json_writes() {
        for text in
            ["", "Иван", "a\"b\\c", "строка\nвторая\r\t", "\u{1}\u{8}\u{c}\u{1f}", "😀 ok", "x".repeat(300).as_str()]
        {
            let json = serde_json::to_string(text).unwrap();
            assert_eq!(encoded_len(text), json.len() - 2, "{text:?}");
            assert_eq!(fit_owned(text.to_string(), 10_000), text);
        }
        assert_eq!(fit_owned("Иван Петрович".to_string(), 9), fit("Иван Петрович", 9));
    }

    #[test]
    fn fit_counts_escapes_and_never_splits_a_character() {
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "…");
        assert_eq!(fit("жжжж", 7), "жж…");
        assert_eq!(encoded_len("\u{0}\"\n"), 10);
        assert_eq!(cut("абвг", 2), "аб…");
    }

    #[test]
    fn the_filter_checks_every_condition() {
        let e = entry("lead", Outcome::Error, "Заявка не сохранена: ДИСК полон");
        assert!(ExchangeFilter::default().prepared().matches(&e));
        let f = |change: fn(&mut ExchangeFilter)| {
            let mut f = ExchangeFilter::default();
            change(&mut f);
            f.prepared().matches(&e)
        };
        assert!(f(|f| f.action = Some("lead".into())));
        assert!(!f(|f| f.action = Some("export".into())));
        assert!(f(|f| f.outcome = Some(Outcome::Error)));
        assert!(!f(|f| f.outcome = Some(Outcome::Ok)));
        assert!(f(|f| f.since = Timestamp::from_second(1_700_000_000).ok()));
        assert!(!f(|f| f.since = Timestamp::from_second(1_700_000_001).ok()));
        assert!(f(|f| f.text = "  диск ПОЛОН ".into()), "case and spaces do not matter");
        assert!(f(|f| f.text = "79990001122".into()));
        assert!(f(|f| f.text = "10.0.0.1".into()));
        assert!(f(|f| f.text = "200".into()));
        assert!(!f(|f| f.text = "секрет".into()), "secret values are never searched");
        assert!(!f(|f| f.text = "нет такого".into()));
    }
}
