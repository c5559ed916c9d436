//! The change feed over the network. Every write transaction adds a `change_log` row and sends
//! one `NOTIFY skvoz` (without payload: the table is the truth, the notification only a wake-up).
//! Each process keeps one dedicated listening connection, reads the table from its last position
//! and turns rows into [`StoreEvent`]s. After a lost connection it catches up from the table and
//! says [`StoreEvent::Reloaded`]; where `LISTEN` fails it reads the table once a second.
//!
//! Presence (which lead a window has open) is no change and is not kept: it travels as the payload
//! of `NOTIFY skvoz_presence` only, and a window that missed one hears the next repetition.

use super::{PgStore, TxResult};
use crate::store::{Result, StoreEvent};
use deadpool_postgres::Transaction;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How often the table is read when no notification can arrive.
const POLL: Duration = Duration::from_secs(1);
/// Rows older than this are removed (by whichever process gets to it); a reader that was away
/// longer hears `Reloaded`.
const KEEP: &str = "1 hour";
/// How often a process removes old rows.
const TRIM_EVERY: Duration = Duration::from_secs(600);

/// What kind of change a row records.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Leads,
    Clients,
    Catalog,
    Settings,
    Facts,
    Calls,
    Plans,
    Exchange,
    Reloaded,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Leads => "leads",
            Kind::Clients => "clients",
            Kind::Catalog => "catalog",
            Kind::Settings => "settings",
            Kind::Facts => "facts",
            Kind::Calls => "calls",
            Kind::Plans => "plans",
            Kind::Exchange => "exchange",
            Kind::Reloaded => "reloaded",
        }
    }
}

fn event(kind: &str, ids: Vec<i64>) -> Option<StoreEvent> {
    let ids: Vec<u64> = ids.into_iter().map(|i| i as u64).collect();
    Some(match kind {
        "leads" => StoreEvent::LeadsChanged(ids),
        "clients" => StoreEvent::ClientsChanged,
        "catalog" => StoreEvent::CatalogChanged,
        "settings" => StoreEvent::SettingsChanged,
        "facts" => StoreEvent::FactsChanged,
        "calls" => StoreEvent::CallsChanged,
        "plans" => StoreEvent::PlansChanged,
        "exchange" => StoreEvent::ExchangeLogged(ids.last().copied().unwrap_or(0)),
        "reloaded" => StoreEvent::Reloaded,
        _ => return None,
    })
}

/// Records a change inside the writing transaction. A `bigserial` is taken at insert, not at
/// commit, so a reader that has seen row 11 could later miss a row 10 committed after it; the
/// table lock (held to the commit, which follows soon: the record is a write's last step) makes
/// rows commit in the order of their numbers. It blocks only other writers' records, not reads.
///
/// One round trip: the statements go as one simple query, their values (our own name and
/// numbers) written in.
pub(super) async fn record(tx: &Transaction<'_>, kind: Kind, ids: &[u64]) -> TxResult<()> {
    let ids: Vec<String> = ids.iter().map(|&id| (id as i64).to_string()).collect();
    tx.batch_execute(&format!(
        "LOCK TABLE change_log IN EXCLUSIVE MODE; INSERT INTO change_log (kind, ids) VALUES ('{}', '{{{}}}'); \
         SELECT pg_notify('skvoz', '')",
        kind.name(),
        ids.join(",")
    ))
    .await?;
    Ok(())
}

/// The channel of presence announcements; NOTIFY is scoped to the database.
const PRESENCE: &str = "skvoz_presence";

impl PgStore {
    pub async fn announce(&self, presence: &crate::domain::Presence) -> Result<()> {
        let payload = serde_json::to_string(presence)
            .map_err(|e| crate::store::StoreError::Invalid(format!("сообщение о присутствии: {e}")))?;
        self.query("SELECT pg_notify($1, $2)", &[&PRESENCE, &payload]).await?;
        Ok(())
    }
}

/// Starts the listener and the reader; they end with the runtime or when the store is dropped.
pub(super) async fn start(store: PgStore, config: tokio_postgres::Config, tls: MakeRustlsConnect) -> Result<()> {
    let rows = store.query("SELECT coalesce(max(seq), 0) FROM change_log", &[]).await?;
    let last: i64 = rows.first().map_or(0, |r| r.get(0));
    let wake = std::sync::Arc::new(Notify::new());
    let weak = std::sync::Arc::downgrade(&store.0);
    drop(store);
    tokio::spawn(listen(config, tls, wake.clone(), weak.clone()));
    tokio::spawn(async move {
        let mut last = last;
        let mut trimmed = tokio::time::Instant::now();
        loop {
            // A wake-up, or the poll interval for engines without LISTEN and for lost connections.
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
            let Some(inner) = weak.upgrade() else { return };
            let store = PgStore(inner);
            if trimmed.elapsed() > TRIM_EVERY && store.rights().trim_feed {
                trimmed = tokio::time::Instant::now();
                let trim = format!("DELETE FROM change_log WHERE at < now() - interval '{KEEP}'");
                if let Err(e) = store.query(&trim, &[]).await {
                    tracing::warn!("старые записи журнала изменений не удалены: {e}");
                }
            }
            // Rows this reader never saw were removed: it cannot know what changed.
            if let Ok(rows) = store.query("SELECT coalesce(min(seq), 0) FROM change_log", &[]).await
                && let Some(oldest) = rows.first().map(|r| r.get::<_, i64>(0))
                && oldest > last + 1
                && last > 0
            {
                last = oldest - 1;
                store.emit(StoreEvent::Reloaded);
            }
            match store
                .query("SELECT seq, kind, ids FROM change_log WHERE seq > $1 ORDER BY seq LIMIT 10000", &[&last])
                .await
            {
                Ok(rows) => {
                    for row in rows {
                        last = row.get(0);
                        if let Some(event) = event(row.get(1), row.get(2)) {
                            store.emit(event);
                        }
                    }
                }
                // The reader went blind for a while: whatever it shows may be stale.
                Err(_) => store.emit(StoreEvent::Reloaded),
            }
        }
    });
    Ok(())
}

/// Keeps one connection listening; every notification wakes the reader. Reconnects with backoff.
async fn listen(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    wake: std::sync::Arc<Notify>,
    store: std::sync::Weak<super::Inner>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if let Ok((client, mut connection)) = config.connect(tls.clone()).await {
            backoff = Duration::from_millis(200);
            let driver = async {
                loop {
                    match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                        Some(Ok(AsyncMessage::Notification(n))) if n.channel() == PRESENCE => {
                            let presence = serde_json::from_str(n.payload());
                            if let (Ok(presence), Some(inner)) = (presence, store.upgrade()) {
                                PgStore(inner).emit(StoreEvent::Presence(presence));
                            }
                        }
                        Some(Ok(AsyncMessage::Notification(_))) => wake.notify_one(),
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => return,
                    }
                }
            };
            let subscribe = async {
                if client.batch_execute("LISTEN skvoz; LISTEN skvoz_presence").await.is_ok() {
                    // After a reconnect, rows written meanwhile are read at once.
                    wake.notify_one();
                }
                std::future::pending::<()>().await
            };
            tokio::select! {
                _ = driver => {}
                _ = subscribe => {}
            }
        }
        if std::sync::Arc::strong_count(&wake) == 1 {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}
