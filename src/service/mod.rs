//! The HTTP service «CRM_СквознаяАналитикаИнтеграция»: what Roistat calls (`shared/PROTOCOL.md` §1).
//!
//! [`start`] binds and runs it on the current tokio runtime; the window and `skvoz serve` both use it.
//! Requests go through our own HTTP/1.1 layer ([`http1`], for megabyte-long URLs) into an axum
//! `Router` with one handler that authenticates, dispatches the action and writes the exchange log.
//!
//! Roistat calls us from the internet: either listen on a public address (`--listen 0.0.0.0:8085`
//! and open the port), or, better, keep the default `127.0.0.1:8085` behind a reverse proxy with TLS
//! (`packaging/nginx/skvoz.conf`), whose URL is the one pasted into Roistat.

mod actions;
pub mod auth;
pub mod http1;
mod intake;
mod log;
pub mod query;

pub use actions::lead::intake_from_roistat;

use crate::domain::{ExchangeEntry, Outcome, Secret, ServiceSettings};
use crate::store::{Store, StoreError};
use auth::{AuthResult, Credentials, Throttle};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http1::{Http1Config, RawQuery, Rejected, RemoteAddr};
use jiff::Timestamp;
use query::Params;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Environment variables that override the stored login and password for one run.
pub const ENV_USER: &str = "SKVOZ_HTTP_USER";
pub const ENV_PASSWORD: &str = "SKVOZ_HTTP_PASSWORD";

/// How to run the service; everything not given comes from the stored settings.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    /// Listen address; `None` → `ServiceSettings::listen`.
    pub listen: Option<String>,
    /// Login override (e.g. from `SKVOZ_HTTP_USER`).
    pub login: Option<String>,
    /// Password override (e.g. from `SKVOZ_HTTP_PASSWORD`).
    pub password: Option<Secret>,
    /// Failed logins from one address tolerated within `throttle_window`.
    pub max_failed_logins: u32,
    pub throttle_window: Duration,
    /// How long an export's id list is kept for its later pages.
    pub export_snapshot_ttl: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            listen: None,
            login: None,
            password: None,
            max_failed_logins: 20,
            throttle_window: Duration::from_secs(60),
            export_snapshot_ttl: Duration::from_secs(600),
        }
    }
}

impl ServiceOptions {
    /// Applies `SKVOZ_HTTP_USER` / `SKVOZ_HTTP_PASSWORD` when they are set and not empty.
    pub fn with_env_overrides(mut self) -> ServiceOptions {
        if let Ok(user) = std::env::var(ENV_USER)
            && !user.trim().is_empty()
        {
            self.login = Some(user.trim().to_string());
        }
        if let Ok(password) = std::env::var(ENV_PASSWORD)
            && !password.is_empty()
        {
            self.password = Some(Secret::new(password));
        }
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("HTTP-сервис: {0}")]
    Store(#[from] StoreError),
    #[error("Некорректный адрес HTTP-сервиса «{0}»: укажите его в виде 127.0.0.1:8085 или 0.0.0.0:8085")]
    BadAddress(String),
    #[error(
        "Не удалось занять адрес {addr}: {reason}. Возможно, порт занят другой программой: укажите другой порт в настройках HTTP-сервиса"
    )]
    Bind { addr: String, reason: String },
}

/// What the status bar shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceState {
    Listening(SocketAddr),
    Stopping,
    Stopped,
}

#[derive(Clone, Debug)]
pub struct StatusSnapshot {
    pub state: ServiceState,
    /// Last authenticated request (from Roistat, as far as we can tell).
    pub last_request: Option<Timestamp>,
    pub last_remote: Option<String>,
    pub requests: u64,
    pub last_error: Option<String>,
}

/// A cheap shared status: clone it into the status bar and call [`ServiceStatus::snapshot`] per frame.
#[derive(Clone)]
pub struct ServiceStatus(Arc<Mutex<StatusSnapshot>>);

impl ServiceStatus {
    fn new(state: ServiceState) -> ServiceStatus {
        ServiceStatus(Arc::new(Mutex::new(StatusSnapshot {
            state,
            last_request: None,
            last_remote: None,
            requests: 0,
            last_error: None,
        })))
    }

