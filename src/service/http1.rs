//! A small HTTP/1.1 connection layer in front of the axum `Router`.
//!
//! Why not hyper: `http::Uri` refuses URIs longer than 65,534 bytes, while Roistat sends proxy leads
//! inside the URL and real ones reach a megabyte. So we read the request head ourselves with
//! `httparse` (up to a configurable limit; [`super::request_head`]), hand the router a URI that is
//! only the path, and put the raw query string into a request extension ([`RawQuery`]). Bodies are
//! read by Content-Length. Keep-alive, graceful shutdown (stop accepting, let in-flight requests
//! finish) and the caps on connections and buffers ([`super::connections`]) are here too.

use super::client_addr::TrustedProxies;
use super::connections::{Connections, Limits, Refused, Slot};
use super::request_head::{HEAD_SLACK, HeadScanner, Refusal, parse_head, refusal, too_long};
use crate::domain::ServiceSettings;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The raw query string of the request (without `?`), not decoded.
#[derive(Clone, Debug, Default)]
pub struct RawQuery(pub Arc<str>);

/// The peer's address (behind a proxy: the proxy's).
#[derive(Clone, Copy, Debug)]
pub struct RemoteAddr(pub SocketAddr);

/// A request the layer answered itself (too long, malformed, too busy): for the exchange log.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub remote: SocketAddr,
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

pub type RejectHook = Arc<dyn Fn(Rejected) + Send + Sync>;

/// How the layer behaves; the limits can change while it runs (settings screen).
#[derive(Clone)]
pub struct Http1Config {
    pub max_request_bytes: Arc<AtomicUsize>,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// The same when more than half the connection cap is in use.
    pub busy_idle_timeout: Duration,
    /// How long reading one request (head and body) may take.
    pub read_timeout: Duration,
    pub connections: Arc<Connections>,
    /// Connections from trusted proxies carry many clients: they are not capped per address.
    pub trusted: Arc<RwLock<TrustedProxies>>,
    pub on_reject: Option<RejectHook>,
}

impl Http1Config {
    /// The default caps and trusted proxies of [`ServiceSettings`]; the service sets its own.
    pub fn new(max_request_bytes: usize) -> Http1Config {
        let defaults = ServiceSettings::default();
        let limits =
            Limits::new(defaults.max_connections, defaults.max_connections_per_address, defaults.max_buffered_bytes);
        Http1Config {
            max_request_bytes: Arc::new(AtomicUsize::new(max_request_bytes)),
            idle_timeout: Duration::from_secs(75),
            busy_idle_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(60),
            connections: Connections::new(Arc::new(limits)),
            trusted: Arc::new(RwLock::new(TrustedProxies::parse_lenient(&defaults.trusted_proxies))),
            on_reject: None,
        }
    }
}

