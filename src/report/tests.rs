use super::*;
use crate::domain::Level;

fn d(day: i8) -> Date {
    Date::constant(2026, 3, day)
}

fn fact(date: Date, l: [&str; 3], visits: u64, leads: u64, sales: u64, revenue: i64, cost: i64) -> DailyFact {
    let mut f = DailyFact::new(
        date,
        [Level::new(l[0], format!("T-{}", l[0])), Level::new(l[1], format!("T-{}", l[1])), Level::new(l[2], "")],
    );
    f.visits = visits;
    f.leads = leads;
    f.sales = sales;
    f.revenue = Money::from_rubles(revenue);
    f.cost = Money::from_rubles(cost);
    f
}

/// Period 10..=12 March, previous 7..=9 March.
fn data() -> Vec<DailyFact> {
    vec![
        // previous period
        fact(d(8), ["direct", "brand", "ad1"], 100, 4, 1, 10_000, 2_000),
        fact(d(9), ["seo", "yandex", "main"], 50, 1, 0, 0, 0),
        // current period
        fact(d(10), ["direct", "brand", "ad1"], 200, 10, 2, 30_000, 5_000),
        fact(d(10), ["direct", "brand", "ad2"], 100, 0, 0, 0, 1_000),
        fact(d(11), ["direct", "search", "ad1"], 300, 6, 3, 12_000, 3_000),
        fact(d(12), ["seo", "yandex", "main"], 400, 8, 0, 0, 0),
        // zero visits, zero cost: a sale from a call
        fact(d(12), ["vk", "target", "ad1"], 0, 1, 1, 5_000, 0),
        // outside both periods
        fact(d(1), ["direct", "brand", "ad1"], 999, 99, 9, 99_999, 9_999),
        fact(d(13), ["direct", "brand", "ad1"], 999, 99, 9, 99_999, 9_999),
    ]
}

fn query() -> Query {
    Query::new(d(10), d(12), Grouping::Channel)
}

#[test]
fn totals_and_derived_metrics() {
    let r = build(&data(), &query()).unwrap();
    let f = r.totals.figures;
    assert_eq!((f.visits, f.leads, f.sales), (1000, 25, 6));
    assert_eq!(f.revenue, Money::from_rubles(47_000));
    assert_eq!(f.cost, Money::from_rubles(9_000));
    let m = r.totals.metrics;
    assert_eq!(m.profit, Money::from_rubles(38_000));
    assert_eq!(m.cpl, Some(Money::from_rubles(360)));
    assert_eq!(m.cpo, Some(Money::from_rubles(1_500)));
    assert_eq!(m.roi, Some(38_000.0 / 9_000.0));
    assert_eq!(m.conversion_to_leads, Some(0.025));
    assert_eq!(m.conversion_to_sales, Some(6.0 / 25.0));
    // 47 000 / 6 = 7 833,333… → 7 833,33 ₽
    assert_eq!(m.average_check, Some(Money(783_333)));
}

#[test]
fn drill_down_rows() {
    let r = build(&data(), &query()).unwrap();
    let keys: Vec<&str> = r.rows.iter().map(|r| r.key.as_str()).collect();
    // By cost descending, then title.
    assert_eq!(keys, ["direct", "seo", "vk"]);
    let direct = &r.rows[0];
    assert_eq!(direct.title, "T-direct");
    assert_eq!(direct.figures.cost, Money::from_rubles(9_000));
    assert_eq!(direct.children.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), ["brand", "search"]);
    let brand = &direct.children[0];
    assert_eq!(brand.figures.visits, 300);
    assert_eq!(brand.metrics.cpl, Some(Money::from_rubles(600)));
    let ads: Vec<(&str, &str)> = brand.children.iter().map(|c| (c.key.as_str(), c.title.as_str())).collect();
    // A level without a title shows its value.
    assert_eq!(ads, [("ad1", "ad1"), ("ad2", "ad2")]);
    // Zero leads and sales: CPL, CPO, conversion to sales, average check undefined; ROI defined (−100 %).
    let ad2 = &brand.children[1].metrics;
    assert_eq!((ad2.cpl, ad2.cpo, ad2.average_check, ad2.conversion_to_sales), (None, None, None, None));
    assert_eq!(ad2.roi, Some(-1.0));
    assert_eq!(ad2.conversion_to_leads, Some(0.0));
    // Zero cost: ROI undefined, CPL zero.
    let seo = &r.rows[1].metrics;
    assert_eq!((seo.roi, seo.cpl, seo.cpo), (None, Some(Money::ZERO), None));
    // Zero visits: conversion to leads undefined.
    let vk = &r.rows[2].metrics;
    assert_eq!(vk.conversion_to_leads, None);
    assert_eq!(vk.conversion_to_sales, Some(1.0));
}

