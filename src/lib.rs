//! skvoz: the «Сквозная аналитика» workstation next to Roistat.
//!
//! Layers point down: `ui → app → {service, roistat, report} → store → domain`.

pub mod app;
pub mod demo;
pub mod domain;
pub mod leads;
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

/// The platform's data folder for skvoz (e.g. `~/.local/share/skvoz`).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("ru", "skvoz", "skvoz").map(|d| d.data_dir().to_path_buf())
}
