//! The intake journal: what makes an accepted lead durable without flushing sled.
//!
//! sled 0.34 writes its log buffer out with a synchronous write at every flush, and also at the
//! start and end of every multi-tree transaction or batch. Under load that costs more CPU than the
//! rest of a request. So an intake batch is written to sled with plain inserts and appended here,
//! and one `fdatasync` of this file, shared by everyone waiting (group commit), makes the batch
//! durable. When the file grows, a checkpoint flushes sled and empties it; on open, whatever it
//! still holds is written to sled again (only what is missing, so a replay is idempotent).
//!
//! A frame is `[payload length: u32 LE][CRC-32 of the payload: u32 LE][payload: JSON]`; a torn
//! frame at the end (a crash in the middle of an append) ends the journal.

use super::durability::GroupCommit;
use super::{Result, StoreError};
use crate::domain::{Client, Lead};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The journal's file inside the store folder.
pub const FILE_NAME: &str = "intake.journal";

/// Frames longer than this are not ours (a damaged length): the journal ends there.
const MAX_FRAME: u32 = 256 * 1024 * 1024;

/// One intake batch: everything the store wrote for it, enough to write it again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalBatch {
    /// Counters after the batch (`lead_id`, `lead_number`, `client_id`): the next free values.
    pub counters: Vec<(String, u64)>,
    /// New clients, and matched ones whose empty fields the batch filled.
    pub clients: Vec<Client>,
    /// New leads, with their ids and numbers.
    pub leads: Vec<Lead>,
}

impl JournalBatch {
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.leads.is_empty()
    }
}

pub struct Journal {
    path: PathBuf,
    /// Appends; the lock keeps frames whole.
    append: Mutex<File>,
    /// A second handle for `fdatasync`, so appends do not wait for a sync.
    sync: File,
    len: AtomicU64,
    commit: GroupCommit,
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::NotWritable { path: path.to_path_buf(), reason: e.to_string() }
}

impl Journal {
    /// Opens the journal in the store folder and reads what it holds. A torn frame at the end is
    /// cut off, so new frames follow the last whole one.
    pub fn open(store_dir: &Path) -> Result<(Journal, Vec<JournalBatch>)> {
        let path = store_dir.join(FILE_NAME);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(&path, e)),
        };
        let (batches, whole) = read_frames(&bytes);
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io_error(&path, e))?;
        if whole < bytes.len() {
            tracing::warn!("журнал приёма заявок: неполная запись в конце отброшена ({} байт)", bytes.len() - whole);
            file.set_len(whole as u64).map_err(|e| io_error(&path, e))?;
        }
        let sync = file.try_clone().map_err(|e| io_error(&path, e))?;
        let journal = Journal {
            path,
            append: Mutex::new(file),
            sync,
            len: AtomicU64::new(whole as u64),
            commit: GroupCommit::default(),
        };
        Ok((journal, batches))
    }

    /// Appends a batch (not yet durable: see [`Journal::sync`]).
    pub fn append(&self, batch: &JournalBatch) -> Result<()> {
        let payload = serde_json::to_vec(batch).map_err(|e| StoreError::Invalid(format!("журнал приёма: {e}")))?;
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|len| *len <= MAX_FRAME)
            .ok_or_else(|| StoreError::Invalid("журнал приёма: слишком большая пачка заявок".into()))?;
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        let mut file = self.append.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&frame).map_err(|e| io_error(&self.path, e))?;
        self.len.fetch_add(frame.len() as u64, Ordering::SeqCst);
        Ok(())
    }

    /// Makes every append that returned before this call durable; concurrent callers share one
    /// `fdatasync`.
    pub fn sync(&self) -> Result<()> {
        self.commit.durable(|| self.sync.sync_data().map_err(|e| io_error(&self.path, e)))
    }

    /// Bytes in the journal.
    pub fn len(&self) -> u64 {
        self.len.load(Ordering::SeqCst)
    }

    /// Empties the journal. Only after sled has flushed everything it describes.
    pub fn reset(&self) -> Result<()> {
        let file = self.append.lock().unwrap_or_else(|p| p.into_inner());
        file.set_len(0).map_err(|e| io_error(&self.path, e))?;
        file.sync_data().map_err(|e| io_error(&self.path, e))?;
        self.len.store(0, Ordering::SeqCst);
        Ok(())
    }
}

/// The whole frames at the start of `bytes`, and how many bytes they take.
fn read_frames(bytes: &[u8]) -> (Vec<JournalBatch>, usize) {
    let mut batches = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_FRAME {
            break;
        }
        let Some(payload) = bytes.get(at + 8..at + 8 + len as usize) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Ok(batch) = serde_json::from_slice::<JournalBatch>(payload) else { break };
        batches.push(batch);
        at += 8 + len as usize;
    }
    (batches, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: u64) -> JournalBatch {
        JournalBatch {
            counters: vec![("lead_id".into(), n + 1)],
            clients: Vec::new(),
            leads: vec![Lead { id: n, number: n, title: format!("Заявка {n}"), ..Lead::default() }],
        }
    }

    #[test]
    fn frames_survive_a_reopen_and_a_torn_tail_is_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, read) = Journal::open(dir.path()).expect("open");
        assert!(read.is_empty());
        journal.append(&batch(1)).expect("append");
        journal.append(&batch(2)).expect("append");
        journal.sync().expect("sync");
        let whole = journal.len();
        drop(journal);
        // A crash in the middle of the third append.
        let mut file = OpenOptions::new().append(true).open(dir.path().join(FILE_NAME)).expect("file");
        file.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, b'{']).expect("torn");
        drop(file);

        let (journal, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(2)]);
        assert_eq!(journal.len(), whole);
        assert_eq!(std::fs::metadata(dir.path().join(FILE_NAME)).expect("meta").len(), whole);
        journal.append(&batch(3)).expect("append after the cut");
        drop(journal);
        let (journal, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(2), batch(3)]);

        journal.reset().expect("reset");
        drop(journal);
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert!(read.is_empty());
    }

    #[test]
    fn a_damaged_frame_ends_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        journal.append(&batch(1)).expect("append");
        journal.append(&batch(2)).expect("append");
        drop(journal);
        let path = dir.path().join(FILE_NAME);
        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 2;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1)]);
    }
}
