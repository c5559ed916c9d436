//! Which store the window works on: the choice the «Подключение» dialog remembers (never the
//! password), and the [`Connector`] that opens a store or checks a connection in the background,
//! so the window draws its first frame at once and never waits for a server.

use super::background::Waker;
pub use crate::store::TlsMode;
use crate::store::{Database, DatabaseParts, Location, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The file in the data folder that remembers the choice.
pub const CHOICE_FILE: &str = "connection.json";

/// What the status bar says for the embedded store.
pub const LOCAL_LABEL: &str = "На этом компьютере";

/// Where the person chose to work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// The embedded store in the data folder.
    #[default]
    Local,
    /// A team database on a PostgreSQL server.
    Server,
}

/// The remembered choice. There is no password field: a password typed in the dialog lives only
/// in memory; at the next start it comes from `PGPASSWORD` or `.pgpass`, or is typed again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionChoice {
    pub place: Place,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// libpq's `sslmode`: `disable`, `prefer`, `require`, `verify-full`.
    pub sslmode: String,
    /// `sslrootcert` for `verify-full`; empty: the system's trusted roots.
    pub root_cert: String,
}

impl Default for ConnectionChoice {
    fn default() -> Self {
        ConnectionChoice {
            place: Place::Local,
            host: String::new(),
            port: 5432,
            database: "skvoz".into(),
            user: std::env::var("USER").unwrap_or_default(),
            sslmode: TlsMode::default().name().into(),
            root_cert: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error("Выбор подключения не запомнен ({path}): {reason}. Проверьте права на запись в каталог данных")]
    Write { path: PathBuf, reason: String },
}

impl ConnectionChoice {
    /// The choice remembered in `data_dir`; `None` when there is none or it cannot be read (then
    /// the window starts on this computer, as before the dialog existed).
    pub fn load(data_dir: &Path) -> Option<ConnectionChoice> {
        let path = data_dir.join(CHOICE_FILE);
        let text = std::fs::read_to_string(&path).ok()?;
        serde_json::from_str(&text)
            .inspect_err(|e| tracing::warn!("выбор подключения в {} не прочитан: {e}", path.display()))
            .ok()
    }

