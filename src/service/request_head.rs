//! The request head (request line and headers), parsed without I/O, and the framing rules of
//! RFC 9112: where the body ends must be unambiguous, or the request is refused and the connection
//! closed. A proxy in front of us that frames a request differently must never see a second request
//! where we see a body, or the other way round (request smuggling).

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use std::sync::Arc;

/// A request the layer refuses itself: HTTP status, a machine code and a Russian description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

pub(crate) fn refusal(status: StatusCode, error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal { status, error, description: description.into() }
}

/// What the connection layer needs from a parsed head.
#[derive(Debug)]
pub struct RequestHead {
    pub method: Method,
    /// The path only: `http::Uri` cannot hold Roistat's megabyte query strings.
    pub path: Uri,
    /// The raw query string (without `?`), not decoded.
    pub query: Arc<str>,
    pub version: Version,
    pub headers: HeaderMap,
    /// Bytes of body after the head (by `Content-Length`; there is no other framing we accept).
    pub body_length: usize,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

/// Headers in one request at most.
const MAX_HEADERS: usize = 96;

/// The limit is on the request line plus headers; this slack covers the headers themselves.
pub const HEAD_SLACK: usize = 8192;

/// End of the head: the blank line, `\r\n\r\n` or a bare `\n\n` (httparse accepts both). `from` is
/// where an earlier search stopped, so a head arriving in pieces is scanned once.
pub fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
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

/// Finds the end of a head that arrives in pieces, scanning each byte about once: a megabyte-long
/// head read 4 KB at a time would otherwise be searched from the start on every read.
#[derive(Debug, Default)]
pub struct HeadScanner {
    searched: usize,
}

impl HeadScanner {
    /// The head's end in `buf` (everything received so far), once the blank line is there.
    pub fn end(&mut self, buf: &[u8]) -> Option<usize> {
        let found = find_head_end(buf, self.searched);
        if found.is_none() {
            // The blank line may straddle this read and the next: look back two bytes.
            self.searched = buf.len().saturating_sub(2);
        }
        found
    }
}

/// Parses a complete head (everything up to and including the blank line). `limit` is the
/// configured request limit: the target and the body may each be that long.
pub fn parse_head(head: &[u8], limit: usize) -> Result<RequestHead, Refusal> {
    if head.len() > limit + HEAD_SLACK {
        return Err(too_long(limit));
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let status = parsed.parse(head).map_err(|e| {
        let (status, code) = match e {
            httparse::Error::TooManyHeaders => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too_many_headers"),
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        refusal(status, code, format!("Некорректный HTTP-запрос ({e}): проверьте, что клиент говорит по HTTP/1.1"))
    })?;
    if status.is_partial() {
        return Err(refusal(StatusCode::BAD_REQUEST, "bad_request", "Заголовок HTTP-запроса оборван"));
    }
    let target = parsed.path.unwrap_or("/");
    if target.len() > limit {
        return Err(too_long(limit));
    }
    let method = Method::from_bytes(parsed.method.unwrap_or("GET").as_bytes())
        .map_err(|_| refusal(StatusCode::BAD_REQUEST, "bad_method", "Неизвестный HTTP-метод"))?;
    let http10 = parsed.version == Some(0);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path: Uri = path.parse().map_err(|_| {
        refusal(StatusCode::BAD_REQUEST, "bad_path", "Некорректный путь запроса: проверьте адрес сервиса")
    })?;
    let mut framing = Framing::default();
    let mut connection_close = http10;
    let mut expect_continue = false;
    let mut map = HeaderMap::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| refusal(StatusCode::BAD_REQUEST, "bad_header", "Некорректное имя заголовка"))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| refusal(StatusCode::BAD_REQUEST, "bad_header", "Некорректное значение заголовка"))?;
        match name.as_str() {
            "content-length" => framing.content_length(h.value)?,
            "transfer-encoding" => framing.transfer_encoding(h.value),
            "connection" => {
                let text = String::from_utf8_lossy(h.value).to_ascii_lowercase();
                if text.contains("close") {
                    connection_close = true;
                } else if text.contains("keep-alive") {
                    connection_close = false;
                }
            }
            "expect" => {
                expect_continue = String::from_utf8_lossy(h.value).to_ascii_lowercase().contains("100-continue")
            }
            _ => {}
        }
        map.append(name, value);
    }
    let body_length = framing.body_length()?;
    if body_length > limit {
        return Err(refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Тело запроса больше {limit} байт: увеличьте предел в настройках HTTP-сервиса"),
        ));
    }
    Ok(RequestHead {
        method,
        path,
        query: Arc::from(query),
        version: if http10 { Version::HTTP_10 } else { Version::HTTP_11 },
        headers: map,
        body_length,
        keep_alive: !connection_close,
        expect_continue,
    })
}

pub(crate) fn too_long(limit: usize) -> Refusal {
    refusal(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        format!(
            "Адрес запроса длиннее {limit} байт: увеличьте «Предел длины запроса» в настройках HTTP-сервиса или передайте данные методом POST"
        ),
    )
}

/// How the request says where its body ends (RFC 9112 §6).
#[derive(Default)]
struct Framing {
    content_length: Option<usize>,
    /// The transfer codings of every `Transfer-Encoding` line, in order.
    codings: Vec<String>,
}

impl Framing {
    /// One `Content-Length` line: digits only (no sign, no `0x`, no spaces inside, no list), and the
    /// same value if it repeats.
    fn content_length(&mut self, value: &[u8]) -> Result<(), Refusal> {
        let bad =
            || refusal(StatusCode::BAD_REQUEST, "bad_content_length", "Content-Length должен состоять только из цифр");
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let n: usize = std::str::from_utf8(value).ok().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
        if self.content_length.is_some_and(|c| c != n) {
            return Err(refusal(StatusCode::BAD_REQUEST, "bad_content_length", "Два разных Content-Length"));
        }
        self.content_length = Some(n);
        Ok(())
    }

    fn transfer_encoding(&mut self, value: &[u8]) {
        let text = String::from_utf8_lossy(value).to_ascii_lowercase();
        self.codings.extend(text.split(',').map(|c| c.trim().to_string()));
    }

    /// The body's length once all headers are read.
    fn body_length(&self) -> Result<usize, Refusal> {
        if self.codings.is_empty() {
            return Ok(self.content_length.unwrap_or(0));
        }
        if self.content_length.is_some() {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "bad_framing",
                "Запрос содержит и Transfer-Encoding, и Content-Length: передайте только Content-Length",
            ));
        }
        if self.codings.last().map(String::as_str) != Some("chunked") {
            return Err(refusal(
                StatusCode::NOT_IMPLEMENTED,
                "unsupported_transfer_encoding",
                "Transfer-Encoding не поддерживается: передайте тело с Content-Length или параметры в адресе",
            ));
        }
        Err(refusal(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "Тело запроса частями (chunked) не поддерживается: передайте Content-Length или параметры в адресе",
        ))
    }
}

#[cfg(test)]
mod tests;
