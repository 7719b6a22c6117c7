//! Shared by the report's tests: running `kdp-migrate report`, scratch folders, records.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)]
// each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// The report's fixtures: one file per log format.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/report")
        .join(name)
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `kdp-migrate report <args>`.
pub fn report(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

/// `kdp-migrate report --format json <args>`, parsed; panics unless it exited with `code`.
pub fn json_report(args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = report(&all);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{all:?}\nstderr: {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)))
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The API object named `name` in a JSON report.
pub fn api<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|api| api["api"] == name)
        .unwrap_or_else(|| panic!("no API {name} in {report:#}"))
}

/// One record with the arrival fields, as the filters write it.
#[derive(Clone, Debug)]
pub struct Rec {
    pub api: Option<&'static str>,
    pub entry: &'static str,
    pub action: &'static str,
    pub time: String,
    pub client: String,
    pub user_agent: &'static str,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
}

impl Rec {
    pub fn new(api: &'static str, entry: &'static str, time: &str) -> Self {
        let action = match entry {
            "legacy" => "redirect",
            "short" => "proxy",
            _ => "pass",
        };
        let status = if entry == "legacy" { 308 } else { 200 };
        Rec {
            api: Some(api),
            entry,
            action,
            time: time.to_owned(),
            client: "203.0.113.7".to_owned(),
            user_agent: "curl/8.5.0",
            path: "/v1/x?id=1".to_owned(),
            status,
            latency_ms: 1.0,
        }
    }

    pub fn line(&self) -> String {
        json!({
            "event": "kdp_migrate", "entry": self.entry, "api": self.api, "action": self.action,
            "method": "GET", "host": "h.example", "path": self.path, "status": self.status,
            "latency_ms": self.latency_ms, "redirect_stage": null, "location_rewritten": 0,
            "cookies_rewritten": 0, "reason": null, "would_action": null, "would_status": null,
            "would_location": null, "time": self.time, "client": self.client,
            "user_agent": self.user_agent, "request_id": null
        })
        .to_string()
    }
}

/// Writes records as JSONL and returns the path.
pub fn write_records(dir: &Path, name: &str, records: &[Rec]) -> PathBuf {
    let path = dir.join(name);
    let text: String = records.iter().map(|r| r.line() + "\n").collect();
    std::fs::write(&path, text).unwrap();
    path
}
