//! Money as integer kopecks: sums are exact, never f64.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount in kopecks (1/100 of a rouble).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_rubles(rubles: i64) -> Money {
        Money(rubles.saturating_mul(100))
    }

    pub fn kopecks(self) -> i64 {
        self.0
    }

    /// Whole roubles, rounded half away from zero.
    pub fn rubles_rounded(self) -> i64 {
        let (q, r) = (self.0 / 100, self.0 % 100);
        if r >= 50 {
            q + 1
        } else if r <= -50 {
            q - 1
        } else {
            q
        }
    }

    /// For ratios and charts only; never for sums.
    pub fn as_f64_rubles(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Parses `1234`, `1234.5`, `1234,50`, `-12.3`, `1 234,56` (spaces and NBSP ignored).
    /// More than two decimals are rounded half away from zero.
    pub fn parse(text: &str) -> Option<Money> {
        let cleaned: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '₽'))
            .map(|c| match c {
                ',' => '.',
                '−' => '-',
                c => c,
            })
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
        };
        if digits.is_empty() {
            return None;
        }
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.chars().all(|c| c.is_ascii_digit()) || !frac_part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
        let mut frac_digits = frac_part.chars();
        let d1 = frac_digits.next().and_then(|c| c.to_digit(10)).unwrap_or(0) as i64;
        let d2 = frac_digits.next().and_then(|c| c.to_digit(10)).unwrap_or(0) as i64;
        let d3 = frac_digits.next().and_then(|c| c.to_digit(10)).unwrap_or(0) as i64;
        let mut kopecks = whole.checked_mul(100)?.checked_add(d1 * 10 + d2)?;
        if d3 >= 5 {
            kopecks = kopecks.checked_add(1)?;
        }
        Some(Money(if negative { -kopecks } else { kopecks }))
    }

    /// From a JSON number or numeric string in roubles (Roistat sends both).
    pub fn from_json(value: &serde_json::Value) -> Option<Money> {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(Money::from_rubles(i))
                } else {
                    // Go through the decimal text so 120.34 stays 12034 kopecks.
                    Money::parse(&n.to_string())
                }
            }
            serde_json::Value::String(s) => Money::parse(s),
            _ => None,
        }
    }

    /// `1234.5` style text for machine formats (CSV numbers, the export JSON).
    pub fn to_decimal_string(self) -> String {
        let mut out = String::new();
        self.write_decimal(&mut out);
        out
    }

    /// [`Money::to_decimal_string`] appended to `out` (the export writes many without allocating).
    pub fn write_decimal(self, out: &mut String) {
        use std::fmt::Write;
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let _ = if abs.is_multiple_of(100) {
            write!(out, "{sign}{}", abs / 100)
        } else {
            write!(out, "{sign}{}.{:02}", abs / 100, abs % 100)
        };
    }
}

/// Money as a JSON number of roubles (`11000.75`, `11000`) for what people and programs read; the
/// stored records keep kopecks. Use as `#[serde(with = "crate::domain::rubles")]`.
pub mod rubles {
    use super::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        if money.0 % 100 == 0 {
            serializer.serialize_i64(money.0 / 100)
        } else {
            // Kopecks / 100 is the double nearest the decimal, and its shortest text is that decimal.
            serializer.serialize_f64(money.0 as f64 / 100.0)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Money::from_json(&value).ok_or_else(|| serde::de::Error::custom(format!("«{value}» не сумма в рублях")))
    }

    /// The same for an optional amount (`null` when there is none).
    pub mod option {
        use super::Money;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(money: &Option<Money>, serializer: S) -> Result<S::Ok, S::Error> {
            match money {
                Some(m) => super::serialize(m, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Money>, D::Error> {
            match serde_json::Value::deserialize(deserializer)? {
                serde_json::Value::Null => Ok(None),
                value => Money::from_json(&value)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom(format!("«{value}» не сумма в рублях"))),
            }
        }
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 = self.0.saturating_sub(rhs.0);
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl Money {
    /// What a form field shows: `12 500,50`, `12 500` — grouped and with a decimal comma, as a person
    /// types it; [`Money::parse`] reads it back.
    pub fn to_input_text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = group_thousands(abs / 100);
        if abs.is_multiple_of(100) { format!("{sign}{whole}") } else { format!("{sign}{whole},{:02}", abs % 100) }
    }
}

/// Groups digits by thousands with a thin no-break space, the Russian way.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Money {
    /// `1 234 567 ₽` for whole roubles, `1 234,50 ₽` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "−" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(100) {
            write!(f, "{sign}{} ₽", group_thousands(abs / 100))
        } else {
            write!(f, "{sign}{},{:02} ₽", group_thousands(abs / 100), abs % 100)
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct InRubles {
        #[serde(with = "super::rubles")]
        amount: Money,
        #[serde(with = "super::rubles::option")]
        maybe: Option<Money>,
    }

    #[test]
    fn rubles_in_json_are_decimal_and_exact() {
        for (kopecks, text) in
            [(1_100_075, "11000.75"), (1_100_000, "11000"), (-5, "-0.05"), (12_034, "120.34"), (10, "0.1")]
        {
            let value = InRubles { amount: Money(kopecks), maybe: Some(Money(kopecks)) };
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("{{\"amount\":{text},\"maybe\":{text}}}"));
            assert_eq!(serde_json::from_str::<InRubles>(&json).unwrap(), value);
        }
        let none = InRubles { amount: Money::ZERO, maybe: None };
        assert_eq!(serde_json::to_string(&none).unwrap(), r#"{"amount":0,"maybe":null}"#);
    }

    use super::*;

    #[test]
    fn parses_russian_and_machine_text() {
        assert_eq!(Money::parse("120.34"), Some(Money(12034)));
        assert_eq!(Money::parse("1 234,5"), Some(Money(123450)));
        assert_eq!(Money::parse("-0.5"), Some(Money(-50)));
        assert_eq!(Money::parse("10.005"), Some(Money(1001)));
        assert_eq!(Money::parse("abc"), None);
        assert_eq!(Money::parse(""), None);
        assert_eq!(Money::parse("."), None);
    }

    #[test]
    fn json_float_stays_exact() {
        let v: serde_json::Value = serde_json::from_str("120.34").unwrap();
        assert_eq!(Money::from_json(&v), Some(Money(12034)));
        let v: serde_json::Value = serde_json::from_str("\"99\"").unwrap();
        assert_eq!(Money::from_json(&v), Some(Money(9900)));
    }

    #[test]
    fn displays_russian() {
        assert_eq!(Money::from_rubles(1_234_567).to_string(), "1\u{a0}234\u{a0}567 ₽");
        assert_eq!(Money(123450).to_string(), "1\u{a0}234,50 ₽");
        assert_eq!(Money(-500).to_string(), "−5 ₽");
        assert_eq!(Money(12034).to_decimal_string(), "120.34");
        for m in [Money(1_250_050), Money(-1_250_000), Money(5)] {
            assert_eq!(Money::parse(&m.to_input_text()), Some(m), "{}", m.to_input_text());
        }
        assert_eq!(Money(1_250_050).to_input_text(), "12\u{a0}500,50");
        assert_eq!(Money::parse("−5"), Some(Money(-500)));
    }
}
