//! How many connections are open, from whom, and how many bytes of requests not yet read to the
//! end they hold: the caps that keep one client from shutting everyone else out (file
//! descriptors, memory) before it has even authenticated.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// The caps; they can change while the service runs (settings screen).
#[derive(Debug)]
pub struct Limits {
    pub max_connections: AtomicUsize,
    pub max_per_address: AtomicUsize,
    /// Bytes of request buffers across all connections.
    pub max_buffered_bytes: AtomicUsize,
}

impl Limits {
    pub fn new(max_connections: usize, max_per_address: usize, max_buffered_bytes: usize) -> Limits {
        Limits {
            max_connections: AtomicUsize::new(max_connections),
            max_per_address: AtomicUsize::new(max_per_address),
            max_buffered_bytes: AtomicUsize::new(max_buffered_bytes),
        }
    }
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    Total,
    PerAddress,
}

/// The open connections and their buffers.
pub struct Connections {
    pub limits: Arc<Limits>,
    open: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    buffered: AtomicUsize,
    /// Buffers went over [`PEAK_BYTES`] and the allocator returns freed memory until they calm down.
    peak: AtomicBool,
    /// Connections refused over a cap since the last look.
    refused: AtomicUsize,
    /// Wakes idle connections when the service comes under pressure, so they close sooner.
    pressure: Notify,
}

impl Connections {
    pub fn new(limits: Arc<Limits>) -> Arc<Connections> {
        Arc::new(Connections {
            limits,
            open: AtomicUsize::new(0),
            per_address: Mutex::new(HashMap::new()),
            buffered: AtomicUsize::new(0),
            peak: AtomicBool::new(false),
            refused: AtomicUsize::new(0),
            pressure: Notify::new(),
        })
    }

    /// Takes a place for a new connection from `ip`; `per_address_cap` is false for trusted
    /// proxies, whose connections carry many clients and count only against the total.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, per_address_cap: bool) -> Result<Slot, Refused> {
        let max = self.limits.max_connections.load(Ordering::Relaxed).max(1);
        let mut per_address = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        let open = self.open.load(Ordering::Relaxed);
        if open >= max {
            return Err(Refused::Total);
        }
        let mine = per_address.get(&ip).copied().unwrap_or(0);
        if per_address_cap && mine >= self.limits.max_per_address.load(Ordering::Relaxed).max(1) {
            return Err(Refused::PerAddress);
        }
        per_address.insert(ip, mine + 1);
        self.open.store(open + 1, Ordering::Relaxed);
        drop(per_address);
        if open == max / 2 {
            // Just crossed half the cap.
            self.pressure.notify_waiters();
        }
        Ok(Slot { connections: self.clone(), ip, buffered: 0 })
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Over half the cap: idle keep-alive connections should make room.
    pub fn under_pressure(&self) -> bool {
        self.open() > self.limits.max_connections.load(Ordering::Relaxed) / 2
    }

    /// Resolves when the service comes under pressure.
    pub async fn pressure(&self) {
        self.pressure.notified().await
    }

    /// Bytes of request buffers held right now.
    pub fn buffered(&self) -> usize {
        self.buffered.load(Ordering::Relaxed)
    }

    pub fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Called every few seconds: says how many connections were refused meanwhile; and once a
    /// peak has passed, the memory it held goes back to the system and the allocator keeps freed
    /// memory again (what lead intake is fastest with).
    pub fn housekeeping(&self) {
        let refused = self.refused.swap(0, Ordering::Relaxed);
        if refused > 0 {
            tracing::warn!(
                "отклонено {refused} соединений сверх предела (открыто {}): если это Roistat, увеличьте пределы соединений в настройках HTTP-сервиса",
                self.open()
            );
        }
        if self.buffered() < PEAK_BYTES / 4 && self.peak.swap(false, Ordering::Relaxed) {
            crate::allocator_collect();
            crate::allocator_returns_memory(false);
        }
    }

    pub fn in_peak(&self) -> bool {
        self.peak.load(Ordering::Relaxed)
    }
}