#[test]
fn previous_period() {
    let q = query();
    assert_eq!(q.previous().unwrap(), (d(7), d(9)));
    let r = build(&data(), &q).unwrap();
    assert_eq!((r.previous.from, r.previous.to), (d(7), d(9)));
    let p = r.previous.figures;
    assert_eq!((p.visits, p.leads, p.sales, p.cost), (150, 5, 1, Money::from_rubles(2_000)));
    assert_eq!(r.previous.metrics.cpl, Some(Money::from_rubles(400)));
    // 1000 visits vs 150: +566,7 %
    let c = change(Some(1000.0), Some(150.0)).unwrap();
    assert_eq!(fmt_change(Some(c)), "▲ 566,7\u{a0}%");
    assert_eq!(change(Some(1.0), Some(0.0)), None);
}

#[test]
fn daily_series_and_channel_filter() {
    let r = build(&data(), &query()).unwrap();
    assert_eq!(r.daily.iter().map(|p| p.date).collect::<Vec<_>>(), [d(10), d(11), d(12)]);
    assert_eq!(r.daily.iter().map(|p| p.figures.visits).collect::<Vec<_>>(), [300, 300, 400]);
    let direct = r.daily_by_channel.iter().find(|s| s.key == "direct").unwrap();
    assert_eq!(direct.days.iter().map(|f| f.cost.rubles_rounded()).collect::<Vec<_>>(), [6_000, 3_000, 0]);
    assert_eq!(r.channels.len(), 3);

    let mut q = query();
    q.channel = Some("seo".into());
    let r = build(&data(), &q).unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.totals.figures.visits, 400);
    assert_eq!(r.previous.figures.visits, 50);
    // The filter list still offers every channel.
    assert_eq!(r.channels.len(), 3);
}

#[test]
fn other_groupings() {
    let mut q = query();
    q.grouping = Grouping::Source;
    let r = build(&data(), &q).unwrap();
    assert_eq!(r.rows.len(), 4);
    assert_eq!(r.rows[0].key, "direct/brand");
    assert_eq!(r.rows[0].title, "T-direct / T-brand");
    assert_eq!(r.rows[0].children.len(), 2);
    q.grouping = Grouping::Campaign;
    let r = build(&data(), &q).unwrap();
    assert_eq!(r.rows.len(), 5);
    assert!(r.rows.iter().all(|r| r.children.is_empty()));
    q.grouping = Grouping::Day;
    let r = build(&data(), &q).unwrap();
    assert_eq!(r.rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["10.03.2026", "11.03.2026", "12.03.2026"]);
    let sum: Figures = r.rows.iter().fold(Figures::default(), |mut a, r| {
        a.add(&r.figures);
        a
    });
    assert_eq!(sum, r.totals.figures);
}

#[test]
fn empty_and_invalid() {
    let r = build(&[], &query()).unwrap();
    assert!(r.rows.is_empty());
    assert_eq!(r.totals.metrics.cpl, None);
    assert_eq!(r.totals.metrics.roi, None);
    assert_eq!(r.daily.len(), 3);
    let bad = Query::new(d(12), d(10), Grouping::Channel);
    assert!(matches!(build(&[], &bad), Err(ReportError::InvertedPeriod { .. })));
}

#[test]
fn formatting() {
    assert_eq!(fmt_money(Money(123_456_750)), "1\u{a0}234\u{a0}568\u{a0}₽");
    assert_eq!(fmt_money(Money(-50_000)), "−500\u{a0}₽");
    assert_eq!(fmt_percent(Some(0.125)), "12,5\u{a0}%");
    assert_eq!(fmt_percent(Some(123.456)), "12\u{a0}345,6\u{a0}%");
    assert_eq!(fmt_percent(Some(-0.5)), "−50,0\u{a0}%");
    assert_eq!(fmt_percent(None), "—");
    assert_eq!(fmt_percent(Some(f64::NAN)), "—");
    assert_eq!(fmt_ratio_money(None), "—");
    assert_eq!(fmt_count(1_234_567), "1\u{a0}234\u{a0}567");
    assert_eq!(fmt_change(Some(-0.03)), "▼ 3,0\u{a0}%");
}

