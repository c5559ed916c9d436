//! The HTTP client of Roistat's REST API (`shared/PROTOCOL.md` §2).

use super::error::RoistatError;
use super::types::{self, AnalyticsItem, CostRecord, MetricInfo, MetricNames, Project, RoistatCall};
use crate::domain::{AnalyticsSource, DEFAULT_TIME_ZONE, DailyFact, Secret};
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::time::Duration;

/// Calls per page of `calltracking/call/list`.
const CALL_PAGE: usize = 1000;

/// Where and how to call. Timeouts are settable so tests need not wait long.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Empty means Roistat's cloud.
    pub api_base: String,
    pub api_key: Secret,
    pub project: String,
    /// The project's zone: periods are sent in it, and Roistat counts days in the zone it is sent.
    pub time_zone: TimeZone,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn new(api_base: &str, api_key: Secret, project: &str) -> ClientConfig {
        ClientConfig {
            api_base: api_base.to_string(),
            api_key,
            project: project.to_string(),
            time_zone: moscow(),
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(120),
        }
    }

    /// The source's access; fails only on a time zone that is not known.
    pub fn for_source(source: &AnalyticsSource) -> Result<ClientConfig, RoistatError> {
        let mut config = ClientConfig::new(source.api_base_or_default(), source.api_key.clone(), source.project.trim());
        config.time_zone = project_zone(&source.time_zone)?;
        Ok(config)
    }
}

/// Moscow: UTC+3 all year since 2014, also where the system has no zone database.
fn moscow() -> TimeZone {
    TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(Offset::constant(3)))
}

/// A project's zone by its IANA name (`Europe/Moscow`, `Asia/Yekaterinburg`); empty is Moscow.
pub fn project_zone(name: &str) -> Result<TimeZone, RoistatError> {
    match name.trim() {
        "" | DEFAULT_TIME_ZONE => Ok(moscow()),
        name => TimeZone::get(name).map_err(|_| RoistatError::UnknownTimeZone(name.to_string())),
    }
}

/// One project's API access; cheap to clone.
#[derive(Clone)]
pub struct RoistatClient {
    http: reqwest::Client,
    base: String,
    key: Secret,
    project: String,
    zone: TimeZone,
    timeout: Duration,
}

impl std::fmt::Debug for RoistatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoistatClient").field("base", &self.base).field("project", &self.project).finish()
    }
}

/// An answer as it came: HTTP status, `Retry-After` and the whole body.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: bytes::Bytes,
}

/// A successful envelope: its `data` and `total`.
struct Envelope {
    data: Value,
    total: Option<u64>,
}

