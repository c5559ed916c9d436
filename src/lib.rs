//! skvoz: the «Сквозная аналитика» workstation next to Roistat.
//!
//! Layers point down: `ui → app → {service, roistat, report} → store → domain`.

pub mod app;
pub mod demo;
pub mod domain;
pub mod leads;
pub mod net;
pub mod notify;
pub mod report;
pub mod roistat;
pub mod service;
pub mod store;
pub mod ui;

use std::path::PathBuf;

// The store allocates and frees many small nodes per write; glibc's allocator spent a third of
// the insert time on that, mimalloc a fraction. Every binary linking the library gets it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its place in `mi_option_t` (the same in mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: i32 = 15;

unsafe extern "C" {
    // mimalloc's own API, linked in with the allocator.
    fn mi_option_set(option: i32, value: std::ffi::c_long);
    fn mi_option_get(option: i32) -> std::ffi::c_long;
    fn mi_collect(force: bool);
}

/// Keeps freed memory in the allocator instead of handing it back to the system a second later.
/// sled copies a tree node on every write and frees the old copy soon after, so with the default
/// pages went back and forth and the kernel zeroed each one that came back: about a fifth of the
/// CPU of lead intake. `main` and the benches call it first.
pub fn tune_allocator() {
    // SAFETY: plain setters of the linked mimalloc; -1 is a documented value ("never purge").
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// While on, freed memory goes back to the system about a second after it is freed (mimalloc's
/// default); off is [`tune_allocator`]'s «never». The service turns it on when requests being
/// received pile up (a flood of megabyte-long heads), so that what they held is returned once they
/// are gone, and off again afterwards, keeping lead intake fast the rest of the time.
pub fn allocator_returns_memory(on: bool) {
    // SAFETY: a plain setter of the linked mimalloc; the option is read on each purge decision.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, if on { 1000 } else { -1 }) }
}

/// Hands back to the system now whatever freed memory is waiting to be returned.
pub fn allocator_collect() {
    // SAFETY: mimalloc's collection entry point; `true` also purges what is scheduled.
    unsafe { mi_collect(true) }
}

/// The allocator's current purge delay in milliseconds (-1: never).
pub fn allocator_purge_delay() -> std::ffi::c_long {
    // SAFETY: a plain getter of the linked mimalloc.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

/// Raises the soft limit on open files to the hard one. Every connection is a file descriptor, and
/// the usual soft limit (1,024) is what a flood of idle sockets exhausts first; the service's own
/// connection cap stays below what this allows.
pub fn raise_open_files_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: plain system calls on a local struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
                let wanted = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) != 0 {
                    tracing::debug!("предел открытых файлов не поднят: {}", std::io::Error::last_os_error());
                }
            }
        }
    }
}

/// The platform's data folder for skvoz (e.g. `~/.local/share/skvoz`).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("ru", "skvoz", "skvoz").map(|d| d.data_dir().to_path_buf())
}
