//! A small HTTP/1.1 connection layer in front of the axum `Router`.
//!
//! Why not hyper: `http::Uri` refuses URIs longer than 65,534 bytes, while Roistat sends proxy leads
//! inside the URL and real ones reach a megabyte. So we read the request head ourselves with
//! `httparse` (up to a configurable limit), hand the router a URI that is only the path, and put the
//! raw query string into a request extension ([`RawQuery`]). Bodies are read by Content-Length.
//! Keep-alive and graceful shutdown (stop accepting, let in-flight requests finish) are here too.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// The raw query string of the request (without `?`), not decoded.
#[derive(Clone, Debug, Default)]
pub struct RawQuery(pub Arc<str>);

/// The peer's address.
#[derive(Clone, Copy, Debug)]
pub struct RemoteAddr(pub SocketAddr);

/// A request the layer answered itself (too long, malformed): for the exchange log.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub remote: SocketAddr,
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

pub type RejectHook = Arc<dyn Fn(Rejected) + Send + Sync>;

/// How the layer behaves; the request limit can change while it runs (settings screen).
#[derive(Clone)]
pub struct Http1Config {
    pub max_request_bytes: Arc<AtomicUsize>,
    /// How long an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
    /// How long reading one request (head and body) may take.
    pub read_timeout: Duration,
    pub on_reject: Option<RejectHook>,
}

