//! Group commit: one flush makes many writers' changes durable; a flush that cannot hang for ever;
//! an `fsync` of sled's files.

use super::{Result, StoreError};
use std::path::Path;
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

/// How long a flush of sled may take before the store gives up on it (a disk that stopped
/// answering, or sled stuck after an I/O error).
pub const FLUSH_LIMIT: Duration = Duration::from_secs(60);

/// Flushes sled in a thread of its own and waits at most `limit`. A flush that failed or did not
/// end is unrecoverable: sled keeps an I/O error for good, and a hung flush never returns.
pub fn flush_with_watchdog(db: &sled::Db, path: &Path, limit: Duration) -> Result<()> {
    let unrecoverable = |reason: String| StoreError::Unrecoverable { path: path.to_path_buf(), reason };
    let (done, finished) = mpsc::channel();
    let db = db.clone();
    std::thread::Builder::new()
        .name("skvoz-flush".into())
        .spawn(move || {
            let _ = done.send(db.flush());
        })
        .map_err(|e| unrecoverable(e.to_string()))?;
    match finished.recv_timeout(limit) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unrecoverable(e.to_string())),
        Err(_) => Err(unrecoverable(format!("сброс базы на диск не закончился за {} с", limit.as_secs()))),
    }
}

/// `fsync`s every file of sled in the store folder (not the intake journal), then the folder.
pub fn sync_store_files(dir: &Path) -> Result<()> {
    let failed =
        |path: &Path, e: std::io::Error| StoreError::Unrecoverable { path: path.to_path_buf(), reason: e.to_string() };
    let entries = std::fs::read_dir(dir).map_err(|e| failed(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| failed(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| failed(&path, e))?;
        let name = entry.file_name();
        if kind.is_dir() {
            sync_store_files(&path)?;
        } else if kind.is_file() && !super::journal::is_journal_file(&name.to_string_lossy()) {
            match std::fs::File::open(&path).and_then(|f| f.sync_all()) {
                // sled removed it since the listing (a blob it no longer needs): nothing to sync.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other.map_err(|e| failed(&path, e))?,
            }
        }
    }
    super::journal::sync_dir(dir)
}

#[derive(Default)]
struct State {
    /// Tickets handed out: one per `durable` call, taken after the caller's writes.
    issued: u64,
    /// Every ticket up to this one is on disk.
    flushed: u64,
    flushing: bool,
}

#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<State>,
    done: Condvar,
}

impl GroupCommit {
    pub fn durable(&self, flush: impl Fn() -> Result<()>) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.flushed >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self.done.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Lead a flush for everyone who has a ticket so far.
            state.flushing = true;
            let target = state.issued;
            drop(state);
            let result = flush();
            state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.flushing = false;
            if result.is_ok() {
                state.flushed = state.flushed.max(target);
            }
            self.done.notify_all();
            result?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_flush_ends_and_the_store_files_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = sled::Config::new().path(dir.path()).open().expect("sled");
        db.insert(b"k", b"v").expect("insert");
        flush_with_watchdog(&db, dir.path(), FLUSH_LIMIT).expect("flush");
        sync_store_files(dir.path()).expect("fsync");
    }
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn concurrent_callers_share_flushes() {
        let commit = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (commit, flushes) = (commit.clone(), flushes.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        commit
                            .durable(|| {
                                flushes.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                Ok(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!(n < 16 * 50, "every caller flushed alone: {n}");
        assert!(n > 0);
    }
}
