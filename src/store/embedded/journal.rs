//! The intake journal: what makes an accepted lead durable without flushing sled.
//!
//! sled 0.34 writes its log buffer out with a synchronous write at every flush, and also at the
//! start and end of every multi-tree transaction or batch. Under load that costs more CPU than the
//! rest of a request. So an intake batch is written to sled with plain inserts and appended here,
//! and one `fdatasync` of the journal, shared by everyone waiting (group commit), makes the batch
//! durable. On open, whatever the journal holds is written to sled again (only what is missing, so
//! a replay is idempotent).
//!
//! The journal is a row of segment files, `intake.<n>.journal`. Appends go to the newest one. A
//! checkpoint starts a new segment, flushes and `fsync`s sled without holding any lock intake
//! needs, and only then removes the older segments. Every open starts a new segment too, so a
//! segment that was read is never written again: a damaged file stays exactly as it was found.
//!
//! A frame is `[length: u32 LE][CRC-32: u32 LE][format version: u8][payload: JSON]`; the length and
//! the CRC cover the version byte and the payload. Frames written before the version byte existed
//! start their payload with `{` and are still read.

use super::durability::GroupCommit;
use super::{Result, StoreError};
use crate::domain::{Client, HistoryEntry, Lead};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The journal's only file before it was split into segments; read as the oldest segment.
pub const LEGACY_FILE_NAME: &str = "intake.journal";

/// The format of the frames this version writes.
const FORMAT_VERSION: u8 = 1;

/// The first payload byte of a frame written before frames carried a version (a JSON object).
const UNVERSIONED: u8 = b'{';

/// Frames longer than this are not ours (a damaged length).
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
    /// Their history entries, with ids (batches written before the history have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

impl JournalBatch {
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.leads.is_empty()
    }
}

/// The file name of segment `number` (0 is the legacy single file).
fn segment_name(number: u64) -> String {
    if number == 0 { LEGACY_FILE_NAME.to_string() } else { format!("intake.{number}.journal") }
}

fn segment_number(name: &str) -> Option<u64> {
    if name == LEGACY_FILE_NAME {
        return Some(0);
    }
    let digits = name.strip_prefix("intake.")?.strip_suffix(".journal")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// Whether a file in the store folder belongs to the journal (a checkpoint `fsync`s the others).
pub fn is_journal_file(name: &str) -> bool {
    segment_number(name).is_some()
}

struct Segment {
    number: u64,
    path: PathBuf,
    file: Arc<File>,
    /// Bytes of whole frames in the file.
    len: u64,
}

struct Segments {
    current: Segment,
    /// Closed by a checkpoint, removed once sled's files hold everything they describe.
    sealed: Vec<Segment>,
    /// A failed append left bytes after this length that could not be cut off yet; nothing is
    /// appended until they are.
    uncut: Option<u64>,
}

/// Segments closed by [`Journal::seal`]: a checkpoint removes them once sled is durable.
pub struct Sealed {
    up_to: u64,
}

pub struct Journal {
    dir: PathBuf,
    segments: Mutex<Segments>,
    commit: GroupCommit,
    #[cfg(test)]
    pub(crate) faults: Faults,
}

fn unavailable(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable { path: path.to_path_buf(), reason: e.to_string() }
}

fn unrecoverable(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unrecoverable { path: path.to_path_buf(), reason: e.to_string() }
}

/// Makes a created or removed file's name durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| unrecoverable(dir, e))
}

impl Journal {
    /// Reads every segment in the store folder and starts a new one for appends. A torn frame at
    /// the end of a segment (a crash or a failed append) is left out. Damage with whole frames
    /// after it, or a whole frame this version cannot read, refuses the open and changes nothing:
    /// skipping it would lose an acknowledged lead without a word and hand its id to another.
    pub fn open(store_dir: &Path) -> Result<(Journal, Vec<JournalBatch>)> {
        let mut found = Vec::new();
        let entries = std::fs::read_dir(store_dir).map_err(|e| unavailable(store_dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| unavailable(store_dir, e))?;
            if let Some(number) = entry.file_name().to_str().and_then(segment_number) {
                found.push((number, entry.path()));
            }
        }
        found.sort();
        let mut batches = Vec::new();
        let mut sealed = Vec::new();
        for (number, path) in &found {
            let bytes = std::fs::read(path).map_err(|e| unavailable(path, e))?;
            let (read, whole) = read_frames(&bytes, path)?;
            if whole < bytes.len() {
                tracing::warn!(
                    "журнал приёма заявок {}: неполная запись в конце пропущена ({} байт)",
                    path.display(),
                    bytes.len() - whole
                );
            }
            batches.extend(read);
            let file = File::open(path).map_err(|e| unavailable(path, e))?;
            sealed.push(Segment { number: *number, path: path.clone(), file: Arc::new(file), len: whole as u64 });
        }
        let next = found.last().map_or(1, |(number, _)| number + 1);
        let current = create_segment(store_dir, next)?;
        // Segments without a whole frame hold nothing to replay (every open leaves one behind).
        let (empty, sealed): (Vec<Segment>, Vec<Segment>) = sealed.into_iter().partition(|s| s.len == 0);
        for segment in &empty {
            std::fs::remove_file(&segment.path).map_err(|e| unavailable(&segment.path, e))?;
        }
        let journal = Journal {
            dir: store_dir.to_path_buf(),
            segments: Mutex::new(Segments { current, sealed, uncut: None }),
            commit: GroupCommit::default(),
            #[cfg(test)]
            faults: Faults::default(),
        };
        Ok((journal, batches))
    }