/// Accepts connections until `shutdown` turns true, then waits for open requests to finish.
pub async fn serve(listener: TcpListener, router: Router, config: Http1Config, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let for_connections = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let trusted = config.trusted.read().unwrap_or_else(|p| p.into_inner()).contains(remote.ip());
                    match config.connections.admit(remote.ip(), !trusted) {
                        Ok(slot) => {
                            let _ = stream.set_nodelay(true);
                            let (router, config, shutdown) = (router.clone(), config.clone(), for_connections.clone());
                            connections.spawn(connection(stream, remote, slot, router, config, shutdown));
                        }
                        Err(why) => refuse(stream, remote, why, &config),
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("не удалось принять соединение: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // In-flight requests finish; idle connections notice the signal and close. A client stuck
    // half-way through sending its request does not hold the shutdown for long.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!("остановка: {} соединений не завершились вовремя и закрыты", connections.len());
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Over a connection cap: a 503 if the socket takes it at once, then close. Nothing is awaited, so
/// a flood of connections costs the accept loop no more than the accept itself.
fn refuse(stream: TcpStream, remote: SocketAddr, why: Refused, config: &Http1Config) {
    let refusal = match why {
        Refused::Total => busy("Сервис перегружен: открыто слишком много соединений. Повторите запрос позже"),
        Refused::PerAddress => {
            busy("С этого адреса открыто слишком много соединений: закройте лишние и повторите запрос")
        }
    };
    let _ = stream.try_write(error_bytes(&refusal).as_slice());
    // Counted, not logged one by one: a line per refused socket would only add to a flood's load.
    config.connections.count_refused();
    tracing::debug!(%remote, "соединение отклонено: {}", refusal.description);
}

fn busy(description: &str) -> Refusal {
    refusal(StatusCode::SERVICE_UNAVAILABLE, "busy", description)
}

/// How long shutdown waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A read asks for at least this much room; buffers start empty and grow with the data.
const MIN_READ: usize = 4096;

/// Resolves once shutdown is requested (or the sender is gone); the guard is not kept.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

enum Head {
    Request(Box<Request<Body>>, bool),
    Closed,
}

async fn connection(
    mut stream: TcpStream,
    remote: SocketAddr,
    mut slot: Slot,
    router: Router,
    config: Http1Config,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        if buf.is_empty() {
            // Idle between requests: no buffer is held, and the connection closes on shutdown or
            // after the idle timeout.
            if buf.capacity() > 0 {
                buf = Vec::new();
                slot.set_buffered(0);
            }
            if *shutdown.borrow() || !idle(&stream, &slot, &config, &mut shutdown).await {
                return;
            }
        }
        let head =
            tokio::time::timeout(config.read_timeout, read_request(&mut stream, &mut buf, &mut slot, remote, &config))
                .await;
        let (request, keep_alive) = match head {
            Ok(Ok(Head::Request(r, keep))) => (*r, keep),
            Ok(Ok(Head::Closed)) | Err(_) => return,
            Ok(Err(refusal)) => {
                if let Some(hook) = &config.on_reject {
                    hook(Rejected {
                        remote,
                        status: refusal.status.as_u16(),
                        error: refusal.error,
                        description: refusal.description.clone(),
                    });
                }
                // Whatever follows a refused head may be a smuggled request: it is never read as one.
                let _ = write_error(&mut stream, &refusal).await;
                drop(std::mem::take(&mut buf));
                slot.set_buffered(0);
                drain(&mut stream, config.max_request_bytes.load(Ordering::Relaxed)).await;
                return;
            }
        };
        let is_head = request.method() == Method::HEAD;
        let response = match router.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let keep_alive = keep_alive && !*shutdown.borrow();
        if write_response(&mut stream, response, keep_alive, is_head).await.is_err() || !keep_alive {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// Waits for the next request on a kept-alive connection; false when the connection should close.
async fn idle(stream: &TcpStream, slot: &Slot, config: &Http1Config, shutdown: &mut watch::Receiver<bool>) -> bool {
    let since = tokio::time::Instant::now();
    loop {
        let connections = slot.connections();
        let wait = if connections.under_pressure() { config.busy_idle_timeout } else { config.idle_timeout };
        tokio::select! {
            ready = tokio::time::timeout_at(since + wait, stream.readable()) => return matches!(ready, Ok(Ok(()))),
            // Pressure came while waiting: look at the (shorter) timeout again.
            _ = connections.pressure() => continue,
            _ = stopped(shutdown) => return false,
        }
    }
}

/// Reads more of the request into `buf`, growing it with the data within the shared budget.
/// Returns the bytes read (0: the peer closed).
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, slot: &mut Slot) -> Result<usize, Refusal> {
    if buf.capacity() - buf.len() < MIN_READ {
        // Double, from a few KB, at most a megabyte at a time.
        let extra = buf.len().clamp(MIN_READ, 1 << 20);
        if !slot.may_buffer(buf.capacity() + extra) {
            return Err(busy("Сервис перегружен: слишком много незавершённых запросов. Повторите запрос позже"));
        }
        buf.reserve_exact(extra);
        slot.set_buffered(buf.capacity());
    }
    Ok(stream.read_buf(buf).await.unwrap_or(0))
}

/// Reads one request from `buf` (filled from the stream as needed) and takes it out of `buf`.
/// Returns the request and whether the connection may stay open.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    slot: &mut Slot,
    remote: SocketAddr,
    config: &Http1Config,
) -> Result<Head, Refusal> {
    let limit = config.max_request_bytes.load(Ordering::Relaxed).max(1024);
    let mut scanner = HeadScanner::default();
    let head_end = loop {
        // Only parse once the blank line has arrived: a 1 MB head would otherwise be re-parsed per read.
        if let Some(pos) = scanner.end(buf) {
            break pos;
        }
        if buf.len() > limit + HEAD_SLACK {
            return Err(too_long(limit));
        }
        if read_more(stream, buf, slot).await? == 0 {
            return Ok(Head::Closed);
        }
    };
    let head = parse_head(&buf[..head_end], limit)?;
    let end = head_end + head.body_length;
    if head.expect_continue && buf.len() < end {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| refusal(StatusCode::BAD_REQUEST, "closed", "Соединение закрыто"))?;
    }
    while buf.len() < end {
        if read_more(stream, buf, slot).await? == 0 {
            return Ok(Head::Closed);
        }
    }
    // What follows (a pipelined request) stays; the request's own bytes leave the buffer.
    let rest = buf.split_off(end);
    let whole = std::mem::replace(buf, rest);
    slot.set_buffered(buf.capacity());
    let body = if head.body_length == 0 { Bytes::new() } else { Bytes::from(whole).slice(head_end..end) };
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = head.method;
    *request.uri_mut() = head.path;
    *request.version_mut() = head.version;
    *request.headers_mut() = head.headers;
    request.extensions_mut().insert(RawQuery(head.query));
    request.extensions_mut().insert(RemoteAddr(remote));
    Ok(Head::Request(Box::new(request), head.keep_alive))
}

/// Reads and discards what the client is still sending, so that closing does not reset the
/// connection before it has read our error answer.
async fn drain(stream: &mut TcpStream, limit: usize) {
    let budget = limit.saturating_mul(4).max(1 << 20);
    let mut seen = 0usize;
    let mut chunk = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while seen < budget {
        // A client that waits for our answer sends nothing more: stop after a short quiet spell.
        let quiet = (tokio::time::Instant::now() + Duration::from_millis(300)).min(deadline);
        match tokio::time::timeout_at(quiet, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => seen += n,
            _ => break,
        }
    }
}

/// The JSON error body every layer-level refusal uses (the same shape as the actions' errors).
pub fn error_json(error: &str, description: &str) -> String {
    serde_json::json!({"status": "error", "error": error, "description": description}).to_string()
}

/// A refusal as a complete answer that closes the connection.
fn error_bytes(refusal: &Refusal) -> Vec<u8> {
    let body = error_json(refusal.error, &refusal.description);
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        refusal.status.as_u16(),
        refusal.status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

async fn write_error(stream: &mut TcpStream, refusal: &Refusal) -> std::io::Result<()> {
    stream.write_all(&error_bytes(refusal)).await?;
    stream.flush().await?;
    // Half-close: the client reads the answer while we drain what it still sends.
    stream.shutdown().await
}

async fn write_response(
    stream: &mut TcpStream,
    response: Response<Body>,
    keep_alive: bool,
    is_head: bool,
) -> std::io::Result<()> {
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::warn!("ответ не собран: {e}");
            bytes::Bytes::from(error_json("internal", "Внутренняя ошибка сервиса: повторите запрос"))
        }
    };
    let mut out = Vec::with_capacity(256 + body.len().min(16 * 1024));
    out.extend_from_slice(
        format!("HTTP/1.1 {} {}\r\n", parts.status.as_u16(), parts.status.canonical_reason().unwrap_or("")).as_bytes(),
    );
    for (name, value) in parts.headers.iter() {
        if matches!(name.as_str(), "content-length" | "connection" | "transfer-encoding") {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // axum empties a HEAD answer's body and says the length the GET would have in the header.
    let length = match parts.headers.get(axum::http::header::CONTENT_LENGTH) {
        Some(length) if is_head => length.to_str().unwrap_or("0").to_string(),
        _ => body.len().to_string(),
    };
    out.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
    out.extend_from_slice(if keep_alive { b"connection: keep-alive\r\n\r\n" } else { b"connection: close\r\n\r\n" });
    // A HEAD answer says the length but carries no body, or the client would misread the next answer.
    if is_head {
        stream.write_all(&out).await?;
    } else if body.len() <= 16 * 1024 {
        out.extend_from_slice(&body);
        stream.write_all(&out).await?;
    } else {
        // An export page: no copy of half a megabyte just to glue it to the head.
        stream.write_all(&out).await?;
        stream.write_all(&body).await?;
    }
    stream.flush().await
}
