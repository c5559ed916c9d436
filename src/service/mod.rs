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
pub mod client_addr;
pub mod connections;
mod exchange_log;
pub mod http1;
mod intake;
pub mod query;
pub mod request_head;
mod settings_cache;

pub use actions::lead::intake_from_roistat;

use crate::domain::{ExchangeEntry, Outcome, Secret, ServiceSettings, fit, limits};
use crate::store::{Store, StoreError};
use auth::{AuthResult, Clock, Credentials, SystemClock, Throttle};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use client_addr::TrustedProxies;
use connections::Limits;
use http1::{Http1Config, RawQuery, Rejected, RemoteAddr};
use jiff::Timestamp;
use query::Params;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
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
    /// Failed logins from one client address tolerated within `throttle_window`.
    pub max_failed_logins: u32,
    pub throttle_window: Duration,
    /// The throttle's clock (tests move it by hand).
    pub clock: Arc<dyn Clock>,
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
            clock: Arc::new(SystemClock),
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
    #[error("Не удалось занять адрес {addr}: {reason} (настройки HTTP-сервиса или --listen)")]
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

/// Where the service reports a store error it cannot go on after (see
/// [`StoreError::is_unrecoverable`]); [`ServiceHandle::unrecoverable`] waits for it.
#[derive(Clone)]
pub(crate) struct Unrecoverable(Arc<watch::Sender<Option<String>>>);

impl Unrecoverable {
    fn new() -> Unrecoverable {
        Unrecoverable(Arc::new(watch::channel(None).0))
    }

    pub(crate) fn report_if(&self, e: &StoreError) {
        if e.is_unrecoverable() {
            let first = self.0.send_if_modified(|reason| reason.is_none() && reason.replace(e.to_string()).is_none());
            if first {
                tracing::error!("{e}");
            }
        }
    }
}

/// How long Roistat is asked to wait before it sends a refused lead again.
const RETRY_AFTER_SECONDS: &str = "5";

/// A running service.
pub struct ServiceHandle {
    addr: SocketAddr,
    status: ServiceStatus,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    log: exchange_log::ExchangeLogWriter,
    store: Store,
    unrecoverable: Unrecoverable,
}

