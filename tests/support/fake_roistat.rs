//! A fake Roistat REST API (`shared/PROTOCOL.md` §2) on 127.0.0.1:0, with deterministic facts and
//! switches for every failure the sync job must survive or report. Shared by tests and the benchmark.
//!
//! It answers in Roistat's real shapes, not in ours: each call's own top-level key (`projects`,
//! `metrics`, `ProxyLeads`), integer project ids, a bare array for manual costs, opaque level values
//! (`direct27`, `g`, and an empty one for direct visits), titles with non-breaking spaces, and a
//! `request_data_validation_error` for a metric the project does not have.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde_json::{Value, json};
use skvoz::domain::{DailyFact, Level, Money};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "test-api-key-7f3a9c0b1e";
pub const PROJECT: &str = "12345";

#[derive(Clone, Debug)]
pub struct FakeConfig {
    pub key: String,
    pub project: String,
    /// Marker triples are channels × sources × campaigns.
    pub channels: usize,
    pub sources: usize,
    pub campaigns: usize,
    /// "Today" of the fake: `bump_recent` changes the 14 days up to it.
    pub today: Date,
    /// Calls per day in `calltracking/call/list`.
    pub calls_per_day: usize,
    /// The project has call tracking: `calls` is among its metrics.
    pub has_calls: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            key: KEY.into(),
            project: PROJECT.into(),
            channels: 3,
            sources: 2,
            campaigns: 2,
            today: Date::constant(2026, 11, 24),
            calls_per_day: 2,
            has_calls: true,
        }
    }
}

/// Failure switches; all off by default.
#[derive(Clone, Debug, Default)]
pub struct Switches {
    /// Every call answers `{"status":"error","error":"internal_error"}` with HTTP 200.
    pub error_200: bool,
    /// The next N data requests answer `request_limit_error`.
    pub rate_limit_times: u32,
    /// Rate limits come as HTTP 429 (with `Retry-After: 0`) instead of an envelope with HTTP 200.
    pub rate_limit_429: bool,
    /// Data requests longer than this many days answer "Try smaller period".
    pub max_period_days: Option<i64>,
    /// Every call answers HTTP 500.
    pub http_500: bool,
    /// Every call answers a JSON body cut in half.
    pub truncated: bool,
    /// Every call waits this long before answering.
    pub slow: Option<Duration>,
    /// The k-th data request (1-based, counted since the last reset) answers HTTP 500.
    pub fail_at_data_request: Option<usize>,
    /// Adds 1000 visits to every fact of the 14 days up to `today`.
    pub bump_recent: bool,
    /// Error descriptions repeat the key they were given (as a careless server might).
    pub echo_key: bool,
    /// `project/proxy-leads` answers `access_denied` with HTTP 200 (a key or tariff without it).
    pub proxy_leads_denied: bool,
    /// A wrong key is answered `authentication_failed` with HTTP 200 instead of 401 (Roistat may
    /// answer either way: the envelope's `status` is what tells).
    pub auth_error_200: bool,
}

pub struct FakeState {
    pub config: FakeConfig,
    pub switches: Mutex<Switches>,
    /// Periods of the data requests, in arrival order (the days as sent).
    pub data_requests: Mutex<Vec<(Date, Date)>>,
    /// The same periods' `from` and `to` exactly as sent, offsets included.
    pub data_periods: Mutex<Vec<(String, String)>>,
    /// What `project/proxy-leads` lists instead of its generated leads (filtered by `creation_date`).
    pub proxy_leads: Mutex<Option<Vec<Value>>>,
    pub requests: AtomicUsize,
}

impl FakeState {
    pub fn set(&self, change: impl FnOnce(&mut Switches)) {
        change(&mut self.switches.lock().unwrap());
    }
    pub fn switches(&self) -> Switches {
        self.switches.lock().unwrap().clone()
    }
    pub fn data_requests(&self) -> Vec<(Date, Date)> {
        self.data_requests.lock().unwrap().clone()
    }
    pub fn data_periods(&self) -> Vec<(String, String)> {
        self.data_periods.lock().unwrap().clone()
    }
    pub fn reset_counts(&self) {
        self.data_requests.lock().unwrap().clear();
        self.data_periods.lock().unwrap().clear();
        self.requests.store(0, Ordering::SeqCst);
    }
}

