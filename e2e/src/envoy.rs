//! One Envoy process: started from a rendered config on loopback, ready when admin `/ready` says so, killed on
//! drop (also while a failing test unwinds).
//!
//! Parallel tests: each Envoy runs with `--disable-hot-restart` (no shared-memory region or domain socket named
//! after a `--base-id`, so any number can run side by side) on ports chosen free at run time. On Linux each Envoy
//! is started through `setpriv --pdeathsig KILL`, so it also dies if the test process is killed outright (a
//! timeout), when `Drop` never runs.

use crate::error::{Context, Error, Result};
use serde_json::Value;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long Envoy may take to become ready (V8 compiles the modules at startup; the machine may be busy).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `envoy --mode validate` may take.
pub const VALIDATE_TIMEOUT: Duration = Duration::from_secs(60);

/// The marker that starts a telemetry line (the JSON object) in Envoy's log.
pub const TELEMETRY_MARKER: &str = "{\"event\":\"kdp_migrate\"";

/// A port that was free on 127.0.0.1 a moment ago (another process may take it before it is used; callers that
/// start Envoy retry on "address already in use").
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A scratch directory for one test's configs and logs. Removed on drop, except while panicking, when it is kept
/// (and its path printed) so the Envoy log can be read.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Creates `<tmp>/kdp-e2e/<label>-<pid>-<n>`.
    pub fn new(label: &str) -> Result<WorkDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let label: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = std::env::temp_dir()
            .join("kdp-e2e")
            .join(format!("{label}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path).context(path.display())?;
        }
        std::fs::create_dir_all(&path).context(path.display())?;
        Ok(WorkDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "kdp-e2e: kept {} (configs and Envoy logs)",
                self.path.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

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
        let mut command = envoy_command(bin);
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
            if let Ok((200, _)) = http_get(self.admin_port, "/ready") {
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
        read_lossy(&self.log_path)
    }

    /// The last `lines` lines of the log, labelled with the log's path.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_path, lines)
    }

    /// Every telemetry line in the log so far, raw (from the opening brace).
    pub fn telemetry_lines(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|line| line.find(TELEMETRY_MARKER).and_then(|at| line.get(at..)))
            .map(|json| json.trim_end().to_string())
            .collect()
    }

    /// Every telemetry record in the log so far, parsed.
    pub fn telemetry(&self) -> Vec<Value> {
        telemetry_records(&self.log())
    }

    /// Waits (up to 10 s: Envoy logs the line in `on_log`, after the client got its answer) until the log holds
    /// at least `count` telemetry records matching `matches`, and returns all matching records (after a short
    /// grace period, so an extra record would show too).
    pub fn wait_telemetry(
        &self,
        count: usize,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Vec<Value>> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found: Vec<Value> = self
                .telemetry()
                .into_iter()
                .filter(|r| matches(r))
                .collect();
            if found.len() >= count {
                std::thread::sleep(Duration::from_millis(100));
                return Ok(self
                    .telemetry()
                    .into_iter()
                    .filter(|r| matches(r))
                    .collect());
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "{} matching telemetry record(s) after 10 s, wanted {count}; all records: {:?}",
                    found.len(),
                    self.telemetry()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// GET on the admin interface: (status, body).
    pub fn admin(&self, path: &str) -> Result<(u16, String)> {
        http_get(self.admin_port, path)
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
    let mut child = envoy_command(bin)
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
                tail(&log_path, 40)
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    Ok(Validation {
        status,
        output: read_lossy(&log_path),
    })
}

/// The telemetry records in a log text.
pub fn telemetry_records(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|line| line.find(TELEMETRY_MARKER).and_then(|at| line.get(at..)))
        .filter_map(|json| serde_json::from_str(json.trim_end()).ok())
        .collect()
}

/// The Envoy command, under `setpriv --pdeathsig KILL` when it exists (Linux, util-linux).
fn envoy_command(bin: &Path) -> Command {
    let setpriv = Path::new("/usr/bin/setpriv");
    if setpriv.is_file() {
        let mut command = Command::new(setpriv);
        command.args(["--pdeathsig", "KILL", "--"]).arg(bin);
        command
    } else {
        Command::new(bin)
    }
}

fn port_at(config: &Value, pointer: &str) -> Result<u16> {
    config
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::new(format!("config: no port at {pointer}")))
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = read_lossy(path);
    let all: Vec<&str> = text.lines().collect();
    let from = all.len().saturating_sub(lines);
    format!(
        "log {} (last {} lines):\n{}",
        path.display(),
        lines,
        all.get(from..).unwrap_or_default().join("\n")
    )
}

/// A GET to `127.0.0.1:<port><path>` over HTTP/1.1 (`Connection: close`), bounded in time: (status, body). Only
/// for the admin interface; requests through the listener use curl.
pub fn http_get(port: u16, path: &str) -> Result<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| Error::new("admin: no end of headers"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::new("admin: bad status line"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = size.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let Some(chunk) = after.get(..size) else {
            out.push_str(after);
            break;
        };
        out.push_str(chunk);
        rest = after.get(size..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}
