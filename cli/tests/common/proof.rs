//! The replay proofs' shared parts: generated traffic that covers every entry and outcome of a
//! map, and running `kdp-migrate` on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kdp_migrate_cli::replay::ReplayRecord;
use kdp_migrate_core::MigrationMap;
use serde_json::json;

use super::{filters_dir, workspace};

/// The fixture's map: every legacy action, a canary with its tester header, a long-host target,
/// a sunset with `after_sunset: gone`, nested prefixes, `trailing_slash: redirect`.
pub fn deck_map_path() -> PathBuf {
    workspace().join("kong/examples/deck/map.json")
}

/// The fixture dump of the source gateway.
pub fn deck_dump_path() -> PathBuf {
    workspace().join("kong/examples/deck/ccc-int-kdp.yaml")
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `kdp-migrate` with `args` in the workspace.
pub fn kdp_migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap()
}

/// Replays `traffic` with `map`, through `kong` when given; every record.
pub fn replay(map: &Path, traffic: &Path, kong: Option<&Path>) -> Vec<ReplayRecord> {
    let filters = filters_dir();
    let mut args = vec![
        "replay".to_owned(),
        "--filters".to_owned(),
        filters.display().to_string(),
        "--map".to_owned(),
        map.display().to_string(),
        "--traffic".to_owned(),
        traffic.display().to_string(),
    ];
    if let Some(kong) = kong {
        args.push("--kong".to_owned());
        args.push(kong.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = kdp_migrate(&args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// xorshift64*: the same requests on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// At least `count` requests (JSONL) for `map`: every API on every entry, unknown prefixes and
/// hosts, unsafe paths, exact prefixes, queries, several clients and the tester header, ports
/// on the Host. Hosts are lower-case: Kong 3.9 matches route hosts case-sensitively (notes §2.2).
pub fn traffic(map: &MigrationMap, count: usize) -> String {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut lines = Vec::new();
    let short = map.short_host().to_owned();
    while lines.len() < count {
        for api in map.apis() {
            // Short domain: under the prefix, the prefix itself, unsafe paths.
            let tail = random.pick(&TAILS).to_string();
            push(
                &mut lines,
                &mut random,
                &short,
                &format!("{}{tail}", api.prefix()),
                false,
            );
            push(&mut lines, &mut random, &short, api.prefix(), false);
            let unsafe_tail = random.pick(&UNSAFE_TAILS).to_string();
            push(
                &mut lines,
                &mut random,
                &short,
                &format!("{}{unsafe_tail}", api.prefix()),
                false,
            );
            // Legacy hosts, with and without the tester header.
            for legacy in api.legacy_hosts() {
                let tail = random.pick(&TAILS).to_string();
                let path = if tail.is_empty() {
                    "/".to_owned()
                } else {
                    tail
                };
                let tester = random.next().is_multiple_of(5);
                push(&mut lines, &mut random, legacy, &path, tester);
                let unsafe_tail = random.pick(&UNSAFE_TAILS).to_string();
                push(&mut lines, &mut random, legacy, &unsafe_tail, false);
            }
            // Long host.
            let tail = random.pick(&TAILS).to_string();
            let path = if tail.is_empty() {
                "/".to_owned()
            } else {
                tail
            };
            push(&mut lines, &mut random, api.long_host(), &path, false);
        }
        // Short-domain paths no API owns, and hosts no API has.
        for path in ["/", "/api010/x", "/nope", "/v3/x", "/API01/x", "/v2x"] {
            push(&mut lines, &mut random, &short, path, false);
        }
        for host in [
            "www.example.org",
            "api99.source-team1.dev.aliyun.cloud.cn.aibang",
        ] {
            push(&mut lines, &mut random, host, "/v1/x", false);
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

const TAILS: [&str; 17] = [
    "",
    "/",
    "/v1/orders",
    "/v1/orders?id=7&sort=desc",
    "/v1/admin/42",
    "/v1/admin/x",
    "/pay/card?amount=10",
    "/search?q=kong",
    "/healthz",
    "/a/b/c/",
    "/v1/orders/../admin",
    "/x/%2e%2e/y",
    "/x%2Fy",
    "/caf%C3%A9",
    "/v1/orders?",
    "/index.html",
    "/%7Euser",
];
const UNSAFE_TAILS: [&str; 5] = ["/../etc", "/a/./b", "/%2e%2e/x", "/a%2fb", "/a%5Cb"];
const PORTS: [&str; 5] = ["", "", "", ":443", ":8000"];
const METHODS: [&str; 6] = ["GET", "GET", "GET", "POST", "DELETE", "OPTIONS"];
const CLIENTS: [&str; 6] = [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "10.0.0.4",
    "192.0.2.7",
    "198.51.100.9",
];

/// One request line: a random method, port, client and (sometimes) `X-Forwarded-For`.
fn push(lines: &mut Vec<String>, random: &mut Random, host: &str, path: &str, tester: bool) {
    let mut headers = serde_json::Map::new();
    if tester {
        headers.insert("x-kdp-redirect".to_owned(), json!("1"));
    }
    if random.next().is_multiple_of(4) {
        headers.insert("x-forwarded-for".to_owned(), json!(random.pick(&CLIENTS)));
    }
    let line = json!({
        "method": random.pick(&METHODS),
        "host": format!("{host}{}", random.pick(&PORTS)),
        "path": path,
        "headers": headers,
        "client": random.pick(&CLIENTS),
    });
    lines.push(line.to_string());
}
