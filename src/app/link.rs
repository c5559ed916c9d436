//! The team database's light: whether the server answers. A background task asks it a cheap
//! `SELECT 1` every few seconds (every second while it does not answer), and at once when the app
//! saw something fail; the window shows a red «Нет связи с базой» while it is down and reads
//! everything again when it is back. The embedded store has no light: it is always there.

use super::Background;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often a working database is asked.
const WHILE_UP: Duration = Duration::from_secs(2);
/// How often a database that did not answer is asked again.
const WHILE_DOWN: Duration = Duration::from_secs(1);
/// An answer slower than this counts as none (a server behind a broken network never refuses).
const ANSWER_LIMIT: Duration = Duration::from_secs(3);

/// The last check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    pub up: bool,
    /// How many checks ran; a change the app waits for is applied after a later check.
    pub checks: u64,
    /// Why the last check failed, for the light's hover text.
    pub error: Option<String>,
}

impl Default for LinkState {
    fn default() -> Self {
        LinkState { up: true, checks: 0, error: None }
    }
}

/// Starts the checks on the background runtime; the state reaches the window through `bg.link`.
/// Returns what asks for a check now.
pub(super) fn watch_link(bg: &mut Background, store: &Store) -> Option<Arc<Notify>> {
    let runtime = bg.runtime_handle()?;
    let (tx, rx) = watch::channel(LinkState::default());
    bg.plug_link(rx);
    let now = Arc::new(Notify::new());
    runtime.spawn(check_forever(store.clone(), tx, now.clone()));
    Some(now)
}

async fn check_forever(store: Store, tx: watch::Sender<LinkState>, now: Arc<Notify>) {
    let mut asked = false;
    loop {
        let error = match tokio::time::timeout(ANSWER_LIMIT, store.ping()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("сервер не ответил за {} с", ANSWER_LIMIT.as_secs())),
        };
        let up = error.is_none();
        // The window hears of a check only when the light changes or someone asked for it: a
        // quiet database costs no repaints.
        tx.send_if_modified(|state| {
            let changed = state.up != up || asked;
            state.checks += 1;
            state.up = up;
            state.error = error;
            changed
        });
        if tx.is_closed() {
            return;
        }
        let pause = if up { WHILE_UP } else { WHILE_DOWN };
        asked = tokio::select! {
            _ = tokio::time::sleep(pause) => false,
            _ = now.notified() => true,
        };
    }
}
