//! Typed answers of Roistat's API, read tolerantly: field types vary between projects and versions.

use crate::domain::{DailyFact, Level, Money};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;
use std::collections::BTreeMap;

/// A project a key can see (`user/projects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// A JSON integer in Roistat's answer; kept as text, as the project is typed into a form.
    pub id: String,
    pub name: String,
    pub currency: String,
    /// The project's zone when the answer names one (`timezone`), else empty.
    pub time_zone: String,
}

/// One metric of `analytics/metrics-new`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricInfo {
    pub name: String,
    pub title: String,
}

/// A dimension's value in an analytics item (`{"value":"direct","title":"Яндекс.Директ"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DimensionValue {
    pub value: String,
    pub title: String,
}

/// One row of `analytics/data`: its dimensions and raw metric values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalyticsItem {
    pub dimensions: BTreeMap<String, DimensionValue>,
    pub metrics: BTreeMap<String, Value>,
}

/// A manual cost of `analytics/source/cost/list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostRecord {
    pub id: String,
    pub source: String,
    pub name: String,
    pub from_date: String,
    pub to_date: String,
    pub timezone: String,
    pub marketing_cost: Money,
}

/// A call of `calltracking/call/list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoistatCall {
    pub id: String,
    pub callee: String,
    pub caller: String,
    pub duration: u32,
    pub waiting_time: u32,
    pub status: String,
    pub date: Option<Timestamp>,
    pub visit_id: String,
    pub order_id: String,
    pub marker: String,
    pub file_url: String,
}

/// A scalar as text: strings as they are, numbers printed, anything else empty.
pub(crate) fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A JSON scalar as the figures' readers see it, borrowed from either parser's output.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum Scalar<'a> {
    #[default]
    Null,
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'a str),
    /// An array, object or boolean: never a figure.
    Other(&'a Value),
}

