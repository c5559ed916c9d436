//! One module per group of actions; helpers for reading parameters.

pub mod export;
pub mod lead;
pub mod misc;

use super::Failure;
use super::query::Params;
use jiff::Timestamp;

/// An optional whole number; present but not a number is a 400.
pub fn number(params: &Params, name: &str) -> Result<Option<u64>, Failure> {
    match params.text(name) {
        None => Ok(None),
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            Failure::bad(
                "bad_number",
                format!(
                    "Параметр {name} должен быть целым неотрицательным числом, получено «{}»",
                    super::query::cut(text, 40)
                ),
            )
        }),
    }
}

pub fn required_number(params: &Params, name: &str) -> Result<u64, Failure> {
    number(params, name)?
        .ok_or_else(|| Failure::bad("missing_parameter", format!("Не указан обязательный параметр {name}")))
}

/// `2015-06-28 09:12:54`, `2019-01-01T11:11:11` (UTC), or UNIX seconds.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse::<i64>().ok().and_then(|s| Timestamp::from_second(s).ok());
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    let civil: jiff::civil::DateTime = text.replacen(' ', "T", 1).parse().ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// A JSON string, escaped.
pub fn json_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    // Runs of plain text are copied whole; every byte that needs escaping is ASCII, so the slice
    // bounds are always character boundaries.
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escaped.is_empty() {
            let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{b:04x}"));
        } else {
            out.push_str(escaped);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("2015-06-28 09:12:54").unwrap().as_second(), 1_435_482_774);
        assert_eq!(parse_time("2019-01-01T11:11:11").unwrap().as_second(), 1_546_341_071);
        assert_eq!(parse_time("1435482774").unwrap().as_second(), 1_435_482_774);
        assert!(parse_time("вчера").is_none());
    }

    #[test]
    fn json_strings_match_serde() {
        let text = "a\"b\\c\n\u{1}Привет";
        let mut out = String::new();
        json_str(&mut out, text);
        assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text);
    }
}
