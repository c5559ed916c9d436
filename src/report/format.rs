//! Russian number formatting: `1 234 567 ₽`, `12,5 %`, «—» for what is undefined.

use crate::domain::{Money, group_thousands};

/// What an undefined figure (a division by zero) shows.
pub fn dash() -> &'static str {
    "—"
}

/// Whole roubles with grouped thousands: `1 234 567 ₽` (NBSP between groups and before ₽).
pub fn fmt_money(m: Money) -> String {
    Money::from_rubles(m.rubles_rounded()).to_string().replace(" ₽", "\u{a0}₽")
}

/// A money ratio (CPL, CPO, average check), or «—».
pub fn fmt_ratio_money(m: Option<Money>) -> String {
    m.map(fmt_money).unwrap_or_else(|| dash().to_string())
}

/// A count with grouped thousands: `12 345`.
pub fn fmt_count(n: u64) -> String {
    group_thousands(n)
}

/// A fraction as a percentage with one decimal and a comma: `0.125` → `12,5 %`; `None` → «—».
pub fn fmt_percent(fraction: Option<f64>) -> String {
    match fraction {
        Some(f) if f.is_finite() => {
            let text = format!("{:.1}", f * 100.0).replace('.', ",");
            let text = if text == "-0,0" { "0,0".to_string() } else { text };
            // Group the integer part for large ROI values (e.g. 12 345,6 %).
            let (sign, rest) = match text.strip_prefix('-') {
                Some(r) => ("−", r),
                None => ("", text.as_str()),
            };
            let (int, frac) = rest.split_once(',').unwrap_or((rest, "0"));
            let grouped = int.parse::<u64>().map(group_thousands).unwrap_or_else(|_| int.to_string());
            format!("{sign}{grouped},{frac}\u{a0}%")
        }
        _ => dash().to_string(),
    }
}

/// A change versus the previous period: `▲ 12,5 %`, `▼ 3,0 %`, `0,0 %`, or «—».
pub fn fmt_change(change: Option<f64>) -> String {
    match change {
        Some(c) if c.is_finite() => {
            let arrow = if c > 0.0005 {
                "▲ "
            } else if c < -0.0005 {
                "▼ "
            } else {
                ""
            };
            format!("{arrow}{}", fmt_percent(Some(c.abs())))
        }
        _ => dash().to_string(),
    }
}