impl Http1Config {
    pub fn new(max_request_bytes: usize) -> Http1Config {
        Http1Config {
            max_request_bytes: Arc::new(AtomicUsize::new(max_request_bytes)),
            idle_timeout: Duration::from_secs(75),
            read_timeout: Duration::from_secs(60),
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
                    let _ = stream.set_nodelay(true);
                    let (router, config, shutdown) = (router.clone(), config.clone(), for_connections.clone());
                    connections.spawn(connection(stream, remote, router, config, shutdown));
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

/// How long shutdown waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Resolves once shutdown is requested (or the sender is gone); the guard is not kept.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

enum Head {
    Request(Box<Request<Body>>, usize, bool),
    Closed,
}

struct Reply {
    status: StatusCode,
    error: &'static str,
    description: String,
}

async fn connection(
    mut stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    config: Http1Config,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        if buf.is_empty() {
            // Idle between requests: close on shutdown or after the idle timeout.
            if *shutdown.borrow() {
                return;
            }
            let mut chunk = [0u8; 8192];
            let read = tokio::select! {
                r = tokio::time::timeout(config.idle_timeout, stream.read(&mut chunk)) => r,
                _ = stopped(&mut shutdown) => return,
            };
            match read {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head =
            tokio::time::timeout(config.read_timeout, read_request(&mut stream, &mut buf, remote, &config)).await;
        let (request, consumed, keep_alive) = match head {
            Ok(Ok(Head::Request(r, consumed, keep))) => (*r, consumed, keep),
            Ok(Ok(Head::Closed)) | Err(_) => return,
            Ok(Err(reply)) => {
                if let Some(hook) = &config.on_reject {
                    hook(Rejected {
                        remote,
                        status: reply.status.as_u16(),
                        error: reply.error,
                        description: reply.description.clone(),
                    });
                }
                let _ = write_error(&mut stream, &reply).await;
                drain(&mut stream, config.max_request_bytes.load(Ordering::Relaxed)).await;
                return;
            }
        };
        buf.drain(..consumed);
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

fn reply(status: StatusCode, error: &'static str, description: impl Into<String>) -> Reply {
    Reply { status, error, description: description.into() }
}

/// Reads one request from `buf` (filled from the stream as needed). Returns the request, how many
/// bytes of `buf` it used, and whether the connection may stay open.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    remote: SocketAddr,
    config: &Http1Config,
) -> Result<Head, Reply> {
    let limit = config.max_request_bytes.load(Ordering::Relaxed).max(1024);
    let mut searched = 0usize;
    let head_end = loop {
        // Only parse once the blank line has arrived: a 1 MB head would otherwise be re-parsed per read.
        if let Some(pos) = find_head_end(buf, searched) {
            break pos;
        }
        searched = buf.len().saturating_sub(2);
        if buf.len() > limit + 8192 {
            return Err(too_long(limit));
        }
        let mut chunk = vec![0u8; 64 * 1024];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(Head::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    // The limit is on the request line plus headers; a little slack covers the headers themselves.
    if head_end > limit + 8192 {
        return Err(too_long(limit));
    }
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut parsed = httparse::Request::new(&mut headers);
    let status = parsed.parse(&buf[..head_end]).map_err(|e| {
        let (status, code) = match e {
            httparse::Error::TooManyHeaders => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too_many_headers"),
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        reply(status, code, format!("Некорректный HTTP-запрос ({e}): проверьте, что клиент говорит по HTTP/1.1"))
    })?;
    if status.is_partial() {
        return Err(reply(StatusCode::BAD_REQUEST, "bad_request", "Заголовок HTTP-запроса оборван"));
    }
    let target = parsed.path.unwrap_or("/");
    if target.len() > limit {
        return Err(too_long(limit));
    }
    let method = Method::from_bytes(parsed.method.unwrap_or("GET").as_bytes())
        .map_err(|_| reply(StatusCode::BAD_REQUEST, "bad_method", "Неизвестный HTTP-метод"))?;
    let http10 = parsed.version == Some(0);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let query: Arc<str> = Arc::from(query);
    let uri: Uri = path.parse().map_err(|_| {
        reply(StatusCode::BAD_REQUEST, "bad_path", "Некорректный путь запроса: проверьте адрес сервиса")
    })?;
    let mut builder =
        Request::builder().method(method).uri(uri).version(if http10 { Version::HTTP_10 } else { Version::HTTP_11 });
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut connection_close = http10;
    let mut expect_continue = false;
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| reply(StatusCode::BAD_REQUEST, "bad_header", "Некорректное имя заголовка"))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| reply(StatusCode::BAD_REQUEST, "bad_header", "Некорректное значение заголовка"))?;
        let text = String::from_utf8_lossy(h.value).to_ascii_lowercase();
        match name.as_str() {
            "content-length" => {
                let n: usize = text.trim().parse().map_err(|_| {
                    reply(StatusCode::BAD_REQUEST, "bad_content_length", "Content-Length не является числом")
                })?;
                if content_length.is_some_and(|c| c != n) {
                    return Err(reply(StatusCode::BAD_REQUEST, "bad_content_length", "Два разных Content-Length"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => chunked = chunked || text.contains("chunked"),
            "connection" => {
                if text.contains("close") {
                    connection_close = true;
                } else if text.contains("keep-alive") {
                    connection_close = false;
                }
            }
            "expect" => expect_continue = text.contains("100-continue"),
            _ => {}
        }
        builder = builder.header(name, value);
    }
    if chunked {
        return Err(reply(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "Тело запроса частями (chunked) не поддерживается: передайте Content-Length или параметры в адресе",
        ));
    }
    let length = content_length.unwrap_or(0);
    if length > limit {
        return Err(reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Тело запроса больше {limit} байт: увеличьте предел в настройках HTTP-сервиса"),
        ));
    }
    if expect_continue && length > 0 && buf.len() < head_end + length {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| reply(StatusCode::BAD_REQUEST, "closed", "Соединение закрыто"))?;
    }
    while buf.len() < head_end + length {
        let mut chunk = vec![0u8; 64 * 1024];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(Head::Closed),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = Body::from(buf[head_end..head_end + length].to_vec());
    let mut request =
        builder.body(body).map_err(|_| reply(StatusCode::BAD_REQUEST, "bad_request", "Некорректный HTTP-запрос"))?;
    request.extensions_mut().insert(RawQuery(query));
    request.extensions_mut().insert(RemoteAddr(remote));
    Ok(Head::Request(Box::new(request), head_end + length, !connection_close))
}

fn too_long(limit: usize) -> Reply {
    reply(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        format!(
            "Адрес запроса длиннее {limit} байт: увеличьте «Предел длины запроса» в настройках HTTP-сервиса или передайте данные методом POST"
        ),
    )
}

/// Reads and discards what the client is still sending, so that closing does not reset the
/// connection before it has read our error answer.
async fn drain(stream: &mut TcpStream, limit: usize) {
    let budget = limit.saturating_mul(4).max(1 << 20);
    let mut seen = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
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

/// End of the head: the blank line, `\r\n\r\n` or a bare `\n\n` (httparse accepts both).
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < buf.len() {
        if buf[i] == b'\n' {
            if buf[i + 1] == b'\n' {
                return Some(i + 2);
            }
            if buf[i + 1] == b'\r' && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// The JSON error body every layer-level refusal uses (the same shape as the actions' errors).
pub fn error_json(error: &str, description: &str) -> String {
    serde_json::json!({"status": "error", "error": error, "description": description}).to_string()
}

async fn write_error(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let body = error_json(reply.error, &reply.description);
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status.as_u16(),
        reply.status.canonical_reason().unwrap_or(""),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
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
    out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
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

#[cfg(test)]
mod tests {
    use super::find_head_end;

    #[test]
    fn head_end_found_with_either_line_ending() {
        let crlf = "GET / HTTP/1.1\r\nA: b\r\n\r\nbody";
        assert_eq!(find_head_end(crlf.as_bytes(), 0), crlf.find("body"));
        let lf = "GET / HTTP/1.1\nA: b\n\nbody";
        assert_eq!(find_head_end(lf.as_bytes(), 0), lf.find("body"));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n", 0), None);
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r", 0), None);
    }
}