impl RoistatClient {
    pub fn new(config: ClientConfig) -> Result<RoistatClient, RoistatError> {
        let base = if config.api_base.trim().is_empty() {
            crate::domain::DEFAULT_API_BASE.to_string()
        } else {
            config.api_base.trim().trim_end_matches('/').to_string()
        };
        let scrubbed = scrub(&base, &config.api_key);
        match reqwest::Url::parse(&base) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            _ => return Err(RoistatError::BadBaseUrl(scrubbed)),
        }
        let mut key = HeaderValue::from_str(config.api_key.expose().trim()).map_err(|_| RoistatError::BadKey)?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("Api-key", key);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("skvoz/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RoistatError::Network {
                call: "",
                reason: scrub(&crate::net::explain(&e), &config.api_key),
            })?;
        Ok(RoistatClient {
            http,
            base,
            key: config.api_key,
            project: config.project,
            zone: config.time_zone,
            timeout: config.timeout,
        })
    }

    /// `GET user/projects`: the projects the key can see; also a check of the key.
    pub async fn projects(&self) -> Result<Vec<Project>, RoistatError> {
        const CALL: &str = "user/projects";
        let env = self.send(CALL, self.http.get(self.url(CALL)), "projects").await?;
        types::parse_projects(&env.data).map_err(|r| self.bad(CALL, r))
    }

    /// `POST project/analytics/metrics-new`: the metric names this project has.
    pub async fn metrics(&self) -> Result<Vec<MetricInfo>, RoistatError> {
        const CALL: &str = "project/analytics/metrics-new";
        let env = self.send(CALL, self.project_post(CALL, &json!({})), "metrics").await?;
        types::parse_metrics(&env.data).map_err(|r| self.bad(CALL, r))
    }

    /// `POST project/analytics/data` over the days `from..=to`.
    pub async fn analytics_data(
        &self,
        from: Date,
        to: Date,
        dimensions: &[&str],
        metrics: &[&str],
    ) -> Result<Vec<AnalyticsItem>, RoistatError> {
        const CALL: &str = "project/analytics/data";
        let body = json!({
            "dimensions": dimensions,
            "metrics": metrics,
            "period": self.period(from, to),
            "filters": [],
        });
        let env = self.send(CALL, self.project_post(CALL, &body), "data").await?;
        types::parse_analytics(&env.data).map_err(|r| self.bad(CALL, r))
    }

    /// Daily facts by marker levels 1..3 over `from..=to` (source id 0: the caller sets it).
    pub async fn daily_facts(&self, from: Date, to: Date, names: &MetricNames) -> Result<Vec<DailyFact>, RoistatError> {
        const CALL: &str = "project/analytics/data";
        let body = json!({
            "dimensions": [types::DAILY, types::LEVELS[0], types::LEVELS[1], types::LEVELS[2]],
            "metrics": names.list(),
            "period": self.period(from, to),
            "filters": [],
        });
        let answer = self.fetch(CALL, self.project_post(CALL, &body)).await?;
        if (200..300).contains(&answer.status)
            && let Some(facts) = types::daily_facts_fast(&answer.body, names)
        {
            return Ok(facts);
        }
        // Anything unusual, errors included, takes the tolerant road with its precise messages.
        let env = self.envelope(CALL, answer, "data")?;
        let items = types::parse_analytics(&env.data).map_err(|r| self.bad(CALL, r))?;
        types::items_to_facts(&items, names).map_err(|r| self.bad(CALL, r))
    }

    /// `POST project/analytics/source/cost/list`: manual costs that overlap `from..=to`. The call takes
    /// no parameters and answers every cost of the project, so the period is applied here.
    pub async fn cost_list(&self, from: Date, to: Date) -> Result<Vec<CostRecord>, RoistatError> {
        const CALL: &str = "project/analytics/source/cost/list";
        let env = self.send(CALL, self.project_post(CALL, &json!({})), "data").await?;
        let costs = types::parse_costs(&env.data).map_err(|r| self.bad(CALL, r))?;
        // A cost whose dates cannot be read is kept: better shown than silently lost.
        let day = |text: &str| types::day(text).ok();
        Ok(costs
            .into_iter()
            .filter(|c| day(&c.from_date).is_none_or(|d| d <= to) && day(&c.to_date).is_none_or(|d| d >= from))
            .collect())
    }

    /// `POST project/calltracking/call/list` over `from..=to`, all pages.
    pub async fn calls(&self, from: Date, to: Date) -> Result<Vec<RoistatCall>, RoistatError> {
        const CALL: &str = "project/calltracking/call/list";
        let mut out = Vec::new();
        loop {
            let (start, end) = self.bounds(from, to);
            let body = json!({
                "filters": {"and": [["date", ">=", start], ["date", "<=", end]]},
                "limit": CALL_PAGE,
                "offset": out.len(),
            });
            let env = self.send(CALL, self.project_post(CALL, &body), "data").await?;
            let page = types::parse_calls(&env.data).map_err(|r| self.bad(CALL, r))?;
            let got = page.len();
            out.extend(page);
            let total = env.total.map(|t| t as usize);
            if got == 0 || got < CALL_PAGE || total.is_some_and(|t| out.len() >= t) {
                return Ok(out);
            }
        }
    }

    /// `GET project/proxy-leads?period=YYYY-MM-DD-YYYY-MM-DD`: the leads Roistat sent us.
    pub async fn proxy_leads(&self, from: Date, to: Date) -> Result<Vec<crate::domain::RoistatLead>, RoistatError> {
        const CALL: &str = "project/proxy-leads";
        let request = self
            .http
            .get(self.url(CALL))
            .query(&[("project", self.project.as_str()), ("period", format!("{from}-{to}").as_str())]);
        let env = self.send(CALL, request, "ProxyLeads").await?;
        types::parse_proxy_leads(&env.data).map_err(|r| self.bad(CALL, r))
    }

    /// The first and the last second of `from..=to` in the project's zone, each with its own offset.
    fn bounds(&self, from: Date, to: Date) -> (String, String) {
        (zoned_text(from.at(0, 0, 0, 0), &self.zone), zoned_text(to.at(23, 59, 59, 0), &self.zone))
    }

    fn period(&self, from: Date, to: Date) -> Value {
        let (from, to) = self.bounds(from, to);
        json!({"from": from, "to": to})
    }

    fn url(&self, call: &str) -> String {
        format!("{}/{call}", self.base)
    }

    fn project_post(&self, call: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http.post(self.url(call)).query(&[("project", self.project.as_str())]).json(body)
    }

    fn bad(&self, call: &'static str, reason: String) -> RoistatError {
        RoistatError::BadResponse { call, reason: scrub(&reason, &self.key) }
    }

    /// Sends, reads the whole body, and checks the envelope (an error may come with HTTP 200).
    async fn send(
        &self,
        call: &'static str,
        request: reqwest::RequestBuilder,
        key: &str,
    ) -> Result<Envelope, RoistatError> {
        let answer = self.fetch(call, request).await?;
        self.envelope(call, answer, key)
    }

    /// Sends and reads the whole body.
    async fn fetch(&self, call: &'static str, request: reqwest::RequestBuilder) -> Result<Answer, RoistatError> {
        tracing::debug!(call, project = %self.project, "запрос к Roistat");
        let response = request.send().await.map_err(|e| self.transport(call, &e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(|e| self.transport(call, &e))?;
        Ok(Answer { status, retry_after, body })
    }

    /// Checks an answer's status and envelope (an error may come with HTTP 200); `key` is where this
    /// call keeps its payload.
    fn envelope(&self, call: &'static str, answer: Answer, key: &str) -> Result<Envelope, RoistatError> {
        let Answer { status, retry_after, body } = answer;
        let parsed: Result<Value, _> = serde_json::from_slice(&body);
        if let Ok(value) = &parsed
            && value.get("status").and_then(Value::as_str) == Some("error")
        {
            return Err(self.envelope_error(call, value, retry_after));
        }
        if !(200..300).contains(&status) {
            let detail = match &parsed {
                Ok(v) => text_of(v.get("description").or_else(|| v.get("error"))),
                Err(_) => snippet(&body),
            };
            return Err(RoistatError::Http { call, status, detail: scrub(&detail, &self.key), retry_after });
        }
        let value = parsed.map_err(|e| {
            self.bad(call, format!("ответ не является корректным JSON ({e}); начало ответа: «{}»", snippet(&body)))
        })?;
        let (data, total) = types::payload(value, key).map_err(|r| self.bad(call, r))?;
        Ok(Envelope { data, total })
    }

    fn envelope_error(&self, call: &'static str, value: &Value, retry_after: Option<Duration>) -> RoistatError {
        let code = text_of(value.get("error"));
        let description = scrub(&text_of(value.get("description")), &self.key);
        match code.as_str() {
            "authentication_failed" => RoistatError::AuthenticationFailed { call, description },
            "authorization_failed" => RoistatError::AuthorizationFailed { call, description },
            "access_denied" => RoistatError::AccessDenied { call, description },
            "request_limit_error" => RoistatError::RateLimited { call, description, retry_after },
            _ => RoistatError::Api { call, code: scrub(&code, &self.key), description },
        }
    }

    fn transport(&self, call: &'static str, e: &reqwest::Error) -> RoistatError {
        if e.is_timeout() {
            return RoistatError::Timeout { call, seconds: self.timeout.as_secs().max(1) };
        }
        RoistatError::Network { call, reason: scrub(&crate::net::explain(e), &self.key) }
    }
}

/// A civil moment in `zone` as Roistat's periods carry it: `2026-11-01T00:00:00+0300`.
fn zoned_text(at: DateTime, zone: &TimeZone) -> String {
    match at.to_zoned(zone.clone()) {
        Ok(zoned) => zoned.strftime("%Y-%m-%dT%H:%M:%S%z").to_string(),
        // Only dates beyond jiff's range fail, and loads never ask for them.
        Err(_) => format!("{}+0000", at.strftime("%Y-%m-%dT%H:%M:%S")),
    }
}

fn text_of(v: Option<&Value>) -> String {
    types::text(v)
}

/// The beginning of a body, for a message about a bad answer.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 120 { format!("{}…", text.chars().take(120).collect::<String>()) } else { text.into() }
}

