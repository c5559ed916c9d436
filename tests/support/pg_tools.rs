//! The PostgreSQL server programs, for the test harness and the benchmarks alike: where they are
//! (on the PATH or in Debian's `/usr/lib/postgresql/<v>/bin`), and running them as `postgres` when
//! we are root (the server refuses to run as root).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn find_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name));
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin").join(name));
    on_path.chain(debian).find(|p| p.is_file())
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Runs a server program; its standard output, or why it failed.
pub fn run(tool: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    let out = command.args(args).output().map_err(|e| format!("{}: {e}", tool.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!("{} {args:?}: {}", tool.display(), String::from_utf8_lossy(&out.stderr)))
    }
}