impl ServiceHandle {
    /// Resolves with the reason once the store hit an error it cannot go on after (in a request
    /// or in a checkpoint beside intake); the process should then exit at once with a non-zero
    /// code, so that its supervisor starts it again.
    pub fn unrecoverable(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut reported = self.unrecoverable.0.subscribe();
        let store = self.store.clone();
        async move {
            let in_request = async {
                let reason = reported.wait_for(Option::is_some).await.map(|reason| reason.clone().unwrap_or_default());
                match reason {
                    Ok(reason) => reason,
                    Err(_) => std::future::pending().await,
                }
            };
            tokio::select! {
                reason = in_request => reason,
                e = store.failed() => e.to_string(),
            }
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to give Roistat, as seen from this machine.
    pub async fn url(&self) -> Result<String, ServiceError> {
        let settings = self.store.service_settings().await?;
        Ok(format!("http://{}{}", self.addr, settings.path()))
    }

    pub fn status(&self) -> ServiceStatus {
        self.status.clone()
    }

    /// Stops accepting, lets in-flight requests finish, writes the log and closes the store (its
    /// final checkpoint).
    pub async fn shutdown(self) -> Result<(), ServiceError> {
        self.status.update(|s| s.state = ServiceState::Stopping);
        let _ = self.stop.send(true);
        if let Err(e) = self.server.await {
            tracing::error!("HTTP-сервис завершился с ошибкой: {e}");
        }
        self.log.finish().await;
        let flushed = self.store.close().await;
        self.status.update(|s| s.state = ServiceState::Stopped);
        flushed?;
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("Сервис по адресу {url} не отвечает: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Сервис по адресу {url} ответил «{answer}» (HTTP {status}) вместо OK: проверьте адрес и имя публикации")]
    Unexpected { url: String, status: u16, answer: String },
}

/// The «Проверить» button: a plain GET of the published URL must answer `OK`, as in a browser.
pub async fn check_published(url: &str) -> Result<(), CheckError> {
    let unreachable =
        |e: reqwest::Error| CheckError::Unreachable { url: url.to_string(), reason: crate::net::explain(&e) };
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
    let store = store.acting_as(crate::domain::Actor { origin: "HTTP-сервис".into(), ..store.actor() });
    let settings = store.service_settings().await?;
    let listen = options.listen.clone().unwrap_or_else(|| settings.listen.clone());
    let addr: SocketAddr = listen.trim().parse().map_err(|_| ServiceError::BadAddress(listen.clone()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServiceError::Bind { addr: listen.clone(), reason: crate::net::explain_listen(&e) })?;
    let local = listener
        .local_addr()
        .map_err(|e| ServiceError::Bind { addr: listen, reason: crate::net::explain_listen(&e) })?;
    let status = ServiceStatus::new(ServiceState::Listening(local));
    let (log_sender, log_writer) = exchange_log::spawn(store.clone());
    let unrecoverable = Unrecoverable::new();
    let intake = intake::IntakeQueue::start(store.clone(), unrecoverable.clone());
    let limits =
        Arc::new(Limits::new(settings.max_connections, settings.max_connections_per_address, buffer_budget(&settings)));
    let mut config = Http1Config::new(settings.max_request_bytes);
    config.connections = connections::Connections::new(limits.clone());
    *config.trusted.write().unwrap_or_else(|p| p.into_inner()) =
        TrustedProxies::parse_lenient(&settings.trusted_proxies);
    let service = Arc::new(Service {
        intake,
        store: store.clone(),
        throttle: Throttle::new(options.max_failed_logins, options.throttle_window, options.clock.clone()),
        snapshots: actions::export::Snapshots::new(options.export_snapshot_ttl),
        settings: settings_cache::SettingsCache::new(store.clone()),
        options,
        schema_ready: AtomicBool::new(false),
        log: log_sender.clone(),
        status: status.clone(),
        max_request_bytes: config.max_request_bytes.clone(),
        limits,
        trusted: config.trusted.clone(),
        unrecoverable: unrecoverable.clone(),
    });
    config.on_reject = Some(Arc::new(move |rejected: Rejected| {
        log_sender.send_now(
            ExchangeEntry {
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
                request_bytes: 0,
            }
            .bounded(),
        );
    }));
    let connections = config.connections.clone();
    let housekeeping = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            connections.housekeeping();
        }
    });
    let router = router(service);
    let (stop, stop_rx) = watch::channel(false);
    let server_status = status.clone();
    let server = tokio::spawn(async move {
        http1::serve(listener, router, config, stop_rx).await;
        housekeeping.abort();
        server_status.update(|s| {
            if let ServiceState::Listening(_) = s.state {
                s.state = ServiceState::Stopping;
            }
        });
    });
    tracing::info!("HTTP-сервис слушает http://{local}{}", settings.path());
    Ok(ServiceHandle { addr: local, status, stop, server, log: log_writer, store, unrecoverable })
}

pub(crate) struct Service {
    store: Store,
    settings: settings_cache::SettingsCache,
    options: ServiceOptions,
    throttle: Throttle,
    schema_ready: AtomicBool,
    snapshots: actions::export::Snapshots,
    log: exchange_log::ExchangeLogSender,
    intake: intake::IntakeQueue,
    status: ServiceStatus,
    max_request_bytes: Arc<AtomicUsize>,
    limits: Arc<Limits>,
    trusted: Arc<RwLock<TrustedProxies>>,
    unrecoverable: Unrecoverable,
}

/// The budget for request buffers: at least two requests of the largest allowed size, so a
/// budget set below the request limit cannot refuse every long lead.
fn buffer_budget(settings: &ServiceSettings) -> usize {
    settings.max_buffered_bytes.max(settings.max_request_bytes.saturating_mul(2) + 2 * request_head::HEAD_SLACK)
}

/// Hands a settings change to the connection layer (the settings are read per request).
fn apply_settings(service: &Service, settings: &ServiceSettings) -> TrustedProxies {
    service.max_request_bytes.store(settings.max_request_bytes, Ordering::Relaxed);
    service.limits.max_connections.store(settings.max_connections, Ordering::Relaxed);
    service.limits.max_per_address.store(settings.max_connections_per_address, Ordering::Relaxed);
    service.limits.max_buffered_bytes.store(buffer_budget(settings), Ordering::Relaxed);
    let trusted = TrustedProxies::parse_lenient(&settings.trusted_proxies);
    if *service.trusted.read().unwrap_or_else(|p| p.into_inner()) != trusted {
        *service.trusted.write().unwrap_or_else(|p| p.into_inner()) = trusted.clone();
    }
    trusted
}