pub struct Fake {
    /// The API base, e.g. `http://127.0.0.1:40123/api/v1`.
    pub url: String,
    pub state: Arc<FakeState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(config: FakeConfig) -> Fake {
    let state = Arc::new(FakeState {
        config,
        switches: Mutex::new(Switches::default()),
        data_requests: Mutex::new(Vec::new()),
        data_periods: Mutex::new(Vec::new()),
        proxy_leads: Mutex::new(None),
        requests: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/api/v1/user/projects", get(projects))
        .route("/api/v1/project/analytics/metrics-new", post(metrics))
        .route("/api/v1/project/analytics/data", post(data))
        .route("/api/v1/project/analytics/source/cost/list", post(costs))
        .route("/api/v1/project/calltracking/call/list", post(calls))
        .route("/api/v1/project/proxy-leads", get(proxy_leads))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Fake { url: format!("http://{addr}/api/v1"), state, task }
}

// ---- deterministic facts ----

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn day_number(date: Date) -> u64 {
    date.since(Date::constant(2000, 1, 1)).unwrap().get_days() as u64
}

fn hash(date: Date, c: usize, s: usize, k: usize) -> u64 {
    mix(day_number(date) ^ mix((c as u64) << 40 ^ (s as u64) << 20 ^ k as u64))
}

/// Level-1 values as real projects have them: opaque ids of channel and integration, an empty value
/// for direct visits, titles with non-breaking spaces.
const CHANNELS: [(&str, &str); 5] = [
    ("", "Прямые визиты"),
    ("direct27", "Яндекс.Директ"),
    ("g", "Google\u{a0}Ads\u{a0}1"),
    ("avito11", "Авито"),
    ("google17", "Google Ads 17"),
];

pub fn levels(c: usize, s: usize, k: usize) -> [Level; 3] {
    let channel = match CHANNELS.get(c) {
        Some((value, title)) => Level::new(*value, *title),
        None => Level::new(format!("ch{c}"), format!("Канал {c}")),
    };
    // Direct visits have no source either: an empty value on level 2 too.
    let source = if c == 0 && s == 0 {
        Level::new("", "")
    } else {
        Level::new(format!("ch{c}_src{s}"), format!("Источник {s}"))
    };
    [channel, source, Level::new(format!("cmp{k}"), format!("Кампания «{k}»"))]
}

/// The figures of one row (a fact without its date and levels).
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub visits: u64,
    pub leads: u64,
    pub sales: u64,
    pub calls: u64,
    pub revenue: Money,
    pub cost: Money,
}

/// The figures the fake serves for a day and a triple; `None` when Roistat would send no row.
fn figures(config: &FakeConfig, bump: bool, date: Date, h: u64) -> Option<Figures> {
    if h.is_multiple_of(11) {
        return None;
    }
    let mut visits = (h >> 8) % 500;
    let leads = visits / 20;
    let sales = leads / 3;
    let recent_start = config.today.checked_sub(jiff::Span::new().days(13)).unwrap();
    if bump && date >= recent_start && date <= config.today {
        visits += 1000;
    }
    Some(Figures {
        visits,
        leads,
        sales,
        calls: leads / 2,
        revenue: if sales > 0 { Money(((h >> 20) % 10_000_000) as i64) } else { Money::ZERO },
        cost: if h.is_multiple_of(5) { Money::ZERO } else { Money(((h >> 40) % 500_000) as i64) },
    })
}

/// The fact the fake serves for a day and a triple; `None` when Roistat would send no row.
pub fn fact(config: &FakeConfig, bump: bool, date: Date, c: usize, s: usize, k: usize) -> Option<DailyFact> {
    let f = figures(config, bump, date, hash(date, c, s, k))?;
    Some(DailyFact {
        visits: f.visits,
        leads: f.leads,
        sales: f.sales,
        calls: f.calls,
        revenue: f.revenue,
        cost: f.cost,
        ..DailyFact::new(date, levels(c, s, k))
    })
}

fn each_day(from: Date, to: Date) -> impl Iterator<Item = Date> {
    let mut d = Some(from);
    std::iter::from_fn(move || {
        let cur = d.filter(|x| *x <= to)?;
        d = cur.tomorrow().ok();
        Some(cur)
    })
}

/// Every fact the fake serves for `from..=to` (source id 0), sorted by date and levels.
pub fn expected_facts(config: &FakeConfig, bump: bool, from: Date, to: Date) -> Vec<DailyFact> {
    let mut out = Vec::new();
    for date in each_day(from, to) {
        for c in 0..config.channels {
            for s in 0..config.sources {
                for k in 0..config.campaigns {
                    out.extend(fact(config, bump, date, c, s, k));
                }
            }
        }
    }
    sort_facts(&mut out);
    out
}

pub fn sort_facts(facts: &mut [DailyFact]) {
    facts.sort_by(|a, b| (a.date, a.key_levels()).cmp(&(b.date, b.key_levels())));
}

/// Money as Roistat may send it: a number or a numeric string, in roubles.
fn write_money(out: &mut Vec<u8>, m: Money, as_text: bool) {
    let text = m.to_decimal_string();
    if as_text {
        write!(out, "\"{text}\"").unwrap();
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

fn write_json_str(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(&mut *out, text).unwrap();
}

/// The dimensions of a triple's items, rendered once per answer: `"marker_level_1":{…},…`.
fn levels_json(c: usize, s: usize, k: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, level) in ["marker_level_1", "marker_level_2", "marker_level_3"].iter().zip(levels(c, s, k)) {
        if !out.is_empty() {
            out.push(b',');
        }
        write!(out, "\"{name}\":{{\"value\":").unwrap();
        write_json_str(&mut out, &level.value);
        out.extend_from_slice(b",\"title\":");
        write_json_str(&mut out, &level.title);
        out.push(b'}');
    }
    out
}

/// One item, in the varied shapes the real API uses (dates with times, numbers as strings, missing
/// metrics), written straight into the answer: a server streams rows, it does not build a tree of them.
fn write_item(out: &mut Vec<u8>, date: Date, f: &Figures, h: u64, levels: &[u8], metrics: &[String]) {
    out.extend_from_slice(b"{\"dimensions\":{\"daily\":");
    if h.is_multiple_of(2) {
        write!(out, "{{\"value\":\"{date}\",\"title\":\"{date}\"}}").unwrap();
    } else {
        write!(out, "{{\"value\":\"{date}T00:00:00+0300\",\"title\":\"{date}T00:00:00+0300\"}}").unwrap();
    }
    out.push(b',');
    out.extend_from_slice(levels);
    out.extend_from_slice(b"},\"metrics\":[");
    let mut first = true;
    for name in metrics {
        let start = out.len();
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"metric_name\":");
        write_json_str(out, name);
        out.extend_from_slice(b",\"value\":");
        match name.as_str() {
            "visits" => write!(out, "{}", f.visits).unwrap(),
            "leads" if h.is_multiple_of(3) => write!(out, "\"{}\"", f.leads).unwrap(),
            "leads" => write!(out, "{}", f.leads).unwrap(),
            "sales" if h.is_multiple_of(7) => write!(out, "{}.0", f.sales).unwrap(),
            "sales" => write!(out, "{}", f.sales).unwrap(),
            "revenue" => write_money(out, f.revenue, h % 4 < 2),
            "marketing_cost" if f.cost != Money::ZERO => write_money(out, f.cost, h % 4 == 3),
            "calls" if f.calls != 0 => write!(out, "{}", f.calls).unwrap(),
            _ => {
                out.truncate(start);
                continue;
            }
        }
        out.push(b'}');
        first = false;
    }
    out.extend_from_slice(b"]}");
}

// ---- HTTP ----

fn envelope_error(code: &str, description: &str) -> Value {
    json!({"status": "error", "error": code, "description": description})
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    query.as_deref()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Checks shared by every call: switches, key, project. `Err` is the answer to send.
async fn check(
    state: &FakeState,
    headers: &HeaderMap,
    query: &Option<String>,
    project_call: bool,
) -> Result<(), Response> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let sw = state.switches();
    if let Some(delay) = sw.slow {
        tokio::time::sleep(delay).await;
    }
    let key = headers.get("api-key").and_then(|v| v.to_str().ok()).unwrap_or("");
    if key != state.config.key {
        let description = if sw.echo_key { format!("Invalid API key {key}") } else { "Invalid API key".to_string() };
        let status = if sw.auth_error_200 { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
        return Err(json_response(status, &envelope_error("authentication_failed", &description)));
    }
    if project_call && query_param(query, "project").as_deref() != Some(state.config.project.as_str()) {
        return Err(json_response(StatusCode::OK, &envelope_error("authorization_failed", "No access to project")));
    }
    if sw.http_500 {
        return Err((StatusCode::INTERNAL_SERVER_ERROR, "<html>500 Internal Server Error</html>").into_response());
    }
    if sw.error_200 {
        let description = if sw.echo_key { format!("Internal error for key {key}") } else { "Internal error".into() };
        return Err(json_response(StatusCode::OK, &envelope_error("internal_error", &description)));
    }
    Ok(())
}

fn success(state: &FakeState, data: Value, total: Option<usize>) -> Response {
    let mut body = json!({"status": "success", "data": data});
    if let Some(t) = total {
        body["total"] = json!(t);
    }
    success_body(state, body.to_string().into_bytes())
}

/// A success answer already rendered; the `truncated` switch cuts it in half.
fn success_body(state: &FakeState, mut body: Vec<u8>) -> Response {
    if state.switches().truncated {
        body.truncate(body.len() / 2);
    }
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// Days in the zone of the period sent. Every row of a Moscow day happens at 01:30 Moscow time
/// (22:30 UTC the day before), so a period sent with an offset below +01:30 counts that row on the
/// previous day: its day `d` holds the rows of Moscow's `d + 1`.
fn day_shift(from: &str) -> i64 {
    let offset = from.get(19..).unwrap_or("").replace(':', "");
    let minutes = match (offset.get(..1), offset.get(1..3), offset.get(3..5)) {
        (Some(sign), Some(h), Some(m)) => {
            let value = h.parse::<i64>().unwrap_or(3) * 60 + m.parse::<i64>().unwrap_or(0);
            if sign == "-" { -value } else { value }
        }
        _ => 180,
    };
    if minutes < 90 { 1 } else { 0 }
}

fn date_of(text: &str) -> Option<Date> {
    text.get(..10)?.parse().ok()
}

async fn projects(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = check(&s, &headers, &q, false).await {
        return r;
    }
    let id: Value = s.config.project.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(s.config.project));
    let body = json!({"projects": [
        {"id": id, "name": "Тестовый\u{a0}проект", "currency": "RUB", "creation_date": "2019-03-01 10:00:00"},
        {"id": 777, "name": "Другой", "currency": "USD", "creation_date": "2020-01-01 10:00:00"}
    ], "status": "success"});
    success_body(&s, body.to_string().into_bytes())
}

/// The metrics this project has.
pub fn metric_names(config: &FakeConfig) -> Vec<&'static str> {
    let mut names = vec!["visits", "leads", "sales", "revenue", "marketing_cost", "profit"];
    if config.has_calls {
        names.push("calls");
    }
    names
}

async fn metrics(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = check(&s, &headers, &q, true).await {
        return r;
    }
    let title = |n: &str| match n {
        "visits" => "Визиты",
        "leads" => "Заявки",
        "sales" => "Продажи",
        "revenue" => "Выручка",
        "marketing_cost" => "Расходы",
        "calls" => "Звонки",
        _ => "Прибыль",
    };
    let list: Vec<Value> = metric_names(&s.config)
        .into_iter()
        .map(|n| json!({"name": n, "title": title(n), "type": "int", "is_system": true}))
        .collect();
    success_body(&s, json!({"metrics": list, "status": "success"}).to_string().into_bytes())
}

async fn data(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    if let Err(r) = check(&s, &headers, &q, true).await {
        return r;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return json_response(StatusCode::BAD_REQUEST, &envelope_error("request_error", "Bad JSON"));
    };
    let (Some(from), Some(to)) =
        (request["period"]["from"].as_str().and_then(date_of), request["period"]["to"].as_str().and_then(date_of))
    else {
        return json_response(StatusCode::OK, &envelope_error("request_error", "Bad period"));
    };
    let sent = |k: &str| request["period"][k].as_str().unwrap_or("").to_string();
    s.data_periods.lock().unwrap().push((sent("from"), sent("to")));
    let shift = day_shift(&sent("from"));
    let count = {
        let mut log = s.data_requests.lock().unwrap();
        log.push((from, to));
        log.len()
    };
    let sw = s.switches();
    if sw.rate_limit_times > 0 {
        s.set(|w| w.rate_limit_times -= 1);
        let body = envelope_error("request_limit_error", "Too many requests");
        if sw.rate_limit_429 {
            let mut r = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
            r.headers_mut().insert("retry-after", HeaderValue::from_static("0"));
            return r;
        }
        return json_response(StatusCode::OK, &body);
    }
    if let Some(max) = sw.max_period_days
        && to.since(from).unwrap().get_days() as i64 + 1 > max
    {
        return json_response(
            StatusCode::OK,
            &envelope_error("request_error", "Data is too large for this period. Try smaller period"),
        );
    }
    if sw.fail_at_data_request == Some(count) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream failure").into_response();
    }
    // Names, or objects as Roistat's own web UI sends them: `{"metric":"visits","attribution":"default"}`.
    let metrics: Vec<String> = request["metrics"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m.as_str().or_else(|| m["metric"].as_str()).map(String::from)).collect())
        .unwrap_or_default();
    let known = metric_names(&s.config);
    if let Some(missing) = metrics.iter().find(|m| !known.contains(&m.as_str())) {
        return json_response(
            StatusCode::OK,
            &envelope_error("request_data_validation_error", &format!("Unknown metric: {missing}")),
        );
    }
    let c = &s.config;
    let triples: Vec<(usize, usize, usize)> = (0..c.channels)
        .flat_map(|ch| (0..c.sources).flat_map(move |src| (0..c.campaigns).map(move |k| (ch, src, k))))
        .collect();
    let rendered: Vec<Vec<u8>> = triples.iter().map(|&(ch, src, k)| levels_json(ch, src, k)).collect();
    let days = to.since(from).unwrap().get_days().max(0) as usize + 1;
    let mut body = Vec::with_capacity(64 + days * triples.len() * 400);
    body.extend_from_slice(b"{\"status\":\"success\",\"data\":[{\"items\":[");
    let mut total = 0usize;
    for date in each_day(from, to) {
        let natural = date.checked_add(jiff::Span::new().days(shift)).unwrap();
        for (&(ch, src, k), levels) in triples.iter().zip(&rendered) {
            let h = hash(natural, ch, src, k);
            if let Some(f) = figures(c, sw.bump_recent, natural, h) {
                if total > 0 {
                    body.push(b',');
                }
                write_item(&mut body, date, &f, h, levels, &metrics);
                total += 1;
            }
        }
    }
    write!(body, "],\"total\":{total}}}],\"total\":{total}}}").unwrap();
    success_body(&s, body)
}