impl<'a> Scalar<'a> {
    fn of(v: Option<&'a Value>) -> Scalar<'a> {
        match v {
            None | Some(Value::Null) => Scalar::Null,
            Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Scalar::U64(u),
                (None, Some(i)) => Scalar::I64(i),
                _ => Scalar::F64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Some(Value::String(s)) => Scalar::Str(s),
            Some(other) => Scalar::Other(other),
        }
    }
}

/// A count from an integer, a float or a numeric string; null or absent is zero.
pub(crate) fn count(v: Option<&Value>) -> Result<u64, String> {
    count_of(Scalar::of(v))
}

fn count_of(v: Scalar<'_>) -> Result<u64, String> {
    let as_float = |f: f64| {
        if f.is_finite() && f >= 0.0 {
            Ok(f.round() as u64)
        } else {
            Err(format!("недопустимое число {f}"))
        }
    };
    match v {
        Scalar::Null => Ok(0),
        Scalar::U64(u) => Ok(u),
        Scalar::I64(i) => as_float(i as f64),
        Scalar::F64(f) => as_float(f),
        Scalar::Str(s) if s.trim().is_empty() => Ok(0),
        Scalar::Str(s) => match s.trim().parse::<u64>() {
            Ok(u) => Ok(u),
            Err(_) => as_float(s.trim().replace(',', ".").parse::<f64>().map_err(|_| format!("«{s}» не число"))?),
        },
        Scalar::Other(other) => Err(format!("ожидалось число, получено {other}")),
    }
}

/// Money in roubles from a number or numeric string, exactly; null or absent is zero.
pub(crate) fn money(v: Option<&Value>) -> Result<Money, String> {
    money_of(Scalar::of(v)).ok_or_else(|| format!("«{}» не денежная сумма", v.unwrap_or(&Value::Null)))
}

fn money_of(v: Scalar<'_>) -> Option<Money> {
    match v {
        Scalar::Null => Some(Money::ZERO),
        Scalar::Str(s) if s.trim().is_empty() => Some(Money::ZERO),
        Scalar::Str(s) => Money::parse(s),
        Scalar::U64(u) => Money::from_json(&Value::from(u)),
        Scalar::I64(i) => Some(Money::from_rubles(i)),
        // Through the number's shortest decimal text, as `Money::from_json` does: 120.34 is 12034 kopecks.
        Scalar::F64(f) => Money::from_json(&Value::from(serde_json::Number::from_f64(f)?)),
        Scalar::Other(_) => None,
    }
}

/// The day of a `daily` value: `2026-11-01`, or a date-time whose date we take.
pub(crate) fn day(text: &str) -> Result<Date, String> {
    let t = text.trim();
    t.get(..10).and_then(|d| d.parse::<Date>().ok()).ok_or_else(|| format!("«{t}» не дата"))
}

/// A moment from ISO text (with or without offset; without it, UTC), `YYYY-MM-DD HH:MM:SS`, or UNIX seconds.
pub(crate) fn moment(v: Option<&Value>) -> Option<Timestamp> {
    match v? {
        Value::Number(n) => Timestamp::from_second(n.as_i64()?).ok(),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(ts) = s.parse::<Timestamp>() {
                return Some(ts);
            }
            if let Ok(secs) = s.parse::<i64>() {
                return Timestamp::from_second(secs).ok();
            }
            let dt = s.parse::<jiff::civil::DateTime>().ok()?;
            dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
        }
        _ => None,
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    v.as_object().ok_or_else(|| format!("{what}: ожидался объект, получено {}", short(v)))
}

fn array<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, String> {
    v.as_array().ok_or_else(|| format!("{what}: ожидался список, получено {}", short(v)))
}

/// A value shortened for a message.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

/// A successful answer's payload and `total`, wherever this call keeps it. Roistat's calls differ: most
/// under `data`, `user/projects` under `projects`, `analytics/metrics-new` under `metrics`,
/// `project/proxy-leads` under `ProxyLeads`, `analytics/source/cost/list` a bare array with no envelope.
/// Any call's answer is read in any of these shapes. Error envelopes are the caller's, before this.
pub(crate) fn payload(value: Value, key: &str) -> Result<(Value, Option<u64>), String> {
    let mut map = match value {
        Value::Array(_) => return Ok((value, None)),
        Value::Object(map) => map,
        other => return Err(format!("ожидался объект или список, получено {}", short(&other))),
    };
    let status = map.get("status").map(|s| text(Some(s)));
    if let Some(status) = &status
        && !matches!(status.as_str(), "success" | "ok")
    {
        return Err(format!("неизвестный статус ответа «{status}»"));
    }
    let total = map.get("total").and_then(|t| count(Some(t)).ok());
    match map.remove(key).or_else(|| map.remove("data")) {
        Some(found) => Ok((found, total)),
        // A success that names no list: read as nothing, the parsers say whether that is fine.
        None if status.is_some() => Ok((Value::Null, total)),
        None => Err(format!("в ответе нет полей status, {key} и data: {}", short(&Value::Object(map)))),
    }
}

pub(crate) fn parse_projects(data: &Value) -> Result<Vec<Project>, String> {
    array(data, "projects")?
        .iter()
        .map(|p| {
            let p = object(p, "проект")?;
            Ok(Project {
                id: text(p.get("id")),
                name: text(p.get("name")),
                currency: text(p.get("currency")),
                time_zone: text(p.get("timezone")),
            })
        })
        .collect()
}

/// Metrics come as a flat list or grouped (`[{"metrics":[…]}]`); both are read.
pub(crate) fn parse_metrics(data: &Value) -> Result<Vec<MetricInfo>, String> {
    let mut out = Vec::new();
    let list = match data {
        Value::Object(map) => map.get("metrics").unwrap_or(&Value::Null),
        other => other,
    };
    if list.is_null() {
        return Ok(out);
    }
    for m in array(list, "data")? {
        let m = object(m, "метрика")?;
        if let Some(nested) = m.get("metrics") {
            out.extend(parse_metrics(nested)?);
        } else {
            let name = text(m.get("name"));
            if !name.is_empty() {
                out.push(MetricInfo { name, title: text(m.get("title")) });
            }
        }
    }
    Ok(out)
}

/// Items of `analytics/data`: `data[*].items[*]` (or `data.items`).
pub(crate) fn parse_analytics(data: &Value) -> Result<Vec<AnalyticsItem>, String> {
    let groups: Vec<&Value> = match data {
        Value::Array(groups) => groups.iter().collect(),
        Value::Object(_) => vec![data],
        Value::Null => Vec::new(),
        other => return Err(format!("data: ожидался список, получено {}", short(other))),
    };
    let mut out = Vec::new();
    for group in groups {
        let group = object(group, "data[]")?;
        let Some(items) = group.get("items") else { continue };
        for item in array(items, "items")? {
            out.push(parse_item(item)?);
        }
    }
    Ok(out)
}

fn parse_item(item: &Value) -> Result<AnalyticsItem, String> {
    let item = object(item, "items[]")?;
    let mut parsed = AnalyticsItem::default();
    if let Some(dims) = item.get("dimensions") {
        for (name, v) in object(dims, "dimensions")? {
            let value = match v {
                Value::Object(d) => DimensionValue { value: text(d.get("value")), title: text(d.get("title")) },
                scalar => DimensionValue { value: text(Some(scalar)), title: String::new() },
            };
            parsed.dimensions.insert(name.clone(), value);
        }
    }
    match item.get("metrics") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for m in list {
                let m = object(m, "metrics[]")?;
                let name = text(m.get("metric_name").or_else(|| m.get("name")));
                parsed.metrics.insert(name, m.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        // Some answers key metrics by name: `{"visits": 12}`.
        Some(Value::Object(map)) => {
            for (name, v) in map {
                parsed.metrics.insert(name.clone(), v.clone());
            }
        }
        Some(other) => return Err(format!("metrics: ожидался список, получено {}", short(other))),
    }
    Ok(parsed)
}

/// Which metric names of the project give our figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricNames {
    pub visits: Option<String>,
    pub leads: Option<String>,
    pub sales: Option<String>,
    pub revenue: Option<String>,
    pub cost: Option<String>,
    pub calls: Option<String>,
}

impl Default for MetricNames {
    fn default() -> Self {
        MetricNames {
            visits: Some("visits".into()),
            leads: Some("leads".into()),
            sales: Some("sales".into()),
            revenue: Some("revenue".into()),
            cost: Some("marketing_cost".into()),
            calls: Some("calls".into()),
        }
    }
}

impl MetricNames {
    /// Picks the first candidate name the project has; an empty list means "unknown": use the defaults.
    pub fn choose(available: &[MetricInfo]) -> MetricNames {
        if available.is_empty() {
            return MetricNames::default();
        }
        let pick = |candidates: &[&str]| {
            candidates.iter().find(|c| available.iter().any(|m| m.name == **c)).map(|c| c.to_string())
        };
        MetricNames {
            visits: pick(&["visits", "visit_count"]),
            leads: pick(&["leads", "leads_count"]),
            sales: pick(&["sales", "paid_sales", "sales_count"]),
            revenue: pick(&["revenue", "sales_revenue"]),
            cost: pick(&["marketing_cost", "cost", "costs"]),
            calls: pick(&["calls", "calls_count"]),
        }
    }

