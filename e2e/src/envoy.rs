//! One Envoy process: started from a rendered config on loopback, ready when admin `/ready` says so, killed on
//! drop (also while a failing test unwinds).
//!
//! Parallel tests: each Envoy runs with `--disable-hot-restart` (no shared-memory region or domain socket named
//! after a `--base-id`, so any number can run side by side) on ports chosen free at run time. On Linux each Envoy
//! is started through `setpriv --pdeathsig KILL`, so it also dies if the test process is killed outright (a
//! timeout), when `Drop` never runs.

use crate::error::{Context, Error, Result};
use crate::log_file;
use crate::plain_http;
use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long Envoy may take to become ready (V8 compiles the modules at startup; the machine may be busy).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `envoy --mode validate` may take.
pub const VALIDATE_TIMEOUT: Duration = Duration::from_secs(60);

/// A running Envoy.
#[derive(Debug)]
pub struct Envoy {
    child: Child,
    admin_port: u16,
    listener_port: u16,
    log_path: PathBuf,
    config_path: PathBuf,
}

impl Envoy {
    /// Writes `config` to `<dir>/<name>.json`, starts Envoy on it (`--concurrency 1`, `--disable-hot-restart`,
    /// `-l info`, access logs flushed every 100 ms, stdout and stderr to `<dir>/<name>.log`) and waits for admin `/ready`. On failure the process is
    /// gone and the error carries the end of its log.
    pub fn start(bin: &Path, config: &Value, dir: &Path, name: &str) -> Result<Envoy> {
        let admin_port = port_at(config, "/admin/address/socket_address/port_value")?;
        let listener_port = port_at(
            config,
            "/static_resources/listeners/0/address/socket_address/port_value",
        )?;
        let config_path = dir.join(format!("{name}.json"));
        std::fs::write(&config_path, serde_json::to_vec_pretty(config)?)
            .context(config_path.display())?;
        let log_path = dir.join(format!("{name}.log"));
        let log = File::create(&log_path).context(log_path.display())?;
        let mut command = crate::process::command(bin);
        command
            .arg("-c")
            .arg(&config_path)
            .args(["--concurrency", "1", "--disable-hot-restart", "-l", "info"])
            // Access logs are written buffered; flush them quickly so tests need not wait 10 s.
            .args(["--file-flush-interval-msec", "100"])
            .current_dir(crate::paths::workspace_root())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command
            .spawn()
            .context(format!("starting {}", bin.display()))?;
        let mut envoy = Envoy {
            child,
            admin_port,
            listener_port,
            log_path,
            config_path,
        };
        envoy.wait_ready()?;
        Ok(envoy)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(Error::new(format!(
                    "Envoy exited before it was ready ({status}); {}",
                    self.log_tail(40)
                )));
            }
            if let Ok((200, _)) = plain_http::get(self.admin_port, "/ready") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "Envoy not ready after {READY_TIMEOUT:?}; {}",
                    self.log_tail(40)
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The listener port (HTTP/1.1 and h2c).
    pub fn listener_port(&self) -> u16 {
        self.listener_port
    }

    /// The admin port.
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the config that runs is.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Envoy's whole log so far.
    pub fn log(&self) -> String {
        log_file::read_lossy(&self.log_path)
    }

    /// The last `lines` lines of the log, labelled with the log's path.
    pub fn log_tail(&self, lines: usize) -> String {
        log_file::tail(&self.log_path, lines)
    }

    /// GET on the admin interface: (status, body).
    pub fn admin(&self, path: &str) -> Result<(u16, String)> {
        plain_http::get(self.admin_port, path)
    }

    /// Every counter and gauge in admin `/stats` whose name contains `filter`, as (name, value).
    pub fn stats(&self, filter: &str) -> Result<Vec<(String, u64)>> {
        let (status, body) = self.admin("/stats")?;
        if status != 200 {
            return Err(Error::new(format!("admin /stats answered {status}")));
        }
        Ok(body
            .lines()
            .filter_map(|line| line.split_once(": "))
            .filter(|(name, _)| name.contains(filter))
            .filter_map(|(name, value)| Some((name.to_string(), value.trim().parse().ok()?)))
            .collect())
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("kdp-e2e: Envoy {}", self.log_tail(30));
        }
    }
}

/// The outcome of `envoy --mode validate`.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Envoy's exit status.
    pub status: ExitStatus,
    /// Its stdout and stderr.
    pub output: String,
}

/// Runs `envoy --mode validate` on `config` (written to `<dir>/<name>.json`), bounded in time.
pub fn validate(bin: &Path, config: &Value, dir: &Path, name: &str) -> Result<Validation> {
    let config_path = dir.join(format!("{name}.json"));
    std::fs::write(&config_path, serde_json::to_vec_pretty(config)?)
        .context(config_path.display())?;
    validate_file(bin, &config_path, dir, name)
}

/// Runs `envoy --mode validate -c <config_path>` from the workspace root, bounded in time.
pub fn validate_file(bin: &Path, config_path: &Path, dir: &Path, name: &str) -> Result<Validation> {
    let log_path = dir.join(format!("{name}.validate.log"));
    let log = File::create(&log_path).context(log_path.display())?;
    let mut child = crate::process::command(bin)
        .args(["--mode", "validate", "-l", "info", "-c"])
        .arg(config_path)
        .current_dir(crate::paths::workspace_root())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context(format!("starting {}", bin.display()))?;
    let deadline = Instant::now() + VALIDATE_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(format!(
                "envoy --mode validate still running after {VALIDATE_TIMEOUT:?}; {}",
                log_file::tail(&log_path, 40)
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    Ok(Validation {
        status,
        output: log_file::read_lossy(&log_path),
    })
}

fn port_at(config: &Value, pointer: &str) -> Result<u16> {
    config
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::new(format!("config: no port at {pointer}")))
}