/// A bare array, no envelope: what this call really answers. It takes no parameters.
async fn costs(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = check(&s, &headers, &q, true).await {
        return r;
    }
    let month = |d: Date| d.first_of_month();
    let this = month(s.config.today);
    let old = this.checked_sub(jiff::Span::new().years(2)).unwrap();
    let body = json!([
        {"id": 1, "source": "direct27", "name": "Наружная реклама", "from_date": format!("{this} 00:00:00"),
         "to_date": format!("{} 23:59:59", this.last_of_month()), "timezone": "Europe/Moscow", "marketing_cost": "15000.50"},
        {"id": 2, "source": "g", "name": "Старая кампания", "from_date": format!("{old} 00:00:00"),
         "to_date": format!("{} 23:59:59", old.last_of_month()), "timezone": "Europe/Moscow", "marketing_cost": 700}
    ]);
    success_body(&s, body.to_string().into_bytes())
}

/// The calls of one day, deterministic.
pub fn calls_of(config: &FakeConfig, date: Date) -> Vec<Value> {
    (0..config.calls_per_day)
        .map(|n| {
            json!({
                "id": format!("call-{date}-{n}"),
                "callee": "74950000000",
                "caller": format!("7999{:07}", day_number(date) * 10 + n as u64),
                "duration": 30 + n * 15,
                "waiting_time": "5",
                "status": if n.is_multiple_of(2) { "ANSWER" } else { "BUSY" },
                "date": format!("{date}T10:{:02}:00+0000", n % 60),
                "visit_id": format!("{}", 1000 + n),
                "order_id": null,
            })
        })
        .collect()
}