    /// The titles of our figures this project has no metric for.
    pub fn missing(&self) -> Vec<String> {
        [
            (&self.visits, "Визиты"),
            (&self.leads, "Заявки"),
            (&self.sales, "Продажи"),
            (&self.revenue, "Выручка"),
            (&self.cost, "Расходы"),
            (&self.calls, "Звонки"),
        ]
        .into_iter()
        .filter(|(name, _)| name.is_none())
        .map(|(_, title)| title.to_string())
        .collect()
    }

    pub fn list(&self) -> Vec<&str> {
        [&self.visits, &self.leads, &self.sales, &self.revenue, &self.cost, &self.calls]
            .into_iter()
            .filter_map(|m| m.as_deref())
            .collect()
    }
}

pub(crate) const DAILY: &str = "daily";
pub(crate) const LEVELS: [&str; 3] = ["marker_level_1", "marker_level_2", "marker_level_3"];

/// One row's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    visits: u64,
    leads: u64,
    sales: u64,
    calls: u64,
    revenue: Money,
    cost: Money,
}

/// Facts per (date, level values), sorted by them; rows Roistat repeats for one key are added up,
/// the first row's titles kept.
fn sum_rows(mut rows: Vec<(Date, [Level; 3], Figures)>) -> Vec<DailyFact> {
    fn key(r: &(Date, [Level; 3], Figures)) -> (Date, [&str; 3]) {
        (r.0, r.1.each_ref().map(|l| l.value.as_str()))
    }
    rows.sort_by(|a, b| key(a).cmp(&key(b)));
    let add = |fact: &mut DailyFact, f: Figures| {
        fact.visits = fact.visits.saturating_add(f.visits);
        fact.leads = fact.leads.saturating_add(f.leads);
        fact.sales = fact.sales.saturating_add(f.sales);
        fact.calls = fact.calls.saturating_add(f.calls);
        fact.revenue += f.revenue;
        fact.cost += f.cost;
    };
    let mut out: Vec<DailyFact> = Vec::with_capacity(rows.len());
    for (date, levels, f) in rows {
        match out.last_mut() {
            Some(last) if last.date == date && last.key_levels() == levels.each_ref().map(|l| l.value.as_str()) => {
                add(last, f)
            }
            _ => {
                let mut fact = DailyFact::new(date, levels);
                add(&mut fact, f);
                out.push(fact);
            }
        }
    }
    out
}