/// What a connection may buffer outside the shared budget: an ordinary request (Roistat's calls
/// other than long leads) always fits, however many long heads fill the budget. Bounded by the
/// connection cap: 1,024 × 16 KiB = 16 MiB.
pub const ALLOWANCE: usize = 16 << 10;

/// The part of a buffer the shared budget counts.
fn counted(bytes: usize) -> usize {
    bytes.saturating_sub(ALLOWANCE)
}

/// Request buffers above this in total are a peak whose memory should go back to the system
/// afterwards. Roistat sends one long lead at a time: only a flood gets here.
pub const PEAK_BYTES: usize = 16 << 20;

/// One admitted connection: gives its place back when dropped, and accounts for its buffer.
pub struct Slot {
    connections: Arc<Connections>,
    ip: IpAddr,
    buffered: usize,
}

impl Slot {
    /// Whether the connection may grow its buffer to `bytes` in total (its own bytes included).
    pub fn may_buffer(&self, bytes: usize) -> bool {
        let others = self.connections.buffered().saturating_sub(self.buffered);
        others + counted(bytes) <= self.connections.limits.max_buffered_bytes.load(Ordering::Relaxed)
    }

    /// Records that the connection's buffer now holds `bytes`.
    pub fn set_buffered(&mut self, bytes: usize) {
        let bytes = counted(bytes);
        if bytes >= self.buffered {
            let before = self.connections.buffered.fetch_add(bytes - self.buffered, Ordering::Relaxed);
            // Before the memory is freed, or it is kept for good (see `tune_allocator`).
            if before + bytes - self.buffered >= PEAK_BYTES && !self.connections.peak.swap(true, Ordering::Relaxed) {
                crate::allocator_returns_memory(true);
            }
        } else {
            self.connections.buffered.fetch_sub(self.buffered - bytes, Ordering::Relaxed);
        }
        self.buffered = bytes;
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.set_buffered(0);
        let mut per_address = self.connections.per_address.lock().unwrap_or_else(|p| p.into_inner());
        match per_address.get_mut(&self.ip) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                per_address.remove(&self.ip);
            }
        }
        self.connections.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn caps_in_total_and_per_address() {
        let c = Connections::new(Arc::new(Limits::new(4, 2, 1000)));
        let a1 = c.admit(ip("10.0.0.1"), true).unwrap();
        let _a2 = c.admit(ip("10.0.0.1"), true).unwrap();
        assert_eq!(c.admit(ip("10.0.0.1"), true).err(), Some(Refused::PerAddress));
        // A trusted proxy is not capped per address, only in total.
        let _p1 = c.admit(ip("127.0.0.1"), false).unwrap();
        let _p2 = c.admit(ip("127.0.0.1"), false).unwrap();
        assert!(c.under_pressure());
        assert_eq!(c.admit(ip("10.0.0.2"), true).err(), Some(Refused::Total));
        drop(a1);
        assert_eq!(c.open(), 3);
        assert!(c.admit(ip("10.0.0.1"), true).is_ok());
    }

    #[test]
    fn buffers_share_one_budget() {
        let c = Connections::new(Arc::new(Limits::new(10, 10, 1000)));
        let mut a = c.admit(ip("10.0.0.1"), true).unwrap();
        let mut b = c.admit(ip("10.0.0.2"), true).unwrap();
        assert!(a.may_buffer(ALLOWANCE + 600));
        a.set_buffered(ALLOWANCE + 600);
        assert!(!b.may_buffer(ALLOWANCE + 500));
        assert!(b.may_buffer(ALLOWANCE + 400));
        b.set_buffered(ALLOWANCE + 400);
        // Growing its own buffer counts only the growth.
        assert!(a.may_buffer(ALLOWANCE + 600));
        assert!(!a.may_buffer(ALLOWANCE + 601));
        // The budget is spent, yet an ordinary request still fits.
        let third = c.admit(ip("10.0.0.3"), true).unwrap();
        assert!(third.may_buffer(ALLOWANCE));
        drop(a);
        assert_eq!(c.buffered(), 400);
        assert!(b.may_buffer(ALLOWANCE + 1000));
    }
}