#[test]
fn sorting_by_columns() {
    let r = build(&data(), &query()).unwrap();
    let mut rows = r.rows.clone();
    sort_rows(&mut rows, Sort { column: Column::Visits, descending: true });
    assert_eq!(rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["direct", "seo", "vk"]);
    // Children are sorted too; equal visits (300 and 300) keep the title order.
    assert_eq!(rows[0].children.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["brand", "search"]);
    sort_rows(&mut rows, Sort { column: Column::Leads, descending: true });
    assert_eq!(rows[0].children.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["brand", "search"]);
    sort_rows(&mut rows, Sort { column: Column::Leads, descending: false });
    assert_eq!(rows[0].key, "vk");
    assert_eq!(rows[2].children.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["search", "brand"]);
    sort_rows(&mut rows, Sort { column: Column::Roi, descending: false });
    // Undefined ROI (zero cost) sorts before every number.
    assert_eq!(rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["seo", "vk", "direct"]);
    let mut q = query();
    q.grouping = Grouping::Day;
    let mut days = build(&data(), &q).unwrap().rows;
    sort_rows(&mut days, Sort { column: Column::Name, descending: true });
    assert_eq!(days.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["12.03.2026", "11.03.2026", "10.03.2026"]);
}

#[test]
fn comparisons_take_the_same_days_of_an_earlier_month_quarter_or_year() {
    let date = |m: i8, d: i8| jiff::civil::Date::constant(2026, m, d);
    let q = |comparison| Query { comparison, ..Query::new(date(11, 1), date(11, 15), Grouping::Channel) };
    assert_eq!(q(Comparison::PreviousDays).previous().unwrap(), (date(10, 17), date(10, 31)));
    assert_eq!(q(Comparison::MonthAgo).previous().unwrap(), (date(10, 1), date(10, 15)));
    assert_eq!(q(Comparison::QuarterAgo).previous().unwrap(), (date(8, 1), date(8, 15)));
    assert_eq!(
        q(Comparison::YearAgo).previous().unwrap(),
        (jiff::civil::Date::constant(2025, 11, 1), jiff::civil::Date::constant(2025, 11, 15))
    );
    // 31 March against a February: its last day.
    let march = Query { comparison: Comparison::MonthAgo, ..Query::new(date(3, 1), date(3, 31), Grouping::Channel) };
    assert_eq!(march.previous().unwrap(), (date(2, 1), date(2, 28)));
    // The facts a report needs reach back to the compared days.
    assert_eq!(q(Comparison::YearAgo).facts_span().unwrap().0, jiff::civil::Date::constant(2025, 11, 1));
}

/// Level values are opaque keys: an empty one (direct visits), one letter, an id with a number; the
/// titles, non-breaking spaces and all, are what rows show.
#[test]
fn opaque_and_empty_level_values_are_rows_of_their_own() {
    let level = |v: &str, t: &str| Level::new(v, t);
    let mut facts = Vec::new();
    for (l1, l2, visits) in [
        (level("", "Прямые визиты"), level("", ""), 5),
        (level("g", "Google\u{a0}Ads\u{a0}1"), level("", ""), 7),
        (level("g", "Google\u{a0}Ads\u{a0}1"), level("brand", "Бренд"), 11),
        (level("direct27", "Яндекс.Директ"), level("", ""), 13),
    ] {
        let mut f = DailyFact::new(d(10), [l1, l2, level("", "")]);
        f.visits = visits;
        facts.push(f);
    }
    let r = build(&facts, &query()).unwrap();
    let row = |key: &str| r.rows.iter().find(|row| row.key == key).unwrap();
    assert_eq!(r.rows.len(), 3, "the empty channel is neither dropped nor merged");
    assert_eq!((row("").title.as_str(), row("").figures.visits), ("Прямые визиты", 5));
    assert_eq!((row("g").title.as_str(), row("g").figures.visits), ("Google\u{a0}Ads\u{a0}1", 18));
    let g_sources: Vec<(&str, &str)> = row("g").children.iter().map(|c| (c.key.as_str(), c.title.as_str())).collect();
    assert!(g_sources.contains(&("", crate::domain::NO_VALUE)) && g_sources.contains(&("brand", "Бренд")));

    let sources = build(&facts, &Query::new(d(10), d(12), Grouping::Source)).unwrap();
    assert_eq!(sources.rows.len(), 4);
    assert!(
        sources.rows.iter().any(|r| r.key == "/" && r.title == format!("Прямые визиты / {}", crate::domain::NO_VALUE))
    );

    let only_direct = build(&facts, &Query { channel: Some(String::new()), ..query() }).unwrap();
    assert_eq!(only_direct.totals.figures.visits, 5, "the empty value filters like any other");
    assert_eq!(find_channel(&r.channels, "").map(|c| c.title.as_str()), Some("Прямые визиты"));
    assert_eq!(find_channel(&r.channels, "google  ads 1").map(|c| c.key.as_str()), Some("g"));
    assert_eq!(find_channel(&r.channels, "direct27").map(|c| c.title.as_str()), Some("Яндекс.Директ"));
    assert!(find_channel(&r.channels, "Google Ads").is_none());
}