    pub fn snapshot(&self) -> StatusSnapshot {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut StatusSnapshot)) {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// A running service.
pub struct ServiceHandle {
    addr: SocketAddr,
    status: ServiceStatus,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    log: log::LogWriter,
    store: Store,
}

impl ServiceHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to give Roistat, as seen from this machine.
    pub fn url(&self) -> Result<String, ServiceError> {
        let settings = self.store.service_settings()?;
        Ok(format!("http://{}{}", self.addr, settings.path()))
    }

    pub fn status(&self) -> ServiceStatus {
        self.status.clone()
    }

    /// Stops accepting, lets in-flight requests finish, writes the log and flushes the store.
    pub async fn shutdown(self) -> Result<(), ServiceError> {
        self.status.update(|s| s.state = ServiceState::Stopping);
        let _ = self.stop.send(true);
        if let Err(e) = self.server.await {
            tracing::error!("HTTP-сервис завершился с ошибкой: {e}");
        }
        self.log.finish().await;
        let store = self.store.clone();
        let flushed = tokio::task::spawn_blocking(move || store.checkpoint())
            .await
            .unwrap_or_else(|e| Err(StoreError::Invalid(format!("сброс на диск прерван: {e}"))));
        self.status.update(|s| s.state = ServiceState::Stopped);
        flushed?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("Сервис по адресу {url} не отвечает: {reason}. Проверьте, что он запущен и адрес доступен")]
    Unreachable { url: String, reason: String },
    #[error("Сервис по адресу {url} ответил «{answer}» (HTTP {status}) вместо OK: проверьте адрес и имя публикации")]
    Unexpected { url: String, status: u16, answer: String },
}

/// The «Проверить» button: a plain GET of the published URL must answer `OK`, as in a browser.
pub async fn check_published(url: &str) -> Result<(), CheckError> {
    let unreachable = |e: reqwest::Error| CheckError::Unreachable { url: url.to_string(), reason: e.to_string() };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(unreachable)?;
    let response = client.get(url).send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    let answer = response.text().await.map_err(unreachable)?;
    if status == 200 && answer.trim() == "OK" {
        Ok(())
    } else {
        Err(CheckError::Unexpected { url: url.to_string(), status, answer: query::cut(answer.trim(), 100) })
    }
}

/// Binds and starts the service on the current tokio runtime.
pub async fn start(store: Store, options: ServiceOptions) -> Result<ServiceHandle, ServiceError> {
    let settings = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.service_settings())
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))??
    };
    let listen = options.listen.clone().unwrap_or_else(|| settings.listen.clone());
    let addr: SocketAddr = listen.trim().parse().map_err(|_| ServiceError::BadAddress(listen.clone()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServiceError::Bind { addr: listen.clone(), reason: e.to_string() })?;
    let local = listener.local_addr().map_err(|e| ServiceError::Bind { addr: listen, reason: e.to_string() })?;
    let status = ServiceStatus::new(ServiceState::Listening(local));
    let (log_sender, log_writer) = log::spawn(store.clone());
    let intake = intake::IntakeQueue::start(store.clone())?;
    let mut config = Http1Config::new(settings.max_request_bytes);
    let service = Arc::new(Service {
        intake,
        store: store.clone(),
        throttle: Throttle::new(options.max_failed_logins, options.throttle_window),
        snapshots: actions::export::Snapshots::new(options.export_snapshot_ttl),
        options,
        schema_ready: AtomicBool::new(false),
        log: log_sender.clone(),
        status: status.clone(),
        max_request_bytes: config.max_request_bytes.clone(),
    });
    config.on_reject = Some(Arc::new(move |rejected: Rejected| {
        log_sender.send_now(ExchangeEntry {
            id: 0,
            at: Timestamp::now(),
            remote: rejected.remote.to_string(),
            action: String::new(),
            outcome: Outcome::Error,
            http_status: rejected.status,
            duration_micros: 0,
            error: rejected.description.clone(),
            params: Vec::new(),
            answer: http1::error_json(rejected.error, &rejected.description),
        });
    }));
    let router = router(service);
    let (stop, stop_rx) = watch::channel(false);
    let server_status = status.clone();
    let server = tokio::spawn(async move {
        http1::serve(listener, router, config, stop_rx).await;
        server_status.update(|s| {
            if let ServiceState::Listening(_) = s.state {
                s.state = ServiceState::Stopping;
            }
        });
    });
    tracing::info!("HTTP-сервис слушает http://{local}{}", settings.path());
    Ok(ServiceHandle { addr: local, status, stop, server, log: log_writer, store })
}

