//! docs/migration-runbook.md, walked: the seed scenario through every phase with the real filters (in
//! host-test's model of Kong 3.9, the clock set per request), the records handed to Kong's log plugins
//! (`"telemetry": "log_plugins"`, `kong.ctx.shared.kdp_migrate`) and written as file-log entries, then
//! every command of the runbook's walk-through run as written, each exiting as the runbook says.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod report_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{filters_dir, workspace};
use kdp_migrate_core::filters::{self, SHIPPED};
use kdp_migrate_core::{Entry, MigrationMap};
use kdp_migrate_host_test::{
    ChainId, Clock, Engine, FilterLibrary, FilterSpec, Host, Request, Routing, UpstreamResponse,
};
use report_support::scratch;
use serde_json::{Value, json};

/// The map changes of the runbook, in order, as it prints them.
const PHASE_MAPS: [(&str, &str); 4] = [
    ("observe", r#"{ "legacy": { "action": "observe" } }"#),
    (
        "canary",
        r#"{ "legacy": { "action": "redirect", "redirect_percent": 25 } }"#,
    ),
    ("redirect", r#"{ "legacy": { "action": "redirect" } }"#),
    (
        "sunset",
        r#"{ "legacy": { "action": "redirect", "deprecation": "2026-12-06T00:00:00Z", "sunset": "2026-12-09T12:00:00Z", "after_sunset": "gone" } }"#,
    ),
];

const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
/// 2026-12-01T00:00:00Z.
const DEC_1: u64 = 1_796_083_200;
const DAY: u64 = 86_400;
/// The hours of the day every client calls.
const HOURS: [u64; 3] = [9, 13, 17];
/// The legacy client that ignores redirects, until the sunset's 410 gets it fixed.
const BATCH_JOB: &str = "203.0.113.14";

fn phase_map(patch: &str) -> Vec<u8> {
    let mut map: Value =
        serde_json::from_slice(&std::fs::read(workspace().join("kong/map.json")).unwrap()).unwrap();
    let patch: Value = serde_json::from_str(patch).unwrap();
    map["legacy"] = patch["legacy"].clone();
    map["telemetry"] = json!("log_plugins");
    serde_json::to_vec(&map).unwrap()
}

/// Cluster B in one phase: Kong with the standard chains, every filter configured with the map.
struct ClusterB {
    host: Host,
    map: MigrationMap,
    chains: [ChainId; 3],
}

impl ClusterB {
    fn new(library: &FilterLibrary, map: &[u8]) -> Self {
        let mut host = Host::new(library, Engine::Kong);
        let mut chain = |entry| {
            let specs: Vec<FilterSpec> = filters::chain(entry)
                .iter()
                .map(|name| FilterSpec::new(name, map.to_vec()))
                .collect();
            host.add_chain(&specs).unwrap()
        };
        let chains = [
            chain(Entry::Short),
            chain(Entry::Legacy),
            chain(Entry::Long),
        ];
        ClusterB {
            host,
            map: MigrationMap::from_json(map).unwrap(),
            chains,
        }
    }

    /// One request at `unix` from `client`; the status the client got, and the file-log entry Kong
    /// would write for it.
    fn request(
        &mut self,
        unix: u64,
        client: &str,
        host: &str,
        path: &str,
        upstream: u16,
    ) -> (u16, String) {
        self.host.set_clock(Clock::at_unix_seconds(unix));
        let mut request = Request::new("GET", host, path);
        request.headers = vec![
            ("x-forwarded-for".to_owned(), client.to_owned()),
            (
                "user-agent".to_owned(),
                format!("client/{}", &client[client.len() - 2..]),
            ),
        ];
        let chain = match self.map.classify(host, path).entry {
            Entry::Short => self.chains[0],
            Entry::Legacy => self.chains[1],
            Entry::Long | Entry::Unknown => self.chains[2],
        };
        let observation = self.host.run_with(
            chain,
            &request,
            &Routing::default(),
            &UpstreamResponse::new(upstream),
        );
        let record = observation
            .kong_ctx_shared("kdp_migrate")
            .unwrap_or_else(|| panic!("no record for {host}{path}: {observation:?}"));
        // What file-log writes with `custom_fields_by_lua: { kdp_migrate: return
        // kong.ctx.shared.kdp_migrate }`: the record as a string, `/` escaped as cjson does.
        let entry = format!(
            r#"{{"started_at":{},"client_ip":"127.0.0.1","kdp_migrate":{}}}"#,
            unix * 1000,
            serde_json::to_string(record).unwrap().replace('/', "\\/")
        );
        (observation.response.status, entry)
    }
}

/// Who calls what, day by day, as in the runbook's walk-through.
fn walk(dir: &Path) -> std::path::PathBuf {
    let dir_filters = filters_dir();
    let mut library = FilterLibrary::new().unwrap();
    for name in SHIPPED {
        library
            .load(name, &dir_filters.join(format!("{name}.wasm")))
            .unwrap();
    }
    let apps: Vec<String> = (1..=20).map(|n| format!("198.51.100.{n}")).collect();
    // (client, API) of the legacy callers; those still on their legacy host.
    let legacy = [
        ("203.0.113.11", "api01"),
        ("203.0.113.12", "api01"),
        ("203.0.113.13", "api01"),
        (BATCH_JOB, "api01"),
        ("203.0.113.15", "api02"),
    ];
    let mut still_legacy: BTreeSet<&str> = legacy.iter().map(|(client, _)| *client).collect();
    let log_path = dir.join("kdp-migrate.jsonl");
    let mut log = std::fs::File::create(&log_path).unwrap();
    // (first day, last day, phase map): day 1 is 2026-12-01. Prepare (day 1) has no legacy DNS on B
    // yet: only the short domain is called.
    let phases = [(1, 1, 0), (2, 3, 0), (4, 5, 1), (6, 8, 2), (9, 11, 3)];
    for (first, last, map_index) in phases {
        let mut cluster = ClusterB::new(&library, &phase_map(PHASE_MAPS[map_index].1));
        for day in first..=last {
            for hour in HOURS {
                let at = DEC_1 + (day - 1) * DAY + hour * 3600;
                for (n, app) in apps.iter().enumerate() {
                    for api in ["api01", "api02"] {
                        // api02's upstream fails for an hour on 12-05 (the canary's no-go).
                        let upstream = if day == 5 && hour == 13 && api == "api02" {
                            503
                        } else {
                            200
                        };
                        let (_, entry) = cluster.request(
                            at + n as u64,
                            app,
                            SHORT,
                            &format!("/{api}/v1/orders?page={n}"),
                            upstream,
                        );
                        writeln!(log, "{entry}").unwrap();
                    }
                }
                if day == 1 {
                    continue;
                }
                for (n, (client, api)) in legacy.iter().enumerate() {
                    let at = at + 100 + n as u64;
                    let (status, entry) = if still_legacy.contains(client) {
                        let host = format!("{api}.source-team1.dev.aliyun.cloud.cn.aibang");
                        cluster.request(at, client, &host, "/v1/orders?id=7", 200)
                    } else {
                        cluster.request(at, client, SHORT, &format!("/{api}/v1/orders?id=7"), 200)
                    };
                    writeln!(log, "{entry}").unwrap();
                    // A redirected client follows from then on, except the batch job; a 410 gets the
                    // batch job fixed.
                    if (status == 308 && *client != BATCH_JOB) || status == 410 {
                        still_legacy.remove(client);
                    }
                }
            }
        }
    }
    assert!(still_legacy.is_empty(), "{still_legacy:?} never moved");
    log_path
}

/// The runbook's walk-through commands: `kdp-migrate <args>   # exit <code>`.
fn walkthrough() -> Vec<(String, i32)> {
    let runbook = std::fs::read_to_string(workspace().join("docs/migration-runbook.md")).unwrap();
    let section = runbook
        .split("## Walk-through")
        .nth(1)
        .expect("the walk-through section");
    for (_, patch) in PHASE_MAPS {
        assert!(
            section.contains(patch),
            "the runbook prints the map change {patch}"
        );
    }
    section
        .lines()
        .filter_map(|line| line.strip_prefix("kdp-migrate "))
        .map(|line| {
            let (args, code) = line
                .split_once("# exit ")
                .expect("every gate says its exit status");
            (args.trim().to_owned(), code.trim().parse().unwrap())
        })
        .collect()
}

#[test]
fn every_gate_of_the_runbook_says_what_the_runbook_says() {
    let dir = scratch("runbook");
    let log = walk(&dir);
    std::fs::write(dir.join("map-observe.json"), phase_map(PHASE_MAPS[0].1)).unwrap();
    let gates = walkthrough();
    assert_eq!(gates.len(), 7, "{gates:#?}");
    for (args, expected) in gates {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kdp-migrate"));
        command.current_dir(workspace());
        for arg in args.split_whitespace() {
            match arg {
                "kdp-migrate.jsonl" => command.arg(&log),
                "map-observe.json" | "report.html" => command.arg(dir.join(arg)),
                other => command.arg(other),
            };
        }
        if args.starts_with("replay") {
            command.arg("--filters").arg(filters_dir());
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(expected),
            "kdp-migrate {args}\n{}\n{}",
            if args.starts_with("replay") {
                ""
            } else {
                &stdout
            },
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The retirement page was written.
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("ready to retire the legacy host"));
}
