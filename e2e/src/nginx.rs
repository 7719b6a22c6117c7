//! One nginx process running Kong 3.9's Wasm engine (nginx + ngx_wasm_module + Wasmtime, `KDP_NGX_WASM`): started
//! from a rendered config ([`crate::kong_config`]) on loopback, ready once it answers HTTP, killed on drop (also
//! while a failing test unwinds).
//!
//! The config runs nginx as one process (`master_process off`), started through `setpriv --pdeathsig KILL`, so
//! killing that process stops everything, and the kernel kills it if the test process dies first. nginx writes
//! its pid file after binding its listener and before the filters' `on_configure` runs; readiness is that pid
//! file naming this process, then an HTTP answer on the listener (the event loop runs, every filter is
//! configured). A filter that refuses its configuration makes nginx exit before that.

use crate::error::{Context, Error, Result};
use crate::log_file;
use crate::plain_http;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long nginx may take to answer (Wasmtime compiles every module not in its cache; the machine may be busy).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running nginx.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    listener_port: u16,
    log_path: PathBuf,
    config_path: PathBuf,
}

impl Nginx {
    /// Writes `config` to `<dir>/<name>.conf` and starts nginx on it with `-p <dir>` and `-e <error_log>` (the
    /// config's own `error_log` must be the same file, where start-up errors go too), its stdout and stderr to
    /// `<dir>/<name>.out`; then waits until it answers on `listener_port`. On failure the process is gone and the
    /// error carries the end of the error log.
    pub fn start(
        bin: &Path,
        config: &str,
        dir: &Path,
        name: &str,
        listener_port: u16,
        error_log: &Path,
    ) -> Result<Nginx> {
        let config_path = dir.join(format!("{name}.conf"));
        std::fs::write(&config_path, config).context(config_path.display())?;
        let out_path = dir.join(format!("{name}.out"));
        let out = File::create(&out_path).context(out_path.display())?;
        let pid_path = dir.join("nginx.pid");
        let _ = std::fs::remove_file(&pid_path);
        let child = crate::process::command(bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(error_log)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context(format!("starting {}", bin.display()))?;
        let mut nginx = Nginx {
            child,
            listener_port,
            log_path: error_log.to_path_buf(),
            config_path,
        };
        nginx.wait_ready(&pid_path)?;
        Ok(nginx)
    }

    fn wait_ready(&mut self, pid_path: &Path) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pid = self.child.id().to_string();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(Error::new(format!(
                    "nginx exited before it was ready ({status}); {}",
                    self.log_tail(40)
                )));
            }
            let own_pid_file = std::fs::read_to_string(pid_path).is_ok_and(|p| p.trim() == pid);
            if own_pid_file && plain_http::get(self.listener_port, "/").is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "nginx not ready after {READY_TIMEOUT:?}; {}",
                    self.log_tail(40)
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The proxy listener's port.
    pub fn listener_port(&self) -> u16 {
        self.listener_port
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the config that runs is.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The whole error log so far.
    pub fn log(&self) -> String {
        log_file::read_lossy(&self.log_path)
    }

    /// The last `lines` lines of the error log, labelled with its path.
    pub fn log_tail(&self, lines: usize) -> String {
        log_file::tail(&self.log_path, lines)
    }

    /// Stops nginx now and returns how it ended (for tests of the process handling itself).
    pub fn kill(mut self) -> Result<ExitStatus> {
        let _ = self.child.kill();
        Ok(self.child.wait()?)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("kdp-e2e: nginx {}", self.log_tail(30));
        }
    }
}

/// Runs nginx on `config` (written to `<dir>/<name>.conf`) until it exits or `timeout` passes, and returns its
/// exit status and error log: for a config nginx must refuse to run. Still running at the deadline is an error
/// (nginx is then killed).
pub fn run_to_exit(
    bin: &Path,
    config: &str,
    dir: &Path,
    name: &str,
    error_log: &Path,
    timeout: Duration,
) -> Result<(ExitStatus, String)> {
    let config_path = dir.join(format!("{name}.conf"));
    std::fs::write(&config_path, config).context(config_path.display())?;
    let mut child = crate::process::command(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&config_path)
        .arg("-e")
        .arg(error_log)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context(format!("starting {}", bin.display()))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, log_file::read_lossy(error_log)));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(format!(
                "nginx still running after {timeout:?}; {}",
                log_file::tail(error_log, 40)
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// `nginx -t` on `config_path` (with `-p <dir>`): its exit status and output. A config test parses the config and
/// loads the modules; it does not run the filters' `on_configure`.
pub fn test_config(bin: &Path, config_path: &Path, dir: &Path) -> Result<(ExitStatus, String)> {
    let output = crate::process::command(bin)
        .arg("-t")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(config_path)
        .arg("-e")
        .arg(dir.join("nginx-t.log"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .context(format!("running {} -t", bin.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status, text))
}
