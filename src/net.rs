//! Network failures in words a person can act on: reqwest's errors (and the OS's English under
//! them) become Russian — no connection, refused, timeout, DNS, TLS — with what to check.

use std::io::ErrorKind;

/// What went wrong with a request, in Russian, with what to do; never the URL (it may carry a
/// token), only the server's name where that helps.
pub fn explain(e: &reqwest::Error) -> String {
    let host = e.url().and_then(|u| u.host_str()).map(str::to_string);
    let host = host.as_deref().unwrap_or("сервер");
    if e.is_timeout() {
        return format!(
            "{host} не ответил вовремя: проверьте подключение к интернету и повторите позже; если повторяется, \
             сервер перегружен или недоступен из вашей сети"
        );
    }
    if e.is_builder() {
        return "адрес записан неверно: укажите его полностью, например https://crm.example.ru".into();
    }
    let chain = causes(e);
    let lower = chain.to_lowercase();
    let kind = io_kind(e);
    if lower.contains("dns error") || lower.contains("failed to lookup address") || lower.contains("name or service") {
        return format!(
            "имя сервера «{host}» не найдено (DNS): проверьте, что адрес написан верно и что компьютер подключён к \
             интернету"
        );
    }
    // rustls speaks of certificates, alerts and (for a plain-http server) corrupt messages.
    let tls_words = ["certificate", "tls", "ssl", "handshake", "corrupt message", "alert"];
    if tls_words.iter().any(|w| lower.contains(w)) {
        return format!(
            "защищённое соединение с «{host}» не установлено (TLS): сертификат сервера не принят или сервер не \
             говорит по https — проверьте адрес (https:// или http://) и сертификат сервера"
        );
    }
    match kind {
        Some(ErrorKind::ConnectionRefused) => format!(
            "«{host}» отклонил соединение: по этому адресу и порту ничего не принимает подключения — проверьте \
             адрес, порт и что служба запущена"
        ),
        Some(ErrorKind::TimedOut) => format!(
            "соединение с «{host}» не установлено за отведённое время: проверьте подключение к интернету и что \
             адрес доступен из вашей сети (брандмауэр, прокси)"
        ),
        Some(ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable | ErrorKind::NetworkDown) => format!(
            "нет подключения к сети: «{host}» недоступен — проверьте подключение к интернету или локальной сети"
        ),
        Some(ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof) => {
            format!("соединение с «{host}» прервалось: повторите попытку; если повторяется, проверьте сеть и прокси")
        }
        _ if e.is_connect() => {
            format!("не удалось подключиться к «{host}»: проверьте адрес, подключение к сети и что сервер запущен")
        }
        _ if e.is_body() || e.is_decode() => {
            format!("ответ «{host}» пришёл не полностью: повторите попытку; если повторяется, проверьте сеть")
        }
        _ => format!("запрос к «{host}» не выполнен: проверьте адрес и подключение к сети, затем повторите"),
    }
}

/// Why a port could not be listened on, in Russian, with what to do.
pub fn explain_listen(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::AddrInUse => {
            "порт уже занят другой программой (или второй копией skvoz): укажите другой порт или остановите её".into()
        }
        ErrorKind::PermissionDenied => {
            "нет прав слушать этот порт: порты ниже 1024 доступны только администратору — выберите порт от 1024".into()
        }
        ErrorKind::AddrNotAvailable => {
            "у этого компьютера нет такого адреса: укажите 0.0.0.0 (все адреса), 127.0.0.1 или один из его адресов"
                .into()
        }
        _ => format!("система не дала слушать адрес ({e}): проверьте адрес и порт"),
    }
}

/// The OS's reason under the error, if it is one.
fn io_kind(e: &reqwest::Error) -> Option<ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// The causes in one line, for recognising DNS and TLS failures (which come as text).
fn causes(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn error_of(url: &str) -> reqwest::Error {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap();
        client.get(url).send().await.unwrap_err()
    }

    #[tokio::test]
    async fn a_refused_connection_and_a_missing_name_are_told_apart_in_russian() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let refused = explain(&error_of(&format!("http://127.0.0.1:{port}/x?token=secret")).await);
        assert!(refused.contains("отклонил соединение") && refused.contains("проверьте"), "{refused}");
        assert!(!refused.contains("secret"), "never the URL");
        let unknown = explain(&error_of("http://nonexistent.invalid/").await);
        assert!(unknown.contains("не найдено (DNS)") || unknown.contains("не удалось подключиться"), "{unknown}");
        assert!(!unknown.is_ascii(), "Russian: {unknown}");
    }

    #[test]
    fn a_taken_port_is_named_in_russian() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = std::net::TcpListener::bind(taken.local_addr().unwrap()).unwrap_err();
        assert!(explain_listen(&e).starts_with("порт уже занят"), "{}", explain_listen(&e));
    }

    #[tokio::test]
    async fn a_server_that_does_not_speak_tls_is_named_a_tls_failure() {
        // A plain TCP server that answers an https client with text, not a TLS handshake.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                use tokio::io::AsyncWriteExt;
                let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nplain").await;
            }
        });
        let tls = explain(&error_of(&format!("https://127.0.0.1:{port}/")).await);
        assert!(tls.contains("(TLS)"), "{tls}");
    }
}
