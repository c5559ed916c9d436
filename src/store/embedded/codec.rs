//! Keys and values: big-endian ids, order-preserving timestamps and dates, JSON records.

use super::{Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

pub fn key_id(key: &[u8]) -> Option<u64> {
    key.get(..8)?.try_into().ok().map(u64::from_be_bytes)
}

/// Microseconds with the sign bit flipped, so byte order is time order (also before 1970).
pub fn time_bytes(ts: Timestamp) -> [u8; 8] {
    ((ts.as_microsecond() as u64) ^ (1 << 63)).to_be_bytes()
}

/// `(time, id)`: an index entry that sorts by time, then id.
pub fn time_id_key(ts: Timestamp, id: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&time_bytes(ts));
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

pub fn time_id_of(key: &[u8]) -> Option<u64> {
    key.get(8..16)?.try_into().ok().map(u64::from_be_bytes)
}

/// The value of a `leads_by_updated` entry: what decides whether the lead is exported, so the
/// export's id list needs no lead record. Entries written before it have an empty value.
pub fn export_flags(is_template: bool, deleted: bool, created: Timestamp) -> [u8; 9] {
    let mut v = [0u8; 9];
    v[0] = 1 | (u8::from(is_template) << 1) | (u8::from(deleted) << 2);
    v[1..].copy_from_slice(&time_bytes(created));
    v
}

/// `(is_template, deleted, created)` from [`export_flags`]; `None` for an old empty value.
pub fn read_export_flags(value: &[u8]) -> Option<(bool, bool, Timestamp)> {
    let (&flags, created) = value.split_first()?;
    if flags & 1 == 0 {
        return None;
    }
    let micros = u64::from_be_bytes(created.try_into().ok()?) ^ (1 << 63);
    let created = Timestamp::from_microsecond(micros as i64).ok()?;
    Some((flags & 2 != 0, flags & 4 != 0, created))
}

/// Days since 1970 with the sign bit flipped.
pub fn date_bytes(date: Date) -> [u8; 4] {
    let days = date.since(Date::constant(1970, 1, 1)).map(|s| s.get_days()).unwrap_or(0);
    ((days as u32) ^ (1 << 31)).to_be_bytes()
}

/// The date of [`date_bytes`]; `None` outside the calendar.
pub fn bytes_date(bytes: [u8; 4]) -> Option<Date> {
    let days = i64::from((u32::from_be_bytes(bytes) ^ (1 << 31)) as i32);
    Date::constant(1970, 1, 1).checked_add(jiff::Span::new().try_days(days).ok()?).ok()
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Invalid(format!("не удалось сохранить запись: {e}")))
}

/// A view that borrows its text from the stored bytes.
pub fn decode_view<'a, T: serde::Deserialize<'a>>(what: &str, bytes: &'a [u8]) -> Result<T> {
    let corrupt = |reason: String| StoreError::Corrupt { what: what.to_string(), reason };
    // One UTF-8 check of the whole record is cheaper than serde_json's check of every string.
    let text = std::str::from_utf8(bytes).map_err(|e| corrupt(e.to_string()))?;
    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))
}

pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    decode_view(what, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_record_is_reported_not_trusted() {
        let good: Vec<(String, String)> = decode("пары", "[[\"имя\",\"Иван\"]]".as_bytes()).unwrap();
        assert_eq!(good, vec![("имя".to_string(), "Иван".to_string())]);
        for bad in [&b"[[\"\xff\xfe\",\"x\"]]"[..], b"[[\"a\",", b""] {
            match decode::<Vec<(String, String)>>("пары", bad) {
                Err(StoreError::Corrupt { what, .. }) => assert_eq!(what, "пары"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn time_keys_sort_by_time() {
        let a = Timestamp::from_second(-10).unwrap();
        let b = Timestamp::from_second(5).unwrap();
        let c = Timestamp::from_second(1_700_000_000).unwrap();
        assert!(time_id_key(a, 9) < time_id_key(b, 1));
        assert!(time_id_key(b, 1) < time_id_key(c, 0));
        assert_eq!(time_id_of(&time_id_key(c, 42)), Some(42));
    }

    #[test]
    fn export_flags_round_trip() {
        let created = Timestamp::from_second(-86_400).unwrap();
        for (t, d) in [(false, false), (true, false), (false, true), (true, true)] {
            assert_eq!(read_export_flags(&export_flags(t, d, created)), Some((t, d, created)));
        }
        assert_eq!(read_export_flags(&[]), None);
    }

    #[test]
    fn date_keys_sort_by_date() {
        let d1 = Date::constant(1969, 12, 31);
        let d2 = Date::constant(2026, 1, 1);
        let d3 = Date::constant(2026, 1, 2);
        assert!(date_bytes(d1) < date_bytes(d2));
        assert!(date_bytes(d2) < date_bytes(d3));
        for d in [d1, d2, d3] {
            assert_eq!(bytes_date(date_bytes(d)), Some(d));
        }
    }
}