    fn segments(&self) -> MutexGuard<'_, Segments> {
        self.segments.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a batch (not yet durable: see [`Journal::sync`]). A failed append is cut off
    /// before anything else is appended; while it cannot be, appends fail.
    pub fn append(&self, batch: &JournalBatch) -> Result<()> {
        let frame = encode_frame(batch)?;
        let mut segments = self.segments();
        let segments = &mut *segments;
        if let Some(whole) = segments.uncut {
            self.cut(&segments.current, whole).map_err(|e| unavailable(&segments.current.path, e))?;
            segments.uncut = None;
        }
        let current = &mut segments.current;
        if let Err(e) = self.write(&current.file, &frame) {
            if self.cut(current, current.len).is_err() {
                segments.uncut = Some(current.len);
            }
            return Err(unavailable(&current.path, e));
        }
        current.len += frame.len() as u64;
        Ok(())
    }

    fn write(&self, mut file: &File, frame: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if self.faults.take(&self.faults.torn_appends) {
            file.write_all(&frame[..frame.len() / 2])?;
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"));
        }
        file.write_all(frame)
    }

    fn cut(&self, segment: &Segment, whole: u64) -> std::io::Result<()> {
        #[cfg(test)]
        if self.faults.take(&self.faults.failed_cuts) {
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"));
        }
        segment.file.set_len(whole)
    }

    /// Makes every append that returned before this call durable; concurrent callers share one
    /// `fdatasync`. A failed sync is not retried: after it the kernel may have dropped the pages,
    /// and a later sync could report success for data that is gone.
    pub fn sync(&self) -> Result<()> {
        self.commit.durable(|| {
            let files: Vec<(Arc<File>, PathBuf)> = {
                let segments = self.segments();
                segments.sealed.iter().chain([&segments.current]).map(|s| (s.file.clone(), s.path.clone())).collect()
            };
            for (file, path) in files {
                file.sync_data().map_err(|e| unrecoverable(&path, e))?;
            }
            Ok(())
        })
    }

    /// Bytes in the segment that takes appends.
    pub fn len(&self) -> u64 {
        self.segments().current.len
    }

    /// Creates the next segment (a file and its name on disk) before a checkpoint takes the
    /// store's write lock, so that the lock is held only for [`Journal::seal`].
    pub fn prepare(&self) -> Result<PreparedSegment> {
        let number = self.segments().current.number + 1;
        Ok(PreparedSegment(create_segment(&self.dir, number)?))
    }

    /// Switches appends to the prepared segment. Call it under the store's write lock: every
    /// batch in the older segments is then in sled, and a flush that starts after this covers it.
    pub fn seal(&self, next: PreparedSegment) -> Sealed {
        let mut segments = self.segments();
        let old = std::mem::replace(&mut segments.current, next.0);
        let up_to = old.number;
        segments.sealed.push(old);
        // A failed append's leftover is in the old segment, which the checkpoint removes whole.
        segments.uncut = None;
        Sealed { up_to }
    }

    /// Removes the sealed segments. Only after sled's files are durable.
    pub fn remove(&self, sealed: Sealed) -> Result<()> {
        let removed: Vec<Segment> = {
            let mut segments = self.segments();
            let (removed, kept) =
                std::mem::take(&mut segments.sealed).into_iter().partition(|s| s.number <= sealed.up_to);
            segments.sealed = kept;
            removed
        };
        for segment in &removed {
            match std::fs::remove_file(&segment.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(unavailable(&segment.path, e)),
            }
        }
        sync_dir(&self.dir)
    }

    /// Drops everything the journal holds (a restore replaces what it describes).
    pub fn reset(&self) -> Result<()> {
        let sealed = {
            let mut segments = self.segments();
            let current = &mut segments.current;
            current
                .file
                .set_len(0)
                .and_then(|_| current.file.sync_data())
                .map_err(|e| unavailable(&current.path, e))?;
            current.len = 0;
            segments.uncut = None;
            Sealed { up_to: segments.current.number }
        };
        self.remove(sealed)
    }

