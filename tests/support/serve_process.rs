//! The real `skvoz serve` process on an ephemeral port, for the attack tests: what a hostile client
//! does to it, and what Roistat (a well-behaved client with the right token) experiences meanwhile.
#![allow(dead_code)]

use skvoz::domain::{Secret, ServiceSettings};
use skvoz::store::Store;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub const LOGIN: &str = "httpService";
pub const PASSWORD: &str = "s3cret-Test-Pass";
pub const PATH: &str = "/crm_httpAnalytics/hs/analytics";

pub fn token() -> String {
    skvoz::service::auth::token(LOGIN, PASSWORD)
}

/// `PATH?user=…&token=…&` followed by `query`.
pub fn target(query: &str) -> String {
    format!("{PATH}?user={LOGIN}&token={}&{query}", token())
}

pub struct Serve {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    child: Option<Child>,
}

/// Starts `skvoz serve` on a fresh store with a known password; `tune` may change the settings.
pub fn serve(tune: impl FnOnce(&mut ServiceSettings) + Send) -> Serve {
    serve_in_shell(tune, "")
}

/// The same, started by `sh` after `shell_setup` (e.g. `ulimit -Sn 1024`).
pub fn serve_in_shell(tune: impl FnOnce(&mut ServiceSettings) + Send, shell_setup: &str) -> Serve {
    let dir = tempfile::tempdir().unwrap();
    on_own_runtime(async {
        let store = Store::open_embedded(dir.path()).await.unwrap();
        let mut settings = store.service_settings().await.unwrap();
        settings.password = Secret::new(PASSWORD);
        tune(&mut settings);
        store.put_service_settings(settings).await.unwrap();
        store.close().await.unwrap();
    });
    let script = format!("{shell_setup}\nexec \"$0\" --data-dir \"$1\" serve --listen 127.0.0.1:0");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_skvoz"))
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}"));
    Serve { dir, addr: addr.parse().unwrap(), child: Some(child) }
}

impl Serve {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Stops the process with SIGTERM (it closes the store) and opens its store; also returns stderr.
    pub fn stop(mut self) -> (tempfile::TempDir, Store, String) {
        let mut child = self.child.take().unwrap();
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let store = Store::open_embedded_blocking(self.dir.path()).unwrap();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (dir, store, stderr)
    }

    /// The process's resident memory in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// A connection from a loopback address of our choice (the whole 127.0.0.0/8 is ours).
    pub async fn connect_from(&self, from: &str) -> std::io::Result<TcpStream> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))?;
        socket.connect(self.addr).await
    }

    /// One request on a fresh connection from `from`; the whole answer as text.
    pub async fn request_from(&self, from: &str, request: &[u8]) -> String {
        let mut sock = self.connect_from(from).await.unwrap();
        exchange(&mut sock, request).await
    }

    /// A GET of `target` as Roistat sends it, with extra header lines; (status, body).
    pub async fn get(&self, from: &str, target: &str, headers: &str) -> (u16, String) {
        let request = format!("GET {target} HTTP/1.1\r\nHost: crm\r\nConnection: close\r\n{headers}\r\n");
        let answer = self.request_from(from, request.as_bytes()).await;
        status_and_body(&answer)
    }

    /// Roistat sends a lead; true when it was answered `ok`.
    pub async fn roistat_lead(&self, from: &str, id: &str) -> bool {
        let (status, body) = self.get(from, &target(&format!("action=lead&id={id}&title=x")), "").await;
        status == 200 && body.contains("\"status\":\"ok\"")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs store work on a runtime of its own, whether the caller is inside one or not.
pub fn on_own_runtime<T: Send>(work: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(work))
            .join()
            .unwrap()
    })
}

/// Writes `request` and reads until the server closes (or stays silent for 10 s).
pub async fn exchange(sock: &mut TcpStream, request: &[u8]) -> String {
    // Writing may fail once the server has refused and closed: its answer is still readable.
    let _ = sock.write_all(request).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn status_and_body(answer: &str) -> (u16, String) {
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The value of a header in an answer, if present.
pub fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split_once("\r\n\r\n").map(|(h, _)| h).unwrap_or(answer);
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