pub(crate) struct Service {
    store: Store,
    options: ServiceOptions,
    throttle: Throttle,
    schema_ready: AtomicBool,
    snapshots: actions::export::Snapshots,
    log: log::LogSender,
    intake: intake::IntakeQueue,
    status: ServiceStatus,
    max_request_bytes: Arc<AtomicUsize>,
}

fn router(service: Arc<Service>) -> Router {
    // One handler for every path: the publication name is read from the settings per request, so a
    // change on the settings screen works without a restart.
    Router::new().fallback(handle).with_state(service)
}

/// A refused request: HTTP status, a machine code and a Russian description.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Failure {
        Failure { status, code, description: description.into() }
    }
    pub fn bad(code: &'static str, description: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, code, description)
    }
    pub fn store(e: StoreError) -> Failure {
        match e {
            StoreError::NotFound(what) => {
                Failure::new(StatusCode::NOT_FOUND, "not_found", format!("Не найдено: {what}"))
            }
            other => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "storage", other.to_string()),
        }
    }
    pub fn join(e: tokio::task::JoinError) -> Failure {
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("Внутренняя ошибка: {e}. Повторите запрос"))
    }
}

/// A successful action's answer.
pub(crate) struct Answer {
    pub json: String,
    pub outcome: Outcome,
    /// Something the log should say although the request succeeded (bad `data`, bad `visit`).
    pub note: String,
}

impl Answer {
    pub fn ok(json: String) -> Answer {
        Answer { json, outcome: Outcome::Ok, note: String::new() }
    }
}

const LOG_ANSWER_CHARS: usize = 4096;
const LOG_PARAM_CHARS: usize = 2048;

async fn handle(State(service): State<Arc<Service>>, request: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let remote = parts.extensions.get::<RemoteAddr>().map(|r| r.0);
    let remote_text = remote.map(|r| r.to_string()).unwrap_or_default();
    let raw_query = parts.extensions.get::<RawQuery>().cloned().unwrap_or_default();
    let mut entry = ExchangeEntry {
        id: 0,
        at: Timestamp::now(),
        remote: remote_text.clone(),
        action: String::new(),
        outcome: Outcome::Error,
        http_status: 0,
        duration_micros: 0,
        error: String::new(),
        params: Vec::new(),
        answer: String::new(),
    };
    let result = process(&service, &parts, body, &raw_query, remote, &mut entry).await;
    let response = match result {
        Ok(Reply::Text(text)) => {
            entry.outcome = Outcome::Ok;
            entry.answer = text.to_string();
            text_response(StatusCode::OK, text)
        }
        Ok(Reply::Json(answer)) => {
            entry.outcome = answer.outcome;
            entry.error = answer.note;
            entry.answer = query::cut(&answer.json, LOG_ANSWER_CHARS);
            json_response(StatusCode::OK, answer.json)
        }
        Err(failure) => {
            if entry.outcome != Outcome::AuthFailed {
                entry.outcome = Outcome::Error;
            }
            let json = http1::error_json(failure.code, &failure.description);
            entry.error = failure.description;
            entry.answer = query::cut(&json, LOG_ANSWER_CHARS);
            json_response(failure.status, json)
        }
    };
    entry.http_status = response.status().as_u16();
    entry.duration_micros = started.elapsed().as_micros() as u64;
    if entry.outcome == Outcome::Error && entry.http_status >= 500 {
        tracing::error!(remote = %remote_text, action = %entry.action, "{}", entry.error);
        service.status.update(|s| s.last_error = Some(entry.error.clone()));
    }
    service.log.send(entry).await;
    response
}

