//! Throughput of `kdp-migrate report`'s reading and counting, on one core: a log of `REPORT_BENCH_MB`
//! megabytes (default 256; 1024 for the 1 GB figure) mixing the formats records land in — Kong error
//! log lines, Kong file-log entries with the record as a field, plain records, other log lines — is
//! read `REPORT_BENCH_ROUNDS` times (default 3) with `report::read_inputs` and turned into findings,
//! printing MB/s, records/s and the process's peak memory (VmHWM), which stays flat as the log grows.
//!
//! The log is not written to disk: a 16 MB block of generated lines (distinct requests, clients,
//! times over 28 days) is repeated through a reader, so the figure is the report's parsing and
//! counting, without the page cache or the disk, and needs no free disk space.
//!
//! Run: `REPORT_BENCH_MB=1024 cargo bench -p kdp-migrate-cli --bench report` (figures in
//! cli/README.md). A benchmark, not a test: it asserts the counts, never a time.

// A harness that asserts must stop on a wrong answer; these lints guard the filters' code.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use kdp_migrate_cli::report::input::LogInput;
use kdp_migrate_cli::report::{self, Criteria, Findings, Window};

fn record(n: u64, api: &str, entry: &str, action: &str, status: u16) -> String {
    let day = 1 + n % 28;
    let second = n % 86_400;
    format!(
        r#"{{"event":"kdp_migrate","entry":"{entry}","api":"{api}","action":"{action}","method":"GET","host":"{api}.source-team1.dev.aliyun.cloud.cn.aibang","path":"/v1/orders/{n}?expand=items","status":{status},"latency_ms":{}.{},"redirect_stage":null,"location_rewritten":0,"cookies_rewritten":0,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":"2026-11-{day:02}T{:02}:{:02}:{:02}.{:03}Z","client":"10.{}.{}.{}","user_agent":"client/{}.0","request_id":"{n:032x}"}}"#,
        n % 200,
        n % 10,
        second / 3600,
        second / 60 % 60,
        second % 60,
        n % 1000,
        n % 7,
        n % 251,
        n % 13,
        n % 9,
    )
}

/// About `bytes` of mixed log lines, whole lines; and the records in it.
fn block(bytes: usize) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(bytes + 4096);
    let (mut records, mut n) = (0u64, 0u64);
    while out.len() < bytes {
        let api = ["api01", "api02", "api03", "api04"][(n % 4) as usize];
        let (entry, action, status) = match n % 10 {
            0 => ("legacy", "redirect", 308),
            1 => ("long", "pass", 200),
            2 => ("short", "reject", 404),
            _ => ("short", "proxy", 200),
        };
        let rec = record(n, api, entry, action, status);
        let line = match n % 4 {
            0 | 1 => format!(
                "2026/11/01 00:00:00 [info] 31#0: *{n} [proxy-wasm][\"migration_telemetry\" #1] {rec} while logging request, client: 10.0.0.1, server: kong, request: \"GET /v1/orders HTTP/1.1\", host: \"{api}.source-team1.dev.aliyun.cloud.cn.aibang\"\n"
            ),
            2 => {
                format!(
                    r#"{{"request":{{"method":"GET","uri":"\/v1\/orders","headers":{{"host":"{api}.example","user-agent":"client\/1.0","accept":"*\/*"}}}},"response":{{"status":{status},"size":431}},"latencies":{{"request":1,"kong":0,"proxy":1}},"client_ip":"10.0.0.1","started_at":1764547200000,"kdp_migrate":{rec}}}"#
                ) + "\n"
            }
            _ => rec + "\n",
        };
        // Every tenth line is another message, which the report skips.
        if n % 10 == 9 {
            out.extend_from_slice(
                b"2026/11/01 00:00:00 [notice] 31#0: *1 client closed connection while waiting for request\n",
            );
        }
        out.extend_from_slice(line.as_bytes());
        records += 1;
        n += 1;
    }
    (out, records)
}

/// `block` repeated `left` times.
struct Repeated {
    block: Arc<[u8]>,
    at: usize,
    left: u64,
}

impl Read for Repeated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let rest = &self.block[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        if self.at == self.block.len() {
            self.at = 0;
            self.left -= 1;
        }
        Ok(n)
    }
}

fn peak_memory_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let megabytes: u64 = std::env::var("REPORT_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let rounds: u32 = std::env::var("REPORT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let (block, block_records) = block(16_000_000);
    let block: Arc<[u8]> = block.into();
    let repeats = (megabytes * 1_000_000).div_ceil(block.len() as u64);
    let bytes = repeats * block.len() as u64;
    let records = repeats * block_records;
    println!(
        "report bench: {} MB ({repeats} × a {} MB block), {records} records, {rounds} rounds, one core",
        bytes / 1_000_000,
        block.len() / 1_000_000
    );
    let memory_before = peak_memory_kb();
    let mut rates = Vec::new();
    for round in 1..=rounds {
        let input = LogInput::from_reader(
            "generated".to_owned(),
            Repeated {
                block: Arc::clone(&block),
                at: 0,
                left: repeats,
            },
        )
        .unwrap();
        let started = Instant::now();
        let (tally, input) =
            report::read_inputs(vec![input], Window::default(), &mut |m| panic!("{m}")).unwrap();
        let findings = Findings::new(&tally, &input, &Criteria::default());
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(tally.records, records);
        assert_eq!(findings.apis.len(), 4);
        let rate = bytes as f64 / 1e6 / seconds;
        rates.push(rate);
        println!(
            "round {round}: {seconds:.2} s, {rate:.0} MB/s, {:.2} M records/s",
            records as f64 / 1e6 / seconds
        );
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "best {:.0} MB/s, median {:.0} MB/s; peak memory {} MB (with the {} MB block; before reading: {} MB)",
        rates.last().copied().unwrap_or(0.0),
        rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        peak_memory_kb() / 1024,
        block.len() / 1_000_000,
        memory_before / 1024
    );
}