fn router(service: Arc<Service>) -> Router {
    // One handler for every path: the publication name is read from the settings per request, so a
    // change on the settings screen works without a restart.
    Router::new().fallback(handle).with_state(service)
}

/// The code of a store error after which the service stops (and is started again).
const STORAGE_FAILED: &str = "storage_failed";

/// A refused request: HTTP status, a machine code and a Russian description.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    /// For 429: when to try again.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Failure {
        Failure { status, code, description: description.into(), retry_after: None }
    }
    pub fn bad(code: &'static str, description: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, code, description)
    }
    pub fn store(e: StoreError) -> Failure {
        match e {
            // Nothing was stored (a full disk, an unreachable database); Roistat sends the request
            // again after `Retry-After`.
            StoreError::Unavailable { .. } | StoreError::Unreachable { .. } => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", e.to_string())
            }
            StoreError::Unrecoverable { .. } => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, STORAGE_FAILED, e.to_string())
            }
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
        request_bytes: 0,
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
            entry.answer = fit(&answer.json, limits::ANSWER);
            json_response(StatusCode::OK, answer.json)
        }
        Err(failure) => {
            if entry.outcome != Outcome::AuthFailed {
                entry.outcome = Outcome::Error;
            }
            if failure.code == STORAGE_FAILED {
                service.unrecoverable.report_if(&StoreError::Unrecoverable {
                    path: service.store.location().into(),
                    reason: failure.description.clone(),
                });
            }
            let json = http1::error_json(failure.code, &failure.description);
            entry.error = failure.description;
            entry.answer = fit(&json, limits::ANSWER);
            let mut response = json_response(failure.status, json);
            if failure.status == StatusCode::METHOD_NOT_ALLOWED {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            }
            if let Some(wait) = failure.retry_after {
                // Whole seconds, rounded up: «0» would invite an immediate retry.
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            } else if failure.status == StatusCode::SERVICE_UNAVAILABLE {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            }
            response
        }
    };
    entry.http_status = response.status().as_u16();
    entry.duration_micros = started.elapsed().as_micros() as u64;
    if entry.outcome == Outcome::Error && entry.http_status >= 500 {
        tracing::error!(remote = %remote_text, action = %entry.action, "{}", entry.error);
        service.status.update(|s| s.last_error = Some(entry.error.clone()));
    }
    // A refused request is one short line: whoever fails to log in decides nothing about the log's size.
    let entry = if entry.outcome == Outcome::AuthFailed { entry.refused() } else { entry.bounded() };
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
    let trusted = apply_settings(service, &settings);
    // Behind a trusted proxy the client is who the proxy says; the log and the throttle use it.
    let client = remote.map(|peer| trusted.client(peer.ip(), &parts.headers));
    if let (Some(peer), Some(client)) = (remote, client)
        && client != peer.ip().to_canonical()
    {
        entry.remote = client.to_string();
    }
    let path = parts.uri.path();
    let expected = settings.path();
    if path.trim_end_matches('/') != expected {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Нет такого адреса: HTTP-сервис опубликован по адресу {expected}"),
        ));
    }
    entry.request_bytes = raw_query.0.len() as u64;
    let mut params = Params::default();
    params.add_urlencoded(raw_query.0.as_bytes(), 0).map_err(|e| Failure::bad(e.code(), e.to_string()))?;
    let body = axum::body::to_bytes(body, usize::MAX).await.map_err(|e| Failure::bad("bad_body", e.to_string()))?;
    entry.request_bytes += body.len() as u64;
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
    let login = service.options.login.clone().unwrap_or_else(|| settings.login.clone());
    entry.params = params.masked(&login);
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
    if parts.method == Method::HEAD {
        // HEAD is safe (RFC 9110 §9.2.1): it never runs an action. The bare check answers above.
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Действия выполняются только запросами GET и POST: укажите в Roistat метод отправки данных GET",
        ));
    }
    let creds = Credentials {
        login,
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
        if let Some(wait) = client.and_then(|ip| service.throttle.fail(ip)) {
            // One line when the block starts, not one per refused attempt.
            if wait == service.options.throttle_window {
                tracing::warn!(remote = %entry.remote, "слишком много неудачных входов: адрес заблокирован на время");
            }
            let mut failure = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Слишком много неудачных попыток входа с этого адреса: проверьте логин и пароль и повторите позже",
            );
            failure.retry_after = Some(wait);
            return Err(failure);
        }
        // The token and the password never reach this line: only who tried, and the user only when it
        // is the login (anything else may be the password typed into the login field).
        let user = match params.get("user") {
            Some(user) if user == creds.login => user,
            Some(_) => crate::domain::MASK,
            None => "",
        };
        tracing::warn!(remote = %entry.remote, user, action = %query::cut(&action, 64), "неудачный вход в HTTP-сервис");
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
        let created = service.store.ensure_schema().await.map_err(Failure::store)?;
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