    /// Writes the choice atomically (a temporary file renamed over the old one): a crash leaves
    /// the old choice or the new one, never half of either.
    pub fn save(&self, data_dir: &Path) -> Result<(), ChoiceError> {
        let path = data_dir.join(CHOICE_FILE);
        let fail = |e: std::io::Error| ChoiceError::Write { path: path.clone(), reason: e.to_string() };
        std::fs::create_dir_all(data_dir).map_err(fail)?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ChoiceError::Write { path: path.clone(), reason: e.to_string() })?;
        let temporary = data_dir.join(format!("{CHOICE_FILE}.tmp"));
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&temporary).map_err(fail)?;
            file.write_all(text.as_bytes()).map_err(fail)?;
            file.sync_all().map_err(fail)?;
        }
        std::fs::rename(&temporary, &path).map_err(fail)?;
        // The rename itself reaches the disk with the folder.
        if let Ok(dir) = std::fs::File::open(data_dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// The dialog's fields for a location (to show where the window is now).
    pub fn from_location(location: &Location) -> ConnectionChoice {
        match location {
            Location::Embedded(_) => ConnectionChoice::default(),
            Location::Postgres(database) => {
                let parts = database.parts();
                ConnectionChoice {
                    place: Place::Server,
                    host: parts.host,
                    port: parts.port,
                    database: parts.database,
                    user: parts.user,
                    sslmode: parts.tls.name().into(),
                    root_cert: parts.root_cert.map(|p| p.display().to_string()).unwrap_or_default(),
                }
            }
        }
    }

    pub fn tls(&self) -> TlsMode {
        TlsMode::from_name(&self.sslmode).unwrap_or_default()
    }

    /// Where the choice leads; `password` is the one typed in the dialog, if any.
    pub fn location(&self, data_dir: &Path, password: Option<&str>) -> Result<Location, String> {
        match self.place {
            Place::Local => Ok(Location::Embedded(data_dir.to_path_buf())),
            Place::Server => {
                let root_cert = Some(self.root_cert.trim()).filter(|p| !p.is_empty()).map(PathBuf::from);
                let parts = DatabaseParts {
                    host: self.host.trim().to_string(),
                    port: self.port,
                    database: self.database.trim().to_string(),
                    user: self.user.trim().to_string(),
                    tls: self.tls(),
                    root_cert,
                };
                Database::from_parts(&parts, password)
                    .map(|db| Location::Postgres(Box::new(db)))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// What the status bar says about a location: «На этом компьютере» or «PostgreSQL: server/db,
/// login» — never the password.
pub fn label(location: &Location) -> String {
    match location {
        Location::Embedded(_) => LOCAL_LABEL.into(),
        Location::Postgres(database) => {
            let parts = database.parts();
            format!("PostgreSQL: {}/{}, {}", parts.host, parts.database, parts.user)
        }
    }
}

/// A store the connector opened, for the window to start its app on (the window never holds the
/// store itself).
pub struct OpenedStore(Store);

impl OpenedStore {
    /// The app on this store.
    pub fn into_app(self, options: super::AppOptions) -> Result<super::App, super::AppError> {
        super::App::new(self.0, options)
    }
}

/// What the connector reports; `attempt` tells a late answer from the current one.
pub enum ConnectorEvent {
    Opened {
        attempt: u64,
        result: Result<OpenedStore, String>,
    },
    /// «Проверить»: what the server said, for people.
    Checked {
        attempt: u64,
        result: Result<String, String>,
    },
}

/// Opens stores and checks connections on a runtime of its own that lasts as long as the window:
/// a team database's connections and change feed live there, whichever store the window is on.
pub struct Connector {
    runtime: tokio::runtime::Runtime,
    tx: mpsc::Sender<ConnectorEvent>,
    rx: mpsc::Receiver<ConnectorEvent>,
    /// Events taken off the channel by [`Connector::wait_for_event`], handed out by the next drain.
    stash: Mutex<Vec<ConnectorEvent>>,
    attempts: u64,
    /// Opens and checks started and not yet answered.
    in_flight: Arc<AtomicUsize>,
    pub waker: Waker,
}

impl Connector {
    pub fn new() -> Result<Connector, super::RuntimeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("skvoz-db")
            .enable_all()
            .build()
            .map_err(|e| super::RuntimeError(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        Ok(Connector {
            runtime,
            tx,
            rx,
            stash: Mutex::default(),
            attempts: 0,
            in_flight: Arc::default(),
            waker: Waker::default(),
        })
    }

    fn next_attempt(&mut self) -> u64 {
        self.attempts += 1;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.attempts
    }

    /// Whether an open or a check (also one given up on) has not answered yet.
    pub fn is_working(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// Opens the store at `location` in the background, after shutting down `closing` (the app
    /// the window leaves) and closing its store: its files are brought up to date and its lock
    /// released first, so that coming back to it later works. Returns the attempt's number.
    pub fn open(&mut self, location: Location, closing: Option<super::App>) -> u64 {
        let closing = closing.map(|mut app| {
            app.shutdown();
            app.store.clone()
        });
        let attempt = self.next_attempt();
        let (tx, waker, in_flight) = (self.tx.clone(), self.waker.clone(), self.in_flight.clone());
        self.runtime.spawn(async move {
            if let Some(old) = closing {
                if let Err(e) = old.close().await {
                    tracing::warn!("хранилище закрыто с ошибкой: {e}");
                }
                drop(old);
            }
            let result = Store::open(&location)
                .await
                .map(|store| OpenedStore(store.acting_as(super::window_actor())))
                .map_err(not_connected);
            let _ = tx.send(ConnectorEvent::Opened { attempt, result });
            in_flight.fetch_sub(1, Ordering::AcqRel);
            waker.wake();
        });
        attempt
    }

    /// Checks that `location` can be reached, without switching to it and without changing it: a
    /// team database is asked for its schema version, the data folder for being a folder.
    pub fn check(&mut self, location: Location) -> u64 {
        let attempt = self.next_attempt();
        let (tx, waker, in_flight) = (self.tx.clone(), self.waker.clone(), self.in_flight.clone());
        self.runtime.spawn(async move {
            let result = check(&location).await;
            let _ = tx.send(ConnectorEvent::Checked { attempt, result });
            in_flight.fetch_sub(1, Ordering::AcqRel);
            waker.wake();
        });
        attempt
    }

    /// Everything that arrived since the last frame.
    pub fn drain(&self) -> Vec<ConnectorEvent> {
        let mut events = std::mem::take(&mut *self.stash.lock().unwrap_or_else(|p| p.into_inner()));
        events.extend(self.rx.try_iter());
        events
    }

    /// Blocks until an event arrives or `timeout` passes; for tests, never the UI.
    pub fn wait_for_event(&self, timeout: std::time::Duration) -> bool {
        match self.rx.recv_timeout(timeout) {
            Ok(event) => {
                self.stash.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                true
            }
            Err(_) => false,
        }
    }
}

/// Why a connection failed, for the failure screen and «Проверить»: nothing was being written, so
/// the store's «ничего не записано» would only puzzle; what to check is said instead.
fn not_connected(e: StoreError) -> String {
    match e {
        StoreError::LoginRefused { reason, .. } => format!(
            "Сервер не принял логин и пароль ({reason}). Введите пароль в «Подключение…» (он не запоминается) \
             или запишите его в файл .pgpass или в переменную PGPASSWORD"
        ),
        StoreError::Unreachable { server, reason } => format!(
            "Сервер {server} не отвечает ({reason}). Проверьте адрес и порт в «Подключение…» и что сервер PostgreSQL запущен и доступен по сети"
        ),
        e => e.to_string(),
    }
}

async fn check(location: &Location) -> Result<String, String> {
    match location {
        Location::Embedded(dir) => {
            if dir.is_file() {
                Err(format!("{} — файл, а не каталог: укажите другой каталог данных (--data-dir)", dir.display()))
            } else {
                Ok(format!("Хранилище на этом компьютере: {}", dir.display()))
            }
        }
        Location::Postgres(database) => {
            let status = Store::schema_status(database).await.map_err(not_connected)?;
            let (have, know) = (status.version(), status.latest);
            Ok(match have.cmp(&know) {
                std::cmp::Ordering::Less if have == 0 => {
                    "Связь есть. База пуста: схему создаст первое подключение (нужны права владельца базы)".into()
                }
                std::cmp::Ordering::Less => {
                    format!("Связь есть. Схема базы {have} обновится до {know} при подключении")
                }
                std::cmp::Ordering::Equal => format!("Связь есть, схема базы {have} — та, что нужна этой программе"),
                std::cmp::Ordering::Greater => format!(
                    "Связь есть, но база обновлена более новой версией skvoz (схема {have}, эта программа знает до {know}): обновите программу"
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_is_written_whole_and_has_no_password() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ConnectionChoice::load(dir.path()), None);
        let choice = ConnectionChoice {
            place: Place::Server,
            host: "db.example.ru".into(),
            port: 6432,
            database: "skvoz".into(),
            user: "marketer".into(),
            sslmode: "verify-full".into(),
            root_cert: "/etc/ca.pem".into(),
        };
        choice.save(dir.path()).unwrap();
        assert_eq!(ConnectionChoice::load(dir.path()), Some(choice.clone()));
        assert!(!dir.path().join(format!("{CHOICE_FILE}.tmp")).exists());
        let location = choice.location(dir.path(), Some("s3cret")).unwrap();
        assert_eq!(label(&location), "PostgreSQL: db.example.ru/skvoz, marketer");
        assert_eq!(ConnectionChoice::from_location(&location), choice);
        let text = std::fs::read_to_string(dir.path().join(CHOICE_FILE)).unwrap();
        assert!(!text.contains("s3cret") && !text.contains("password"), "{text}");
        // A damaged file is no reason not to start.
        std::fs::write(dir.path().join(CHOICE_FILE), "{").unwrap();
        assert_eq!(ConnectionChoice::load(dir.path()), None);
        assert_eq!(label(&Location::Embedded(dir.path().into())), LOCAL_LABEL);
    }

    #[test]
    fn a_refused_login_asks_for_the_password_and_a_silent_server_for_the_address() {
        let refused = not_connected(StoreError::LoginRefused {
            server: "db".into(),
            reason: "password authentication failed for user \"m\"".into(),
        });
        assert!(refused.starts_with("Сервер не принял логин и пароль"), "{refused}");
        assert!(refused.contains("Введите пароль"), "{refused}");
        let silent = not_connected(StoreError::Unreachable { server: "db".into(), reason: "refused".into() });
        assert!(silent.starts_with("Сервер db не отвечает (refused)"), "{silent}");
        let other = not_connected(StoreError::Db("relation x does not exist (42P01)".into()));
        assert!(!other.contains("пароль"), "{other}");
    }
}
