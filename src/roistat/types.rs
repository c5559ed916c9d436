//! Typed answers of Roistat's API, read tolerantly: field types vary between projects and versions.

use crate::domain::{DailyFact, Level, Money};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;
use std::collections::BTreeMap;

/// A project a key can see (`user/projects`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub name: String,
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

/// A proxy lead Roistat produced (`project/proxy-leads`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyLead {
    pub id: String,
    pub order_id: String,
    pub title: String,
    pub text: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub creation_date: String,
    pub visit_id: String,
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

/// A count from an integer, a float or a numeric string; null or absent is zero.
pub(crate) fn count(v: Option<&Value>) -> Result<u64, String> {
    let as_float = |f: f64| {
        if f.is_finite() && f >= 0.0 {
            Ok(f.round() as u64)
        } else {
            Err(format!("недопустимое число {f}"))
        }
    };
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(u) => Ok(u),
            None => as_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(0),
        Some(Value::String(s)) => match s.trim().parse::<u64>() {
            Ok(u) => Ok(u),
            Err(_) => as_float(s.trim().replace(',', ".").parse::<f64>().map_err(|_| format!("«{s}» не число"))?),
        },
        Some(other) => Err(format!("ожидалось число, получено {other}")),
    }
}

/// Money in roubles from a number or numeric string, exactly; null or absent is zero.
pub(crate) fn money(v: Option<&Value>) -> Result<Money, String> {
    match v {
        None | Some(Value::Null) => Ok(Money::ZERO),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Money::ZERO),
        Some(v) => Money::from_json(v).ok_or_else(|| format!("«{v}» не денежная сумма")),
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

pub(crate) fn parse_projects(data: &Value) -> Result<Vec<Project>, String> {
    array(data, "data")?
        .iter()
        .map(|p| {
            let p = object(p, "проект")?;
            Ok(Project { id: text(p.get("id")), name: text(p.get("name")) })
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

    pub fn list(&self) -> Vec<&str> {
        [&self.visits, &self.leads, &self.sales, &self.revenue, &self.cost, &self.calls]
            .into_iter()
            .filter_map(|m| m.as_deref())
            .collect()
    }
}

pub(crate) const DAILY: &str = "daily";
pub(crate) const LEVELS: [&str; 3] = ["marker_level_1", "marker_level_2", "marker_level_3"];

/// Facts per (date, levels); rows Roistat repeats for one key are added up.
pub(crate) fn items_to_facts(items: &[AnalyticsItem], names: &MetricNames) -> Result<Vec<DailyFact>, String> {
    let mut by_key: BTreeMap<(Date, [String; 3]), DailyFact> = BTreeMap::new();
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
        let visits = count(metric(&names.visits)).map_err(|e| with("visits", e))?;
        let leads = count(metric(&names.leads)).map_err(|e| with("leads", e))?;
        let sales = count(metric(&names.sales)).map_err(|e| with("sales", e))?;
        let calls = count(metric(&names.calls)).map_err(|e| with("calls", e))?;
        let revenue = money(metric(&names.revenue)).map_err(|e| with("revenue", e))?;
        let cost = money(metric(&names.cost)).map_err(|e| with("marketing_cost", e))?;
        let key = (date, levels.clone().map(|l| l.value));
        let fact = by_key.entry(key).or_insert_with(|| DailyFact::new(date, levels));
        fact.visits += visits;
        fact.leads += leads;
        fact.sales += sales;
        fact.calls += calls;
        fact.revenue += revenue;
        fact.cost += cost;
    }
    Ok(by_key.into_values().collect())
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

pub(crate) fn parse_proxy_leads(data: &Value) -> Result<Vec<ProxyLead>, String> {
    array(data, "data")?
        .iter()
        .map(|l| {
            let l = object(l, "проксилид")?;
            Ok(ProxyLead {
                id: text(l.get("id")),
                order_id: text(l.get("order_id")),
                title: text(l.get("title")),
                text: text(l.get("text")),
                name: text(l.get("name")),
                phone: text(l.get("phone")),
                email: text(l.get("email")),
                creation_date: text(l.get("creation_date").or_else(|| l.get("created_date"))),
                visit_id: text(l.get("visit_id").or_else(|| l.get("visit"))),
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
        assert_eq!(facts[0].levels[0].title, "Яндекс.Директ");
        assert_eq!(facts[0].leads, 0);
    }

    #[test]
    fn call_moments() {
        let ts = moment(Some(&json!("2018-01-26T13:10:43+0000"))).unwrap();
        assert_eq!(ts.as_second(), 1_516_972_243);
        assert_eq!(moment(Some(&json!("2018-01-26 13:10:43"))), Some(ts));
    }
}