async fn read_settings(service: &Arc<Service>) -> Result<Arc<ServiceSettings>, Failure> {
    service.settings.get().await.map_err(Failure::store)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[tokio::test]
    async fn a_full_disk_answers_503_with_retry_after_and_intake_resumes_by_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The embedded store itself, for its fault injection; the service gets the handle over it.
        let embedded = crate::store::SledStore::open(dir.path()).expect("open");
        let store = Store::from_embedded(embedded.clone());
        let mut settings = store.service_settings().await.expect("settings");
        settings.password = crate::domain::Secret::new("s3cret");
        store.put_service_settings(settings.clone()).await.expect("settings");
        let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..ServiceOptions::default() };
        let handle = start(store.clone(), options).await.expect("start");
        let url = |id: &str| {
            format!(
                "http://{}{}?user={}&token={}&action=lead&id={id}&title=t&phone=7900111223{}",
                handle.local_addr(),
                settings.path(),
                settings.login,
                auth::token(&settings.login, "s3cret"),
                &id[id.len() - 1..]
            )
        };
        let client = reqwest::Client::new();

        embedded.journal_faults().torn_appends.store(1, Ordering::SeqCst);
        let refused = client.get(url("R-1")).send().await.expect("request");
        assert_eq!(refused.status().as_u16(), 503);
        assert_eq!(refused.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("5"));
        let body: serde_json::Value = refused.json().await.expect("json");
        assert_eq!(body["status"], "error");
        assert!(store.lead_by_roistat_id("R-1").await.expect("read").is_none());

        // Space is back: Roistat's resend and the next lead are stored, nothing was restarted.
        for id in ["R-1", "R-2"] {
            let accepted = client.get(url(id)).send().await.expect("request");
            assert_eq!(accepted.status().as_u16(), 200, "{id}");
            assert!(store.lead_by_roistat_id(id).await.expect("read").is_some(), "{id}");
        }
        handle.shutdown().await.expect("shutdown");
    }

    #[tokio::test]
    async fn a_store_stopped_beside_intake_stops_the_service_and_nothing_more_is_acknowledged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open_embedded(dir.path()).await.expect("open");
        let mut settings = store.service_settings().await.expect("settings");
        settings.password = crate::domain::Secret::new("s3cret");
        store.put_service_settings(settings.clone()).await.expect("settings");
        let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..ServiceOptions::default() };
        let handle = start(store.clone(), options).await.expect("start");
        let stopped = handle.unrecoverable();

        // What a background checkpoint does when sled's files cannot be made durable.
        store.fail(StoreError::Unrecoverable { path: "store".into(), reason: "fsync не удался".into() });
        // A guard against a hang, not a timing assertion: the reason comes at once or never.
        let reason = tokio::time::timeout(Duration::from_secs(30), stopped).await.expect("the service is told to stop");
        assert!(reason.contains("fsync не удался"), "{reason}");
        let url = format!(
            "http://{}{}?user={}&token={}&action=lead&id=R-1&title=t",
            handle.local_addr(),
            settings.path(),
            settings.login,
            auth::token(&settings.login, "s3cret")
        );
        let refused = reqwest::get(url).await.expect("request");
        assert_eq!(refused.status().as_u16(), 503);
        assert!(refused.headers().get(header::RETRY_AFTER).is_some());
        assert!(store.lead_by_roistat_id("R-1").await.expect("read").is_none());
    }

    #[test]
    fn only_an_unrecoverable_error_is_reported() {
        let unrecoverable = Unrecoverable::new();
        let mut reported = unrecoverable.0.subscribe();
        unrecoverable.report_if(&StoreError::Unavailable { path: "store".into(), reason: "full".into() });
        assert!(reported.borrow_and_update().is_none());
        unrecoverable.report_if(&StoreError::Unrecoverable { path: "store".into(), reason: "fsync".into() });
        assert!(reported.borrow_and_update().as_deref().is_some_and(|r| r.contains("fsync")));
    }
}