async fn calls(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    if let Err(r) = check(&s, &headers, &q, true).await {
        return r;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let filters = request["filters"]["and"].as_array().cloned().unwrap_or_default();
    let bound = |op: &str| filters.iter().find(|f| f[1] == op).and_then(|f| f[2].as_str()).and_then(date_of);
    let (Some(from), Some(to)) = (bound(">="), bound("<=")) else {
        return json_response(StatusCode::OK, &envelope_error("request_error", "Bad filters"));
    };
    let all: Vec<Value> = each_day(from, to).flat_map(|d| calls_of(&s.config, d)).collect();
    let offset = request["offset"].as_u64().unwrap_or(0) as usize;
    let limit = request["limit"].as_u64().unwrap_or(1000) as usize;
    let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
    success(&s, Value::Array(page), Some(all.len()))
}

async fn proxy_leads(State(s): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = check(&s, &headers, &q, true).await {
        return r;
    }
    if s.switches().proxy_leads_denied {
        return json_response(StatusCode::OK, &envelope_error("access_denied", "Access denied"));
    }
    let period = query_param(&q, "period").unwrap_or_default();
    let (Some(from), Some(to)) =
        (period.get(..10).and_then(|d| d.parse::<Date>().ok()), period.get(11..).and_then(|d| d.parse::<Date>().ok()))
    else {
        return json_response(StatusCode::OK, &envelope_error("request_error", "Bad period"));
    };
    let set = s.proxy_leads.lock().unwrap().clone();
    let leads: Vec<Value> = match set {
        Some(list) => list
            .into_iter()
            .filter(|l| l["creation_date"].as_str().and_then(date_of).is_some_and(|d| d >= from && d <= to))
            .collect(),
        None => each_day(from, to).flat_map(proxy_leads_of).collect(),
    };
    success_body(&s, json!({"ProxyLeads": leads}).to_string().into_bytes())
}

/// The proxy leads Roistat produced on a day, deterministic; `order_id` is what we answered, if anything.
pub fn proxy_leads_of(date: Date) -> Vec<Value> {
    vec![json!({"id": format!("lead-{date}"), "order_id": day_number(date).to_string(), "title": "Заявка с сайта",
                "text": "", "name": "Иван", "phone": "79990000000", "email": "", "roistat": "5",
                "creation_date": format!("{date} 09:12:54")})]
}
