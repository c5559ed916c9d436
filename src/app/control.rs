//! The control socket: the embedded store opens in one process only, so while `skvoz serve` or the
//! window holds it, `skvoz backup`, `log`, `settings` and `report` (its views too) ask that process instead.
//!
//! The process holding the store listens on a Unix domain socket in the store's folder (0600, in a
//! 0700 folder: only the store's owner may connect). One request per connection, one JSON line; the
//! answer is one JSON line, and for a backup the backup file's lines follow it until the connection
//! closes. On other systems there is no socket: those commands need the store free, as before.
//!
//! Requests are served on threads of their own (a backup streams for a while) and reach the
//! async [`Store`] through the runtime handle the server was started with.

use crate::domain::{Alert, ExchangeEntry, Secret, ServiceSettings};
use crate::report::views::LeadBook;
use crate::report::{Query, Report, ReportError};
use crate::store::{BackupSummary, Store, StoreError, generate_password};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The socket's file name inside the store's folder.
pub const SOCKET_NAME: &str = "control.sock";

/// Where the process holding the store in `store_dir` listens.
pub fn socket_path(store_dir: &Path) -> PathBuf {
    store_dir.join(SOCKET_NAME)
}

/// What a command asks of the process holding the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Backup,
    Log {
        tail: usize,
    },
    Settings {
        new_password: bool,
    },
    Report {
        query: Query,
    },
    Alerts,
    AlertTest,
    /// What the views are computed from, as of `now`.
    LeadBook {
        now: jiff::Timestamp,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    /// The backup's lines follow.
    Backup,
    Log(Vec<ExchangeEntry>),
    Settings(ServiceSettings),
    Report(Box<Report>),
    Alerts(Vec<Alert>),
    AlertTest(Vec<DeliveryOutcome>),
    LeadBook(Box<LeadBook>),
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Report(#[from] ReportError),
    #[error("Работающая программа skvoz не ответила: {0}. Повторите команду или остановите skvoz serve / окно")]
    Io(#[from] std::io::Error),
    #[error("Работающая программа skvoz ответила непонятно ({0}): обновите обе до одной версии")]
    Protocol(String),
    #[error("{0}")]
    Failed(String),
    #[error("Резервная копия прервана до завершающей строки: повторите skvoz backup")]
    BackupCut,
}

/// The newest `tail` entries of the exchange log, oldest first.
pub async fn log_tail(store: &Store, tail: usize) -> Result<Vec<ExchangeEntry>, StoreError> {
    let mut entries = store.exchange_newest(tail).await?;
    entries.reverse();
    Ok(entries)
}

/// The service settings, with a new random password first when asked (the service takes it at once).
pub async fn settings(store: &Store, new_password: bool) -> Result<ServiceSettings, StoreError> {
    let mut settings = store.service_settings().await?;
    if new_password {
        settings.password = Secret::new(generate_password());
        store.put_service_settings(settings.clone()).await?;
    }
    Ok(settings)
}

/// The dashboard's report for a query: the sums of its period and of the one it compares with.
pub async fn report(store: &Store, query: &Query) -> Result<Report, ControlError> {
    let sums = store.report_sums(query.periods()?).await?;
    Ok(crate::report::from_sums(&sums, query)?)
}

/// What «Проверить» of one delivery channel gave: its title, and the error if it failed.
pub type DeliveryOutcome = (String, Option<String>);

/// A test message over every enabled channel of the stored alert settings.
pub async fn alert_test(store: &Store) -> Result<Vec<DeliveryOutcome>, StoreError> {
    let settings = store.alert_settings().await?;
    let outcomes = super::alerts::test_delivery(&settings).await;
    Ok(outcomes.into_iter().map(|(channel, result)| (channel.title().to_string(), result.err())).collect())
}

/// Answers one request against the store; a backup is written to `out` after the answer line.
async fn answer<W: Write + Send + 'static>(store: &Store, request: Request, mut out: W) -> std::io::Result<()> {
    let reply = match request {
        Request::Backup => {
            write_line(&mut out, &Reply::Backup)?;
            // A failure midway leaves the backup without its end line: the client tells the person.
            if let Err(e) = store.backup(out).await {
                tracing::warn!("резервная копия по запросу через управляющий сокет прервана: {e}");
            }
            return Ok(());
        }
        Request::Log { tail } => log_tail(store, tail).await.map(Reply::Log).map_err(|e| e.to_string()),
        Request::Settings { new_password } => {
            settings(store, new_password).await.map(Reply::Settings).map_err(|e| e.to_string())
        }
        Request::Report { query } => {
            report(store, &query).await.map(|r| Reply::Report(Box::new(r))).map_err(|e| e.to_string())
        }
        Request::Alerts => {
            super::alerts::current(store, jiff::Timestamp::now()).await.map(Reply::Alerts).map_err(|e| e.to_string())
        }
        Request::AlertTest => alert_test(store).await.map(Reply::AlertTest).map_err(|e| e.to_string()),
        Request::LeadBook { now } => {
            super::views::lead_book(store, now).await.map(|b| Reply::LeadBook(Box::new(b))).map_err(|e| e.to_string())
        }
    };
    write_line(&mut out, &reply.unwrap_or_else(Reply::Failed))
}

fn write_line(out: &mut dyn Write, reply: &Reply) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, reply).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Copies a backup's lines from `input` to `out`, counting what a local backup would report; fails
/// when the stream ends before the backup's end line.
fn copy_backup(input: &mut dyn BufRead, out: &mut dyn Write) -> Result<BackupSummary, ControlError> {
    #[derive(Deserialize)]
    struct Kind {
        kind: String,
        records: Option<u64>,
    }
    let mut summary = BackupSummary::default();
    let mut ended = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let kind: Kind = serde_json::from_slice(&line).map_err(|e| ControlError::Protocol(e.to_string()))?;
        match kind.kind.as_str() {
            "lead" => summary.leads += 1,
            "fact" => summary.facts += 1,
            "end" => {
                summary.records = kind.records.unwrap_or(0);
                ended = true;
            }
            _ => {}
        }
        out.write_all(&line)?;
    }
    out.flush()?;
    if ended { Ok(summary) } else { Err(ControlError::BackupCut) }
}