/// Facts per (date, levels) from parsed items; errors say which figure was wrong.
pub(crate) fn items_to_facts(items: &[AnalyticsItem], names: &MetricNames) -> Result<Vec<DailyFact>, String> {
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let date = match item.dimensions.get(DAILY) {
            Some(d) => day(&d.value)?,
            None => return Err("в строке нет измерения daily".into()),
        };
        let levels: [Level; 3] = LEVELS.map(|l| {
            let d = item.dimensions.get(l).cloned().unwrap_or_default();
            Level::new(d.value, d.title)
        });
        let metric = |name: &Option<String>| name.as_ref().and_then(|n| item.metrics.get(n));
        let with = |what: &str, e: String| format!("{what}: {e}");
        let figures = Figures {
            visits: count(metric(&names.visits)).map_err(|e| with("visits", e))?,
            leads: count(metric(&names.leads)).map_err(|e| with("leads", e))?,
            sales: count(metric(&names.sales)).map_err(|e| with("sales", e))?,
            calls: count(metric(&names.calls)).map_err(|e| with("calls", e))?,
            revenue: money(metric(&names.revenue)).map_err(|e| with("revenue", e))?,
            cost: money(metric(&names.cost)).map_err(|e| with("marketing_cost", e))?,
        };
        rows.push((date, levels, figures));
    }
    Ok(sum_rows(rows))
}

