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

/// The platform's data folder for skvoz (e.g. `~/.local/share/skvoz`).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("ru", "skvoz", "skvoz").map(|d| d.data_dir().to_path_buf())
}