#[cfg(unix)]
pub use unix::{Client, ControlServer};

#[cfg(unix)]
mod unix {
    use super::*;
    use std::io::{BufReader, BufWriter, Read};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A request line is small; anything longer is not ours.
    const MAX_REQUEST_BYTES: u64 = 64 * 1024;

    /// The listening side; dropping it stops listening and removes the socket.
    pub struct ControlServer {
        path: PathBuf,
        stop: Arc<AtomicBool>,
        accept: Option<std::thread::JoinHandle<()>>,
    }

    impl ControlServer {
        /// Listens beside the store (nothing for a server database). Call it only while holding
        /// the store: a socket left by a process that died is replaced. Requests run their store
        /// calls on `runtime`.
        pub fn start(store: &Store, runtime: &tokio::runtime::Handle) -> std::io::Result<ControlServer> {
            use std::os::unix::fs::PermissionsExt;
            let dir = store.embedded_dir().ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "управляющий сокет есть только у встроенного хранилища",
                )
            })?;
            let path = socket_path(&dir);
            let _ = std::fs::remove_file(&path);
            let listener = UnixListener::bind(&path)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            let stop = Arc::new(AtomicBool::new(false));
            let (store, flag, runtime) = (store.clone(), stop.clone(), runtime.clone());
            let accept = std::thread::Builder::new().name("skvoz-control".into()).spawn(move || {
                for stream in listener.incoming() {
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (store, runtime) = (store.clone(), runtime.clone());
                    let spawned = std::thread::Builder::new().name("skvoz-control-request".into()).spawn(move || {
                        if let Err(e) = serve_one(&store, &runtime, stream) {
                            tracing::debug!("запрос через управляющий сокет не выполнен: {e}");
                        }
                    });
                    if let Err(e) = spawned {
                        tracing::warn!("запрос через управляющий сокет не принят: {e}");
                    }
                }
            })?;
            Ok(ControlServer { path, stop, accept: Some(accept) })
        }
    }

    impl Drop for ControlServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            // Wakes the accept loop so it sees the flag.
            let _ = UnixStream::connect(&self.path);
            if let Some(accept) = self.accept.take() {
                let _ = accept.join();
            }
            let _ = std::fs::remove_file(&self.path);
        }
    }

    fn serve_one(store: &Store, runtime: &tokio::runtime::Handle, stream: UnixStream) -> std::io::Result<()> {
        let mut line = String::new();
        BufReader::new((&stream).take(MAX_REQUEST_BYTES)).read_line(&mut line)?;
        let mut out = BufWriter::new(stream);
        match serde_json::from_str::<Request>(&line) {
            Ok(request) => runtime.block_on(answer(store, request, out)),
            Err(e) => write_line(&mut out, &Reply::Failed(format!("непонятный запрос: {e}"))),
        }
    }

    /// The asking side: one connection per request.
    pub struct Client {
        path: PathBuf,
    }

    impl Client {
        /// Connects to the process holding the store in `store_dir`, if one listens.
        pub fn connect(store_dir: &Path) -> std::io::Result<Client> {
            let path = socket_path(store_dir);
            drop(UnixStream::connect(&path)?);
            Ok(Client { path })
        }

        fn send(&self, request: &Request) -> Result<BufReader<UnixStream>, ControlError> {
            let mut stream = UnixStream::connect(&self.path)?;
            let mut line = serde_json::to_vec(request).map_err(|e| ControlError::Protocol(e.to_string()))?;
            line.push(b'\n');
            stream.write_all(&line)?;
            Ok(BufReader::new(stream))
        }

        fn call(&self, request: &Request) -> Result<Reply, ControlError> {
            let mut input = self.send(request)?;
            let mut line = String::new();
            input.read_line(&mut line)?;
            match serde_json::from_str(&line).map_err(|e| ControlError::Protocol(e.to_string()))? {
                Reply::Failed(e) => Err(ControlError::Failed(e)),
                reply => Ok(reply),
            }
        }

        pub fn log_tail(&self, tail: usize) -> Result<Vec<ExchangeEntry>, ControlError> {
            match self.call(&Request::Log { tail })? {
                Reply::Log(entries) => Ok(entries),
                other => Err(unexpected(&other)),
            }
        }

        pub fn settings(&self, new_password: bool) -> Result<ServiceSettings, ControlError> {
            match self.call(&Request::Settings { new_password })? {
                Reply::Settings(settings) => Ok(settings),
                other => Err(unexpected(&other)),
            }
        }

        pub fn report(&self, query: &Query) -> Result<Report, ControlError> {
            match self.call(&Request::Report { query: query.clone() })? {
                Reply::Report(report) => Ok(*report),
                other => Err(unexpected(&other)),
            }
        }

        pub fn alerts(&self) -> Result<Vec<Alert>, ControlError> {
            match self.call(&Request::Alerts)? {
                Reply::Alerts(alerts) => Ok(alerts),
                other => Err(unexpected(&other)),
            }
        }

        pub fn alert_test(&self) -> Result<Vec<DeliveryOutcome>, ControlError> {
            match self.call(&Request::AlertTest)? {
                Reply::AlertTest(outcomes) => Ok(outcomes),
                other => Err(unexpected(&other)),
            }
        }

        pub fn lead_book(&self, now: jiff::Timestamp) -> Result<LeadBook, ControlError> {
            match self.call(&Request::LeadBook { now })? {
                Reply::LeadBook(book) => Ok(*book),
                other => Err(unexpected(&other)),
            }
        }

        /// Writes the running process's backup to `out`.
        pub fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary, ControlError> {
            let mut input = self.send(&Request::Backup)?;
            let mut line = String::new();
            input.read_line(&mut line)?;
            match serde_json::from_str(&line).map_err(|e| ControlError::Protocol(e.to_string()))? {
                Reply::Backup => copy_backup(&mut input, out),
                Reply::Failed(e) => Err(ControlError::Failed(e)),
                other => Err(unexpected(&other)),
            }
        }
    }

    fn unexpected(reply: &Reply) -> ControlError {
        let text = format!("{reply:?}");
        ControlError::Protocol(crate::domain::cut(&text, 80))
    }
}