/// The usual answer of `analytics/data` read straight from the body into facts, without building a
/// `serde_json::Value` per item (a 31-day answer of a big project has tens of thousands of items).
/// `None` for anything else — an error envelope, another shape, an odd value — which the caller
/// then reads the slow, tolerant way, with its precise messages.
pub(crate) fn daily_facts_fast(body: &[u8], names: &MetricNames) -> Option<Vec<DailyFact>> {
    let parsed: fast::Body<'_> = serde_json::from_slice(body).ok()?;
    match (parsed.status.as_deref(), &parsed.data) {
        (Some("success"), _) | (None, Some(_)) => {}
        _ => return None,
    }
    let mut rows = Vec::new();
    for group in parsed.data.unwrap_or_default() {
        for item in group.items.unwrap_or_default() {
            let date = day(item.dimensions.daily?.value.as_ref()?).ok()?;
            let levels = item.dimensions.levels.map(|d| {
                let d = d.unwrap_or_default();
                Level::new(d.value.unwrap_or_default(), d.title.unwrap_or_default())
            });
            let mut values: [Scalar<'_>; 6] = Default::default();
            let slots = [&names.visits, &names.leads, &names.sales, &names.calls, &names.revenue, &names.cost];
            let metrics = item.metrics.unwrap_or_default();
            for m in &metrics {
                let name = m.metric_name.as_deref().or(m.name.as_deref())?;
                // Later rows of one name win, as in the tolerant reader's map.
                for (slot, wanted) in values.iter_mut().zip(slots) {
                    if wanted.as_deref() == Some(name) {
                        *slot = m.value.scalar();
                    }
                }
            }
            let [visits, leads, sales, calls, revenue, cost] = values;
            let figures = Figures {
                visits: count_of(visits).ok()?,
                leads: count_of(leads).ok()?,
                sales: count_of(sales).ok()?,
                calls: count_of(calls).ok()?,
                revenue: money_of(revenue)?,
                cost: money_of(cost)?,
            };
            rows.push((date, levels, figures));
        }
    }
    Some(sum_rows(rows))
}

/// Borrowing readers of the usual `analytics/data` answer; unknown fields are skipped.
mod fast {
    use super::{DAILY, LEVELS, Scalar};
    use serde::Deserialize;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
    use std::borrow::Cow;
    use std::fmt;
    use std::marker::PhantomData;

    #[derive(Deserialize)]
    pub(super) struct Body<'a> {
        #[serde(borrow)]
        pub status: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub data: Option<Vec<Group<'a>>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Group<'a> {
        #[serde(borrow)]
        pub items: Option<Vec<Item<'a>>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Item<'a> {
        #[serde(borrow, default)]
        pub dimensions: Dimensions<'a>,
        #[serde(borrow)]
        pub metrics: Option<Vec<Metric<'a>>>,
    }

    #[derive(Clone, Default, Deserialize)]
    pub(super) struct Dimension<'a> {
        #[serde(borrow)]
        pub value: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub title: Option<Cow<'a, str>>,
    }

    /// Only the day and the three marker levels; other dimensions are skipped.
    #[derive(Default)]
    pub(super) struct Dimensions<'a> {
        pub daily: Option<Dimension<'a>>,
        pub levels: [Option<Dimension<'a>>; 3],
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Dimensions<'a> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V<'a>(PhantomData<Dimensions<'a>>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Dimensions<'a>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object of dimensions")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dimensions<'a>, A::Error> {
                    let mut out = Dimensions::default();
                    while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                        let slot = if name == DAILY {
                            Some(&mut out.daily)
                        } else {
                            LEVELS.iter().position(|l| *l == name).map(|i| &mut out.levels[i])
                        };
                        match slot {
                            Some(slot) => *slot = Some(map.next_value()?),
                            None => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    Ok(out)
                }
            }
            deserializer.deserialize_map(V(PhantomData))
        }
    }

    #[derive(Deserialize)]
    pub(super) struct Metric<'a> {
        #[serde(borrow)]
        pub metric_name: Option<Cow<'a, str>>,
        #[serde(borrow)]
        pub name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        pub value: Number<'a>,
    }

    /// A metric's value: a number, a numeric string or null; anything else fails the fast read.
    #[derive(Default)]
    pub(super) enum Number<'a> {
        #[default]
        Null,
        U64(u64),
        I64(i64),
        F64(f64),
        Str(Cow<'a, str>),
    }

    impl Number<'_> {
        pub fn scalar(&self) -> Scalar<'_> {
            match self {
                Number::Null => Scalar::Null,
                Number::U64(u) => Scalar::U64(*u),
                Number::I64(i) => Scalar::I64(*i),
                Number::F64(f) => Scalar::F64(*f),
                Number::Str(s) => Scalar::Str(s),
            }
        }
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Number<'a> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V<'a>(PhantomData<Number<'a>>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Number<'a>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a number, a numeric string or null")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number<'a>, E> {
                    Ok(Number::U64(v))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number<'a>, E> {
                    Ok(if v >= 0 { Number::U64(v as u64) } else { Number::I64(v) })
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number<'a>, E> {
                    Ok(Number::F64(v))
                }
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Number<'a>, E> {
                    Ok(Number::Str(Cow::Borrowed(v)))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Number<'a>, E> {
                    Ok(Number::Str(Cow::Owned(v.to_string())))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Number<'a>, E> {
                    Ok(Number::Null)
                }
                fn visit_none<E: de::Error>(self) -> Result<Number<'a>, E> {
                    Ok(Number::Null)
                }
            }
            deserializer.deserialize_any(V(PhantomData))
        }
    }
}

