//! Helpers for the service tests: a real store in a temp dir, the service on an ephemeral port.
#![allow(dead_code)]

use skvoz::service::{ServiceHandle, ServiceOptions, auth};
use skvoz::store::Store;
use std::time::Duration;

pub const LOGIN: &str = "httpService";
pub const PASSWORD: &str = "s3cret-Test-Pass";

pub struct TestService {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub handle: ServiceHandle,
    pub base: String,
    pub client: reqwest::Client,
}

pub fn token() -> String {
    auth::token(LOGIN, PASSWORD)
}

pub async fn start() -> TestService {
    start_with(ServiceOptions::default(), |_| {}).await
}

/// Starts the service with a known password; `tune` may change the settings first.
pub async fn start_with(
    options: ServiceOptions,
    tune: impl FnOnce(&mut skvoz::domain::ServiceSettings),
) -> TestService {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_embedded(dir.path()).await.unwrap();
    let mut settings = store.service_settings().await.unwrap();
    settings.password = skvoz::domain::Secret::new(PASSWORD);
    tune(&mut settings);
    store.put_service_settings(settings.clone()).await.unwrap();
    let options = ServiceOptions { listen: Some("127.0.0.1:0".into()), ..options };
    let handle = skvoz::service::start(store.clone(), options).await.unwrap();
    let base = format!("http://{}{}", handle.local_addr(), settings.path());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    TestService { dir, store, handle, base, client }
}

impl TestService {
    /// `base?user=…&token=…&` followed by `query`.
    pub fn url(&self, query: &str) -> String {
        format!("{}?user={LOGIN}&token={}&{query}", self.base, token())
    }

    pub async fn get(&self, query: &str) -> (u16, String) {
        let r = self.client.get(self.url(query)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    pub async fn get_json(&self, query: &str) -> (u16, serde_json::Value) {
        let (status, text) = self.get(query).await;
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    pub async fn raw(&self, url: &str) -> (u16, String) {
        let r = self.client.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// Stops the service and waits until the exchange log is written.
    pub async fn stop(self) -> (tempfile::TempDir, Store) {
        self.handle.shutdown().await.unwrap();
        (self.dir, self.store)
    }
}

/// Percent-encodes a parameter value (everything but unreserved characters).
pub fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl TestService {
    /// A GET written by hand on a socket: reqwest (like hyper) cannot hold URLs over 64 KB, Roistat's can.
    pub async fn long_get(&self, query: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let path = self.base.split_once(&self.handle.local_addr().to_string()).unwrap().1.to_string();
        let mut sock = tokio::net::TcpStream::connect(self.handle.local_addr()).await.unwrap();
        let head = format!(
            "GET {path}?user={LOGIN}&token={}&{query} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
            token()
        );
        // Writing may fail once the server has answered 414 and closed: the answer is still readable.
        let _ = sock.write_all(head.as_bytes()).await;
        let mut out = Vec::new();
        let _ = sock.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }
}