/// Masks the key wherever outside text might have echoed it.
pub(crate) fn scrub(text: &str, key: &Secret) -> String {
    let key = key.expose().trim();
    // A key this short cannot be told from ordinary text, and real keys are long.
    if key.len() < 6 { text.to_string() } else { text.replace(key, &Secret::new(key).masked()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_base_urls_without_the_key() {
        let key = Secret::new("supersecretkey123");
        let e = RoistatClient::new(ClientConfig::new("ftp://supersecretkey123@x", key.clone(), "1")).unwrap_err();
        assert!(matches!(e, RoistatError::BadBaseUrl(_)));
        assert!(!e.to_string().contains("supersecretkey123"));
        let e = RoistatClient::new(ClientConfig::new("not a url", key, "1")).unwrap_err();
        assert!(matches!(e, RoistatError::BadBaseUrl(_)));
    }

    #[test]
    fn an_error_envelope_with_http_200_is_an_error() {
        let client = RoistatClient::new(ClientConfig::new("", Secret::new("secret-key-123"), "1")).unwrap();
        let answer = |body: &str| Answer { status: 200, retry_after: None, body: bytes::Bytes::from(body.to_string()) };
        let e = client
            .envelope(
                "user/projects",
                answer(r#"{"status":"error","error":"authentication_failed","description":"bad key"}"#),
                "projects",
            )
            .err()
            .unwrap();
        assert!(matches!(e, RoistatError::AuthenticationFailed { .. }), "{e:?}");
        let e = client
            .envelope(
                "project/analytics/data",
                answer(r#"{"status":"error","error":"request_data_validation_error","description":"calls"}"#),
                "data",
            )
            .err()
            .unwrap();
        assert!(matches!(&e, RoistatError::Api { code, .. } if code == "request_data_validation_error"), "{e:?}");
        let ok = client.envelope("user/projects", answer(r#"{"projects":[],"status":"success"}"#), "projects");
        assert_eq!(ok.ok().map(|env| env.data), Some(serde_json::json!([])));
    }

    #[test]
    fn periods_are_sent_in_the_project_zone() {
        let mut config = ClientConfig::new("", Secret::new("k"), "1");
        let day = Date::constant(2026, 11, 1);
        let client = RoistatClient::new(config.clone()).unwrap();
        assert_eq!(
            client.period(day, day),
            json!({"from": "2026-11-01T00:00:00+0300", "to": "2026-11-01T23:59:59+0300"})
        );
        config.time_zone = project_zone("Asia/Yekaterinburg").unwrap();
        let client = RoistatClient::new(config).unwrap();
        assert_eq!(client.bounds(day, day).0, "2026-11-01T00:00:00+0500");
        assert!(matches!(project_zone("Марс/Олимп"), Err(RoistatError::UnknownTimeZone(_))));
        assert_eq!(project_zone("").unwrap(), project_zone("Europe/Moscow").unwrap());
    }

    #[test]
    fn empty_base_is_the_cloud() {
        let client = RoistatClient::new(ClientConfig::new("", Secret::new("k"), "1")).unwrap();
        assert_eq!(client.url("user/projects"), "https://cloud.roistat.com/api/v1/user/projects");
    }
}