pub(crate) fn parse_costs(data: &Value) -> Result<Vec<CostRecord>, String> {
    array(data, "data")?
        .iter()
        .map(|c| {
            let c = object(c, "расход")?;
            Ok(CostRecord {
                id: text(c.get("id")),
                source: text(c.get("source")),
                name: text(c.get("name")),
                from_date: text(c.get("from_date")),
                to_date: text(c.get("to_date")),
                timezone: text(c.get("timezone")),
                marketing_cost: money(c.get("marketing_cost")).map_err(|e| format!("marketing_cost: {e}"))?,
            })
        })
        .collect()
}

pub(crate) fn parse_calls(data: &Value) -> Result<Vec<RoistatCall>, String> {
    array(data, "data")?
        .iter()
        .map(|c| {
            let c = object(c, "звонок")?;
            let small = |k: &str| count(c.get(k)).map(|n| n.min(u64::from(u32::MAX)) as u32);
            Ok(RoistatCall {
                id: text(c.get("id")),
                callee: text(c.get("callee")),
                caller: text(c.get("caller")),
                duration: small("duration").map_err(|e| format!("duration: {e}"))?,
                waiting_time: small("waiting_time").map_err(|e| format!("waiting_time: {e}"))?,
                status: text(c.get("status")),
                date: moment(c.get("date")),
                visit_id: text(c.get("visit_id")),
                order_id: text(c.get("order_id")),
                marker: text(c.get("marker")),
                file_url: text(c.get("file_url").or_else(|| c.get("link"))),
            })
        })
        .collect()
}