enum Reply {
    Text(&'static str),
    Json(Answer),
}

async fn process(
    service: &Arc<Service>,
    parts: &axum::http::request::Parts,
    body: Body,
    raw_query: &RawQuery,
    remote: Option<SocketAddr>,
    entry: &mut ExchangeEntry,
) -> Result<Reply, Failure> {
    let settings = read_settings(service).await?;
    service.max_request_bytes.store(settings.max_request_bytes, Ordering::Relaxed);
    let path = parts.uri.path();
    let expected = settings.path();
    if path.trim_end_matches('/') != expected {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Нет такого адреса: HTTP-сервис опубликован по адресу {expected}"),
        ));
    }
    let mut params = Params::default();
    params.add_urlencoded(raw_query.0.as_bytes(), 0).map_err(|e| Failure::bad(e.code(), e.to_string()))?;
    let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| Failure::bad("bad_body", e.to_string()))?;
    if parts.method == Method::POST && !body.is_empty() {
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let added = if content_type.starts_with("application/json") {
            params.add_json(&body)
        } else {
            params.add_urlencoded(&body, 0)
        };
        added.map_err(|e| Failure::bad(e.code(), e.to_string()))?;
    } else if parts.method != Method::GET && parts.method != Method::POST && parts.method != Method::HEAD {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Сервис принимает только GET и POST: укажите в Roistat метод отправки данных GET",
        ));
    }
    entry.params = params.masked(LOG_PARAM_CHARS);
    let action = params.text("action").map(str::to_string);
    entry.action = action.clone().unwrap_or_default();
    let Some(action) = action else {
        if params.get("action").is_some() {
            return Err(Failure::bad(
                "missing_action",
                "Параметр action пуст: укажите действие, например action=export",
            ));
        }
        return Ok(Reply::Text("OK"));
    };
    let ip = remote.map(|r| r.ip());
    if let Some(ip) = ip
        && service.throttle.is_blocked(ip)
    {
        entry.outcome = Outcome::AuthFailed;
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Слишком много неудачных попыток входа с этого адреса: подождите минуту и проверьте логин и пароль",
        ));
    }
    let creds = Credentials {
        login: service.options.login.clone().unwrap_or_else(|| settings.login.clone()),
        password: service.options.password.clone().unwrap_or_else(|| settings.password.clone()),
        anonymous: settings.anonymous,
    };
    let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if authorization.is_some() {
        entry.params.push(("authorization".into(), crate::domain::MASK.into()));
    }
    let auth = auth::check(&creds, &params, authorization);
    if auth != AuthResult::Ok {
        entry.outcome = Outcome::AuthFailed;
        if let Some(ip) = ip
            && service.throttle.fail(ip)
        {
            tracing::warn!(remote = %entry.remote, "слишком много неудачных входов: адрес заблокирован на время");
        }
        // The token and the password never reach this line: only who tried.
        tracing::warn!(remote = %entry.remote, user = params.get("user").unwrap_or(""), action = %action, "неудачный вход в HTTP-сервис");
        let description = if auth == AuthResult::Missing {
            "Не указан логин: передайте user и token (md5 от логина и пароля) или войдите по HTTP Basic"
        } else {
            "Неверный логин или пароль: сверьте их в настройках интеграции Roistat и в настройках HTTP-сервиса"
        };
        return Err(Failure::new(StatusCode::UNAUTHORIZED, "authentication_failed", description));
    }
    service.status.update(|s| {
        s.last_request = Some(Timestamp::now());
        s.last_remote = Some(entry.remote.clone());
        s.requests += 1;
    });
    if !service.schema_ready.load(Ordering::Acquire) {
        let store = service.store.clone();
        let created =
            tokio::task::spawn_blocking(move || store.ensure_schema().and_then(|n| store.durable().map(|_| n)))
                .await
                .map_err(Failure::join)?
                .map_err(Failure::store)?;
        if created > 0 {
            tracing::info!("первый запрос Roistat: созданы реквизиты и статусы ({created})");
        }
        service.schema_ready.store(true, Ordering::Release);
    }
    let user = params.get("user").unwrap_or("").to_string();
    let answer = match action.as_str() {
        "import_scheme" => actions::export::import_scheme(service).await?,
        "export" => actions::export::export(service, &params, &user, &settings).await?,
        "export_clients" => actions::export::export_clients(service, &params, &user).await?,
        "lead" => actions::lead::lead(service, &params).await?,
        "message" => actions::misc::message(service, &params).await?,
        "task" => actions::misc::task(service, &params).await?,
        "call" => actions::misc::call(service, &params).await?,
        other => {
            return Err(Failure::bad(
                "unknown_action",
                format!(
                    "Неизвестное действие «{}»: поддерживаются import_scheme, export, export_clients, lead, message, task, call",
                    query::cut(other, 60)
                ),
            ));
        }
    };
    Ok(Reply::Json(answer))
}

async fn read_settings(service: &Arc<Service>) -> Result<ServiceSettings, Failure> {
    // Read per request: a sled point read, and a new password works at once.
    service.store.service_settings().map_err(Failure::store)
}

fn text_response(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn json_response(status: StatusCode, json: String) -> Response<Body> {
    let mut response = Response::new(Body::from(json));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