    #[cfg(test)]
    pub(crate) fn sealed_count(&self) -> usize {
        self.segments().sealed.len()
    }
}

/// A new, empty segment whose name is already durable.
pub struct PreparedSegment(Segment);

fn create_segment(dir: &Path, number: u64) -> Result<Segment> {
    let path = dir.join(segment_name(number));
    let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| unavailable(&path, e))?;
    // A leftover of an interrupted checkpoint is empty or holds frames already in sled: start over.
    file.set_len(0).map_err(|e| unavailable(&path, e))?;
    sync_dir(dir)?;
    Ok(Segment { number, path, file: Arc::new(file), len: 0 })
}

fn encode_frame(batch: &JournalBatch) -> Result<Vec<u8>> {
    let mut body = vec![FORMAT_VERSION];
    serde_json::to_writer(&mut body, batch).map_err(|e| StoreError::Invalid(format!("журнал приёма: {e}")))?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|len| *len <= MAX_FRAME)
        .ok_or_else(|| StoreError::Invalid("журнал приёма: слишком большая пачка заявок".into()))?;
    let mut frame = Vec::with_capacity(body.len() + 8);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The frame body (version and payload) at the start of `bytes`, if a whole frame with a matching
/// CRC is there.
fn whole_frame(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..8)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > MAX_FRAME {
        return None;
    }
    let body = bytes.get(8..8 + len as usize)?;
    (crc32fast::hash(body) == crc).then_some(body)
}

fn decode(body: &[u8]) -> std::result::Result<JournalBatch, String> {
    let parsed = match body[0] {
        FORMAT_VERSION => serde_json::from_slice(&body[1..]),
        UNVERSIONED => serde_json::from_slice(body),
        other => return Err(format!("формат записи {other} новее, чем понимает эта версия skvoz: обновите программу")),
    };
    parsed.map_err(|e| format!("содержимое не читается этой версией skvoz ({e})"))
}

/// The batches of a segment and how many bytes their frames take. A bad frame ends the segment
/// only if no whole frame follows it (a torn append); otherwise the segment is damaged.
fn read_frames(bytes: &[u8], path: &Path) -> Result<(Vec<JournalBatch>, usize)> {
    let damaged =
        |offset: usize, reason: String| StoreError::JournalDamaged { path: path.to_path_buf(), offset, reason };
    let mut batches = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(body) = whole_frame(&bytes[at..]) else {
            if (at + 1..bytes.len()).any(|later| whole_frame(&bytes[later..]).is_some()) {
                return Err(damaged(at, "контрольная сумма не сходится, а за записью есть целые".into()));
            }
            break;
        };
        batches.push(decode(body).map_err(|reason| damaged(at, reason))?);
        at += 8 + body.len();
    }
    Ok((batches, at))
}

/// Failures a test asks for: each counter is how many of the next calls fail.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Faults {
    /// Appends that write half their frame and then fail, as on a full disk.
    pub torn_appends: std::sync::atomic::AtomicU32,
    /// Cuts of a failed append that fail.
    pub failed_cuts: std::sync::atomic::AtomicU32,
}