/// Roistat's proxy leads (`project/proxy-leads`), read straight into the domain's record.
pub(crate) fn parse_proxy_leads(data: &Value) -> Result<Vec<crate::domain::RoistatLead>, String> {
    array(data, "data")?
        .iter()
        .map(|l| {
            let l = object(l, "проксилид")?;
            Ok(crate::domain::RoistatLead {
                id: text(l.get("id")).trim().to_string(),
                order_id: text(l.get("order_id")).trim().to_string(),
                title: text(l.get("title")),
                text: text(l.get("text")),
                name: text(l.get("name")),
                phone: text(l.get("phone")),
                email: text(l.get("email")),
                created: text(l.get("creation_date").or_else(|| l.get("created_date"))),
                // Roistat's answer names the visit `roistat`.
                visit: text(l.get("roistat").or_else(|| l.get("visit_id")).or_else(|| l.get("visit"))),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_and_money_are_tolerant() {
        assert_eq!(count(Some(&json!(12))), Ok(12));
        assert_eq!(count(Some(&json!(12.0))), Ok(12));
        assert_eq!(count(Some(&json!("12"))), Ok(12));
        assert_eq!(count(None), Ok(0));
        assert!(count(Some(&json!("abc"))).is_err());
        assert_eq!(money(Some(&json!(120.34))), Ok(Money(12034)));
        assert_eq!(money(Some(&json!("99.5"))), Ok(Money(9950)));
        assert_eq!(money(None), Ok(Money::ZERO));
    }

    #[test]
    fn days_from_dates_and_date_times() {
        assert_eq!(day("2026-11-01"), Ok(Date::constant(2026, 11, 1)));
        assert_eq!(day("2026-11-01T00:00:00+0300"), Ok(Date::constant(2026, 11, 1)));
        assert!(day("вчера").is_err());
    }

    #[test]
    fn items_become_facts() {
        let data = json!([{"items":[
            {"dimensions":{"daily":{"value":"2026-11-01T00:00:00+0300"},"marker_level_1":{"value":"direct","title":"Яндекс.Директ"},
             "marker_level_2":{"value":"brand","title":"Бренд"}},
             "metrics":[{"metric_name":"visits","value":"10"},{"metric_name":"revenue","value":120.34}]},
            {"dimensions":{"daily":{"value":"2026-11-01"},"marker_level_1":{"value":"direct","title":"Яндекс.Директ"},
             "marker_level_2":{"value":"brand","title":"Бренд"}},
             "metrics":[{"metric_name":"visits","value":5}]}
        ]}]);
        let items = parse_analytics(&data).unwrap();
        let facts = items_to_facts(&items, &MetricNames::default()).unwrap();
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].visits, 15);
        assert_eq!(facts[0].revenue, Money(12034));
        assert_eq!(facts[0].path.channel.title, "Яндекс.Директ");
        assert_eq!(facts[0].leads, 0);
    }

    /// The fast reader gives exactly what the tolerant one gives, and steps aside for what it cannot read.
    #[test]
    fn the_fast_reader_agrees_with_the_tolerant_one() {
        let body = |data: Value| json!({"status": "success", "data": data, "total": 3}).to_string();
        let usual = json!([{"items":[
            {"dimensions":{"daily":{"value":"2026-11-02","title":"2 ноября"},"marker_level_1":{"value":"vk","title":"ВКонтакте"},
             "marker_level_2":{"value":"ads"},"marker_level_3":{"value":"x\"y","title":null},"landing":{"value":"/"}},
             "metrics":[{"metric_name":"visits","value":7},{"metric_name":"leads","value":"3"},{"metric_name":"sales","value":1.0},
                        {"metric_name":"revenue","value":"1 500,5"},{"metric_name":"marketing_cost","value":120.34},
                        {"metric_name":"profit","value":-5},{"name":"calls","value":null}]},
            {"dimensions":{"daily":{"value":"2026-11-01T00:00:00+0300"},"marker_level_1":{"value":"direct","title":"Яндекс.Директ"}},
             "metrics":[{"metric_name":"visits","value":5},{"metric_name":"revenue","value":-12}]},
            {"dimensions":{"daily":{"value":"2026-11-01"},"marker_level_1":{"value":"direct","title":"Другое"}},
             "metrics":[{"metric_name":"visits","value":"10"},{"metric_name":"visits","value":2}]}
        ]}]);
        let names = MetricNames::default();
        let tolerant = |text: &str| {
            let value: Value = serde_json::from_str(text).unwrap();
            items_to_facts(&parse_analytics(&value["data"]).unwrap(), &names)
        };
        let text = body(usual);
        let fast = daily_facts_fast(text.as_bytes(), &names).expect("the usual shape is read fast");
        assert_eq!(Ok(fast.clone()), tolerant(&text));
        assert_eq!(fast.len(), 2, "repeated rows of one key are added up");
        assert_eq!(
            (fast[0].visits, fast[0].revenue, fast[0].path.channel.title.as_str()),
            (7, Money(-1200), "Яндекс.Директ")
        );
        assert_eq!((fast[1].leads, fast[1].revenue, fast[1].cost), (3, Money(150_050), Money(12_034)));
        assert_eq!(fast[1].path.campaign.value, "x\"y");

        // Shapes and values only the tolerant reader takes, or only it can explain.
        for odd in [
            json!([{"items":[{"dimensions":{"daily":"2026-11-01"},"metrics":[]}]}]),
            json!([{"items":[{"dimensions":{"daily":{"value":"2026-11-01"}},"metrics":{"visits":3}}]}]),
            json!([{"items":[{"dimensions":{"daily":{"value":"2026-11-01"}},"metrics":[{"metric_name":"visits","value":"abc"}]}]}]),
            json!([{"items":[{"dimensions":{"daily":{"value":"2026-11-01"}},"metrics":[{"metric_name":"visits","value":-1}]}]}]),
            json!([{"items":[{"dimensions":{"marker_level_1":{"value":"vk"}},"metrics":[]}]}]),
            json!({"items":[]}),
        ] {
            assert_eq!(daily_facts_fast(body(odd).as_bytes(), &names), None);
        }
        let error = json!({"status": "error", "error": "request_limit_error", "data": []}).to_string();
        assert_eq!(daily_facts_fast(error.as_bytes(), &names), None);
        assert_eq!(daily_facts_fast(b"{\"status\":\"success\",\"data\":[", &names), None);
    }

    /// What `client::envelope` hands the parsers for each real answer shape of PROTOCOL.md §2.
    fn read(body: Value, key: &str) -> Value {
        payload(body, key).unwrap().0
    }

    #[test]
    fn projects_under_projects_with_integer_ids() {
        let body = json!({"projects":[{"id":58211,"name":"Магазин","currency":"RUB","creation_date":"2019-01-01"}],
                          "status":"success"});
        let projects = parse_projects(&read(body, "projects")).unwrap();
        let expected =
            Project {
                id: "58211".into(), name: "Магазин".into(), currency: "RUB".into(), time_zone: String::new()
            };
        assert_eq!(projects, [expected]);
    }

    #[test]
    fn metrics_under_metrics() {
        let body = json!({"metrics":[{"name":"visits","title":"Визиты","type":"int"},{"name":"marketing_cost","title":"Расходы"}],
                          "status":"success"});
        let names: Vec<String> = parse_metrics(&read(body, "metrics")).unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["visits", "marketing_cost"]);
    }

    #[test]
    fn proxy_leads_under_proxy_leads_without_status() {
        let body = json!({"ProxyLeads":[{"id":"101","title":"Заявка с сайта","text":"","name":"Иван","phone":"79991234567",
                          "email":null,"roistat":"3121512","creation_date":"2016-07-12 14:51:39","order_id":"17"}]});
        let leads = parse_proxy_leads(&read(body, "ProxyLeads")).unwrap();
        assert_eq!(leads.len(), 1);
        assert_eq!((leads[0].id.as_str(), leads[0].order_id.as_str()), ("101", "17"));
        assert_eq!((leads[0].visit.as_str(), leads[0].email.as_str()), ("3121512", ""));
        assert_eq!(leads[0].created, "2016-07-12 14:51:39");
    }

    #[test]
    fn costs_as_a_bare_array() {
        let body = json!([{"id":1,"source":"direct27","name":"Наружная реклама","from_date":"2026-11-01 00:00:00",
                           "to_date":"2026-11-30 23:59:59","timezone":"Europe/Moscow","marketing_cost":15000.5}]);
        let costs = parse_costs(&read(body, "data")).unwrap();
        assert_eq!((costs[0].id.as_str(), costs[0].marketing_cost), ("1", Money(1_500_050)));
    }

    #[test]
    fn the_usual_envelope_and_odd_ones() {
        let (data, total) = payload(json!({"status":"success","data":[1,2],"total":2}), "projects").unwrap();
        assert_eq!((data, total), (json!([1, 2]), Some(2)), "`data` is read whatever the call's own key");
        assert!(payload(json!({"status":"wait","data":[]}), "data").is_err());
        assert!(payload(json!({"something":"else"}), "data").is_err());
        assert!(payload(json!("text"), "data").is_err());
    }

    #[test]
    fn call_moments() {
        let ts = moment(Some(&json!("2018-01-26T13:10:43+0000"))).unwrap();
        assert_eq!(ts.as_second(), 1_516_972_243);
        assert_eq!(moment(Some(&json!("2018-01-26 13:10:43"))), Some(ts));
    }
}