/// Without Unix domain sockets nothing listens: the commands need the store free.
#[cfg(not(unix))]
pub enum Client {}

#[cfg(not(unix))]
impl Client {
    pub fn connect(_store_dir: &Path) -> std::io::Result<Client> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
    pub fn log_tail(&self, _tail: usize) -> Result<Vec<ExchangeEntry>, ControlError> {
        match *self {}
    }
    pub fn settings(&self, _new_password: bool) -> Result<ServiceSettings, ControlError> {
        match *self {}
    }
    pub fn report(&self, _query: &Query) -> Result<Report, ControlError> {
        match *self {}
    }
    pub fn lead_book(&self, _now: jiff::Timestamp) -> Result<LeadBook, ControlError> {
        match *self {}
    }
    pub fn backup(&self, _out: &mut dyn Write) -> Result<BackupSummary, ControlError> {
        match *self {}
    }
    pub fn alerts(&self) -> Result<Vec<Alert>, ControlError> {
        match *self {}
    }
    pub fn alert_test(&self) -> Result<Vec<DeliveryOutcome>, ControlError> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_embedded(dir.path()).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_copied_backup_is_counted_and_a_cut_one_refused() {
        let (_dir, store) = open().await;
        store.add_leads(vec![crate::domain::Lead::default(); 3]).await.unwrap();
        let (local, summary) = store.backup(Vec::new()).await.unwrap();
        let mut copied = Vec::new();
        assert_eq!(copy_backup(&mut local.as_slice(), &mut copied).unwrap(), summary);
        assert_eq!(copied, local);
        let cut = &local[..local.len() - 5];
        let cut = &cut[..cut.iter().rposition(|b| *b == b'\n').unwrap() + 1];
        assert!(matches!(copy_backup(&mut &cut[..], &mut Vec::new()), Err(ControlError::BackupCut)));
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_request_is_answered_from_the_running_store() {
        let (_dir, store) = open().await;
        store.ensure_schema().await.unwrap();
        store.add_leads(vec![crate::domain::Lead::default(); 3]).await.unwrap();
        let dir = store.embedded_dir().unwrap();
        let server = ControlServer::start(&store, &tokio::runtime::Handle::current()).unwrap();
        // The client blocks on its socket, as the command line does.
        let asked = tokio::task::spawn_blocking(move || {
            let client = Client::connect(&dir).unwrap();
            let before = client.settings(false).unwrap();
            let renewed = client.settings(true).unwrap();
            assert_ne!(before.password, renewed.password);
            assert!(client.log_tail(5).unwrap().is_empty());
            let now = jiff::Timestamp::now();
            let book = client.lead_book(now).unwrap();
            assert_eq!((book.leads.len(), book.now), (3, now), "the running store's leads");
            assert!(!book.statuses.is_empty());
            let mut copy = Vec::new();
            assert!(client.backup(&mut copy).unwrap().records >= 1);
            renewed
        })
        .await
        .unwrap();
        assert_eq!(store.service_settings().await.unwrap().password, asked.password, "the holder's store has it");
        let dir = store.embedded_dir().unwrap();
        tokio::task::spawn_blocking(move || drop(server)).await.unwrap();
        assert!(!socket_path(&dir).exists(), "the socket goes with the server");
        assert!(Client::connect(&dir).is_err());
    }
}