#[cfg(test)]
impl Faults {
    fn take(&self, counter: &std::sync::atomic::AtomicU32) -> bool {
        use std::sync::atomic::Ordering;
        counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    fn batch(n: u64) -> JournalBatch {
        JournalBatch {
            counters: vec![("lead_id".into(), n + 1)],
            clients: Vec::new(),
            leads: vec![Lead { id: n, number: n, title: format!("Заявка {n}"), ..Lead::default() }],
            history: Vec::new(),
        }
    }

    fn segment_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| is_journal_file(p.file_name().and_then(|n| n.to_str()).unwrap_or("")))
            .collect();
        files.sort_by_key(|p| segment_number(p.file_name().and_then(|n| n.to_str()).unwrap_or("")));
        files
    }

    fn open_err(dir: &Path) -> StoreError {
        match Journal::open(dir) {
            Ok(_) => panic!("the journal opened"),
            Err(e) => e,
        }
    }

    #[test]
    fn frames_survive_a_reopen_and_a_torn_tail_is_left_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, read) = Journal::open(dir.path()).expect("open");
        assert!(read.is_empty());
        journal.append(&batch(1)).expect("append");
        journal.append(&batch(2)).expect("append");
        journal.sync().expect("sync");
        drop(journal);
        // A crash in the middle of the third append.
        let first = segment_files(dir.path()).pop().expect("segment");
        let mut file = OpenOptions::new().append(true).open(&first).expect("file");
        file.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 1, b'{']).expect("torn");
        drop(file);
        let torn = std::fs::read(&first).expect("read");

        let (journal, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(2)]);
        assert_eq!(std::fs::read(&first).expect("read"), torn, "a segment that was read is not written");
        journal.append(&batch(3)).expect("append after the torn tail");
        drop(journal);
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(2), batch(3)]);
    }

    #[test]
    fn a_torn_append_is_cut_off_before_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        journal.append(&batch(1)).expect("append");
        let whole = journal.len();
        journal.faults.torn_appends.store(1, Ordering::SeqCst);
        let failed = journal.append(&batch(2)).expect_err("disk full");
        assert!(matches!(failed, StoreError::Unavailable { .. }), "{failed:?}");
        assert_eq!(journal.len(), whole);
        let segment = segment_files(dir.path()).pop().expect("segment");
        assert_eq!(std::fs::metadata(&segment).expect("meta").len(), whole, "the torn half is cut off");
        journal.append(&batch(3)).expect("append after the failure");
        journal.sync().expect("sync");
        drop(journal);
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(3)]);
    }

    #[test]
    fn appends_stop_until_a_failed_append_can_be_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        journal.append(&batch(1)).expect("append");
        journal.faults.torn_appends.store(1, Ordering::SeqCst);
        journal.faults.failed_cuts.store(2, Ordering::SeqCst);
        journal.append(&batch(2)).expect_err("disk full");
        // The cut fails again: nothing may follow the torn half.
        let refused = journal.append(&batch(3)).expect_err("still torn");
        assert!(matches!(refused, StoreError::Unavailable { .. }), "{refused:?}");
        // Space is back: the cut succeeds and the append follows the last whole frame.
        journal.append(&batch(4)).expect("append once the cut succeeds");
        drop(journal);
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read, vec![batch(1), batch(4)]);
    }

    #[test]
    fn damage_in_the_middle_refuses_the_open_and_keeps_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        let mut starts = Vec::new();
        for n in 1..=30 {
            starts.push(journal.len() as usize);
            journal.append(&batch(n)).expect("append");
        }
        drop(journal);
        let path = segment_files(dir.path()).pop().expect("segment");
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[starts[9] + 12] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");

        let refused = open_err(dir.path());
        assert!(matches!(refused, StoreError::JournalDamaged { offset, .. } if offset == starts[9]), "{refused:?}");
        assert!(refused.to_string().contains(&path.display().to_string()), "{refused}");
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "the damaged file is kept as it was");
        // Undamaged again (restored from a copy), every frame is read.
        bytes[starts[9] + 12] ^= 0xff;
        std::fs::write(&path, &bytes).expect("write");
        let (_, read) = Journal::open(dir.path()).expect("reopen");
        assert_eq!(read.len(), 30);
    }

    #[test]
    fn a_whole_frame_that_does_not_decode_refuses_the_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        journal.append(&batch(1)).expect("append");
        drop(journal);
        let path = segment_files(dir.path()).pop().expect("segment");
        let bytes = std::fs::read(&path).expect("read");
        for body in [&b"\x01{\"leads\":\"changed\"}"[..], &b"\x02{}"[..]] {
            let mut frame = (body.len() as u32).to_le_bytes().to_vec();
            frame.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
            frame.extend_from_slice(body);
            let mut damaged = bytes.clone();
            damaged.extend_from_slice(&frame);
            std::fs::write(&path, &damaged).expect("write");
            let refused = open_err(dir.path());
            assert!(matches!(refused, StoreError::JournalDamaged { .. }), "{refused:?}");
            assert_eq!(std::fs::read(&path).expect("read"), damaged);
        }
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(Journal::open(dir.path()).expect("reopen").1, vec![batch(1)]);
    }

    #[test]
    fn frames_without_a_version_are_still_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let payload = serde_json::to_vec(&batch(7)).expect("json");
        let mut frame = (payload.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        std::fs::write(dir.path().join(LEGACY_FILE_NAME), &frame).expect("write");
        let (journal, read) = Journal::open(dir.path()).expect("open");
        assert_eq!(read, vec![batch(7)]);
        journal.append(&batch(8)).expect("append");
        drop(journal);
        assert_eq!(Journal::open(dir.path()).expect("reopen").1, vec![batch(7), batch(8)]);
    }

    #[test]
    fn sealed_segments_are_removed_and_appends_go_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _) = Journal::open(dir.path()).expect("open");
        journal.append(&batch(1)).expect("append");
        let next = journal.prepare().expect("prepare");
        let sealed = journal.seal(next);
        journal.append(&batch(2)).expect("append to the new segment");
        journal.sync().expect("sync");
        journal.remove(sealed).expect("remove");
        assert_eq!(journal.sealed_count(), 0);
        drop(journal);
        assert_eq!(Journal::open(dir.path()).expect("reopen").1, vec![batch(2)]);
    }
}
