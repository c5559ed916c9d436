//! A throw-away PostgreSQL server for benchmarks: `initdb` into a temporary folder and `pg_ctl
//! start` on a Unix socket, with the server's durability settings as in production — `fsync`,
//! `synchronous_commit` and `full_page_writes` on — unlike the test harness, which turns them off
//! for speed. As root it runs as the `postgres` user (the server refuses root). Stopped and removed
//! on drop, and by a watchdog when the bench process ends any other way.

#[path = "../../tests/support/pg_tools.rs"]
mod pg_tools;

use pg_tools::{find_tool, is_root, run};
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct PgServer {
    pg_ctl: PathBuf,
    dir: PathBuf,
    pub config: tokio_postgres::Config,
    /// `postgres --version`, for the printed figures.
    pub version: String,
}

impl PgServer {
    /// Starts a server; `Err` says why not (no PostgreSQL installed, a failed start).
    pub fn start() -> Result<PgServer, String> {
        let initdb = find_tool("initdb").ok_or("initdb не найден")?;
        let pg_ctl = find_tool("pg_ctl").ok_or("pg_ctl не найден")?;
        let postgres = find_tool("postgres").ok_or("postgres не найден")?;
        let dir = tempfile::Builder::new().prefix("skvoz-bench-pg-").tempdir().map_err(|e| e.to_string())?.keep();
        if is_root() {
            let chown = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
            if !chown.is_ok_and(|s| s.success()) {
                return Err("chown postgres не удался".into());
            }
        }
        let dir_s = dir.to_string_lossy().to_string();
        let data = format!("{dir_s}/data");
        run(&initdb, &["-D", &data, "-U", "skvoz", "-A", "trust", "-E", "UTF8", "--locale=C"])?;
        let port = 5432u16;
        let mut options = format!(
            "-k {dir_s} -p {port} -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        );
        if profiled() {
            options.push_str(" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all");
        }
        let log = format!("{dir_s}/server.log");
        run(&pg_ctl, &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"])?;
        let stop = format!(
            "{}{} -D {data} stop -m immediate",
            if is_root() { "runuser -u postgres -- " } else { "" },
            pg_ctl.display()
        );
        let watchdog = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir_s}",
            std::process::id()
        );
        Command::new("sh")
            .args(["-c", &watchdog])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let version = run(&postgres, &["--version"]).unwrap_or_default();
        let mut config = tokio_postgres::Config::new();
        config.host_path(&dir).port(port).user("skvoz").dbname("postgres");
        Ok(PgServer { pg_ctl, dir, config, version })
    }

    /// A new, empty database on the server.
    pub async fn database(&self, name: &str) -> tokio_postgres::Config {
        let (client, connection) = self.config.connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
        let mut config = self.config.clone();
        config.dbname(name);
        config
    }

    /// The postmaster's process id (its backends are its children).
    pub fn postmaster(&self) -> u32 {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap_or_default();
        pid.lines().next().and_then(|l| l.trim().parse().ok()).unwrap_or(0)
    }

    /// The statements of database `dbname` that took the server's time, most first (with
    /// `SKVOZ_BENCH_STATEMENTS` set; else nothing).
    pub async fn top_statements(&self, dbname: &str, n: i64) -> Vec<String> {
        if !profiled() {
            return Vec::new();
        }
        let mut config = self.config.clone();
        config.dbname(dbname);
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await.expect("extension");
        let rows = client
            .query(
                "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) \
                 FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1",
                &[&n],
            )
            .await
            .expect("statements");
        rows.iter()
            .map(|r| {
                format!("{:>7} calls {:>9.1} ms  {}", r.get::<_, i64>(0), r.get::<_, f64>(1), r.get::<_, String>(2))
            })
            .collect()
    }

    /// Forgets the statements counted so far.
    pub async fn reset_statements(&self, dbname: &str) {
        if !profiled() {
            return;
        }
        let mut config = self.config.clone();
        config.dbname(dbname);
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await.expect("extension");
        client.query("SELECT pg_stat_statements_reset()", &[]).await.expect("reset");
    }

    /// One setting as the server reports it (`SHOW`).
    pub async fn show(&self, setting: &str) -> String {
        let (client, connection) = self.config.connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        let row = client.query_one(&format!("SHOW {setting}"), &[]).await.expect("show");
        row.get(0)
    }
}

/// Whether the server counts its statements (`SKVOZ_BENCH_STATEMENTS`), to see where its time goes.
fn profiled() -> bool {
    std::env::var_os("SKVOZ_BENCH_STATEMENTS").is_some()
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = format!("{}/data", self.dir.display());
        let _ = run(&self.pg_ctl, &["-D", &data, "-m", "fast", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
