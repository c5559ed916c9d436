//! A real `skvoz serve` process on a temp data folder, and the CLI run beside it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

pub const LOGIN: &str = "httpService";
pub const PASSWORD: &str = "s3cret-Test-Pass";

/// `skvoz --data-dir DIR ARGS…` with the environment of a plain run.
pub fn skvoz(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skvoz"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("SKVOZ_DATA_DIR")
        .env_remove("SKVOZ_HTTP_USER")
        .env_remove("SKVOZ_HTTP_PASSWORD");
    cmd
}

/// Runs a CLI command that must succeed; its stdout.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out: Output = skvoz(dir, args).output().unwrap();
    assert!(out.status.success(), "skvoz {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stores the known password, as an admin would on the settings screen.
pub fn set_password(dir: &Path) {
    on_own_runtime(async {
        let store = skvoz::store::Store::open_embedded(dir).await.unwrap();
        let mut settings = store.service_settings().await.unwrap();
        settings.password = skvoz::domain::Secret::new(PASSWORD);
        store.put_service_settings(settings).await.unwrap();
        store.close().await.unwrap();
    });
}

/// Runs store work on a runtime of its own, whether the caller is inside one or not.
pub fn on_own_runtime<T: Send>(work: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(work))
            .join()
            .unwrap()
    })
}

pub struct Serve {
    child: Child,
    pub addr: String,
    stderr: Arc<Mutex<String>>,
    drain: Option<std::thread::JoinHandle<()>>,
}

impl Serve {
    pub fn start(dir: &Path) -> Serve {
        let mut child = skvoz(dir, &["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr =
            line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}")).to_string();
        // Drained all along, so a chatty service never blocks on a full pipe.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let drain = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Serve { child, addr, stderr, drain: Some(drain) }
    }

    pub fn base(&self) -> String {
        format!("http://{}/crm_httpAnalytics/hs/analytics", self.addr)
    }

    /// The query of an authenticated request.
    pub fn url(&self, query: &str) -> String {
        format!("{}?user={LOGIN}&token={}&{query}", self.base(), skvoz::service::auth::token(LOGIN, PASSWORD))
    }

    /// SIGTERM, then waits: the service finishes, writes its log and flushes the store. Its stderr.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        if let Some(drain) = self.drain.take() {
            drain.join().unwrap();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.drain.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Bytes of every file under `dir`.
pub fn size_of(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() { size_of(&entry.path()) } else { meta.len() };
    }
    total
}
