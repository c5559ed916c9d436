use std::path::PathBuf;

/// Store errors; the messages are for people and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("База данных {0} уже открыта другой программой skvoz: закройте её или укажите другой каталог (--data-dir)")]
    Locked(PathBuf),
    #[error(
        "Нет доступа на запись к каталогу {path}: {reason}. Укажите другой каталог (--data-dir) или дайте права на запись"
    )]
    NotWritable { path: PathBuf, reason: String },
    #[error(
        "Данные в {path} записаны более новой версией skvoz (схема {found}, эта версия понимает до {supported}): обновите программу"
    )]
    NewerVersion { path: PathBuf, found: u32, supported: u32 },
    #[error("Ошибка базы данных: {0}. Если она повторяется, восстановите данные из резервной копии (skvoz restore)")]
    Db(String),
    #[error("Запись {what} в базе повреждена: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("{0}")]
    Invalid(String),
    /// The record moved since the editor read it, in a field the editor changed too.
    #[error("{}", conflict_text(current, by, at))]
    Conflict { by: String, at: jiff::Timestamp, current: Box<crate::domain::Lead> },
    #[error("Не найдено: {0}")]
    NotFound(String),
    /// The server refused the login: a wrong or missing password, or a login that may not sign in.
    #[error(
        "Сервер {server} не принял вход ({reason}): проверьте логин и пароль или попросите администратора разрешить вход"
    )]
    LoginRefused { server: String, reason: String },
    /// The login's role may not do this (the database refused it).
    #[error(
        "Недостаточно прав: {0}. Это недоступно вашей роли; если это нужно для работы, обратитесь к администратору"
    )]
    Forbidden(String),
    #[error("Резервная копия, строка {line}: {reason}")]
    Backup { line: usize, reason: String },
    /// Where (a folder or a database) already holds data.
    #[error("{0} уже содержит данные: восстановление поверх них возможно только с --force")]
    NotEmpty(String),
    #[error("Ошибка ввода-вывода: {0}")]
    Io(#[from] std::io::Error),
    /// Nothing was stored, and a retry later may succeed (a full disk): the service answers 503.
    #[error(
        "Не удалось записать в {path}: {reason}. Ничего не записано; освободите место на диске — запись возобновится сама"
    )]
    Unavailable { path: PathBuf, reason: String },
    /// The database server cannot be reached; nothing was written. A retry later may succeed.
    #[error(
        "Нет связи с базой данных {server}: {reason}. Проверьте, что сервер PostgreSQL запущен и доступен по сети; ничего не записано, повторите позже"
    )]
    Unreachable { server: String, reason: String },
    #[error(
        "База данных {server} обновлена более новой версией skvoz (схема {found}, эта версия понимает до {supported}): обновите программу"
    )]
    NewerDatabase { server: String, found: i32, supported: i32 },
    /// The store cannot tell what reached the disk: the process must stop and open it again.
    #[error(
        "Хранилище {path} не может продолжать работу: {reason}. Программа завершается; после перезапуска принятые заявки восстановятся из журнала"
    )]
    Unrecoverable { path: PathBuf, reason: String },
    #[error(
        "Журнал приёма заявок {path} повреждён (запись со смещения {offset}: {reason}). База не открыта, чтобы не потерять принятые заявки; файл оставлен как есть: сохраните его копию и восстановите его или обратитесь в поддержку"
    )]
    JournalDamaged { path: PathBuf, offset: usize, reason: String },
}

/// The words of [`StoreError::Conflict`].
pub fn conflict_text(lead: &crate::domain::Lead, by: &str, at: &jiff::Timestamp) -> String {
    let who = if by.is_empty() { "другой пользователь" } else { by };
    let when = at.to_zoned(jiff::tz::TimeZone::system()).strftime("%d.%m.%Y %H:%M");
    format!(
        "Заявку № {} изменил {who} в {when}, пока она была открыта: нажмите «Обновить», чтобы увидеть его изменения (введённое вами в другие поля сохранится), «Записать поверх» или «Сравнить»",
        lead.number
    )
}

impl StoreError {
    /// Whether the process must stop (so that a supervisor starts it again) rather than go on.
    pub fn is_unrecoverable(&self) -> bool {
        matches!(self, StoreError::Unrecoverable { .. })
    }
}

// One failed flush or read answers every request of a batch, so the error is copied; an I/O error
// keeps its kind and text.
impl Clone for StoreError {
    fn clone(&self) -> Self {
        match self {
            StoreError::Locked(p) => StoreError::Locked(p.clone()),
            StoreError::NotWritable { path, reason } => {
                StoreError::NotWritable { path: path.clone(), reason: reason.clone() }
            }
            StoreError::NewerVersion { path, found, supported } => {
                StoreError::NewerVersion { path: path.clone(), found: *found, supported: *supported }
            }
            StoreError::Db(s) => StoreError::Db(s.clone()),
            StoreError::Corrupt { what, reason } => StoreError::Corrupt { what: what.clone(), reason: reason.clone() },
            StoreError::Invalid(s) => StoreError::Invalid(s.clone()),
            StoreError::NotFound(s) => StoreError::NotFound(s.clone()),
            StoreError::Forbidden(s) => StoreError::Forbidden(s.clone()),
            StoreError::LoginRefused { server, reason } => {
                StoreError::LoginRefused { server: server.clone(), reason: reason.clone() }
            }
            StoreError::Conflict { by, at, current } => {
                StoreError::Conflict { by: by.clone(), at: *at, current: current.clone() }
            }
            StoreError::Backup { line, reason } => StoreError::Backup { line: *line, reason: reason.clone() },
            StoreError::NotEmpty(p) => StoreError::NotEmpty(p.clone()),
            StoreError::Io(e) => StoreError::Io(std::io::Error::new(e.kind(), e.to_string())),
            StoreError::Unavailable { path, reason } => {
                StoreError::Unavailable { path: path.clone(), reason: reason.clone() }
            }
            StoreError::Unreachable { server, reason } => {
                StoreError::Unreachable { server: server.clone(), reason: reason.clone() }
            }
            StoreError::NewerDatabase { server, found, supported } => {
                StoreError::NewerDatabase { server: server.clone(), found: *found, supported: *supported }
            }
            StoreError::Unrecoverable { path, reason } => {
                StoreError::Unrecoverable { path: path.clone(), reason: reason.clone() }
            }
            StoreError::JournalDamaged { path, offset, reason } => {
                StoreError::JournalDamaged { path: path.clone(), offset: *offset, reason: reason.clone() }
            }
        }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
