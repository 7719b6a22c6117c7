//! What only Kong's engine does, or only it shows: nginx 1.25.3 + ngx_wasm_module 9136e46 + Wasmtime 26 laid out
//! as Kong 3.9.3's proxy location (`e2e/nginx/kong-proxy.conf`, routes and chains of `kong/kong-chains.yml`).
//!
//! - the upstream request Kong's access phase prepares, and what the filters change in it;
//! - a refused map: nginx stops at start-up (Kong instead fails the chain's requests with 500);
//! - the counters: off in Kong's layout, because this engine has no `kong.version` (no Kong Lua behind `kong.*`);
//!   without Kong's variables they are on, and ngx_wasm_module's debug log shows them stored as Kong exports them;
//! - nginx's own limits: a path above the root is answered 400 before any filter runs, an error-log line is cut at
//!   2048 bytes, a local response body gets a trailing newline;
//! - the layout's router: hosts compared as sent, a Host without route gets Kong's 404.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::echo::EchoServer;
use kdp_migrate_e2e::harness::{nginx_settings, render_nginx, start_nginx};
use kdp_migrate_e2e::kong_config::Layout;
use kdp_migrate_e2e::nginx::Nginx;
use kdp_migrate_e2e::scenario::{LEGACY1, LONG1, SHORT, seed_with};
use kdp_migrate_e2e::work_dir::WorkDir;
use kdp_migrate_e2e::{
    Engine, Harness, Request, Setup, Variant, nginx, paths, per_variant, telemetry,
};
use kdp_migrate_host_test::engine::kong::filter_config;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// The warning a filter logs once per VM when it finds no Kong version to enable its counters by.
const COUNTERS_OFF: &str = "counters off: Kong before 3.6 has no proxy-wasm metrics (3.8+ needed)";

/// How many times `needle` occurs in the gateway's log.
fn occurrences(h: &Harness, needle: &str) -> usize {
    h.gateway.log().matches(needle).count()
}

/// Sends `request` and returns the upstream's view of it (the echo's JSON body).
fn upstream_view(h: &Harness, request: &Request) -> Value {
    let r = h.send(request).expect("send");
    assert_eq!(r.status, 200, "{request:?}: {r:?}");
    r.json().expect("json")
}

/// The first value of `name` among the headers the upstream received (the echo's `headers` list).
fn received<'v>(view: &'v Value, name: &str) -> Option<&'v str> {
    view["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|pair| pair[0] == name)
        .and_then(|pair| pair[1].as_str())
}

per_variant! {
    Kong;
    fn upstream_gets_what_kongs_access_phase_sets(setup) {
        let h = Harness::seed(setup).expect("start");
        let port = h.gateway.listener_port();
        // A pass-through: everything is Kong's (handler.lua); the client's X-Forwarded-Host/-Prefix are replaced,
        // since the client is not a trusted IP, and an empty X-Forwarded-Prefix is not sent.
        let request = Request::get(&format!("{LONG1}:{port}"), "/a//b/./c?x=1")
            .header("x-forwarded-for", "203.0.113.9")
            .header("x-forwarded-host", "evil.example")
            .header("x-forwarded-prefix", "/evil")
            .header("via", "1.0 client-proxy");
        let view = upstream_view(&h, &request);
        assert_eq!(view["path"], "/a/b/c?x=1", "Kong sends the normalised path: {view}");
        // preserve_host sends the Host as sent. kong-chains.yml's long-host chain (migration_telemetry) leaves it; kdp_migrate's
        // host_rewrite role sets the long host on long entries in Kong (filters/adapter/src/plan.rs), port dropped.
        let host = match setup.variant {
            Variant::Chain => format!("{LONG1}:{port}"),
            Variant::Combined => LONG1.to_string(),
        };
        assert_eq!(view["host"], host, "{view}");
        assert_eq!(received(&view, "x-forwarded-host"), Some(LONG1), "{view}");
        assert_eq!(received(&view, "x-forwarded-port"), Some(port.to_string().as_str()), "{view}");
        assert_eq!(received(&view, "x-forwarded-proto"), Some("http"), "{view}");
        assert_eq!(received(&view, "x-forwarded-path"), Some("/a//b/./c"), "the raw path: {view}");
        assert_eq!(received(&view, "x-forwarded-prefix"), None, "{view}");
        assert_eq!(received(&view, "x-forwarded-for"), Some("203.0.113.9, 127.0.0.1"), "{view}");
        assert_eq!(received(&view, "via"), Some("1.0 client-proxy, 1.1 kong/3.9.3"), "{view}");
        assert_eq!(received(&view, "x-real-ip"), Some("127.0.0.1"), "{view}");
        let id = received(&view, "x-kong-request-id").unwrap_or_default();
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "X-Kong-Request-Id {id:?}");
        for (path, upstream) in [("/a/../b", "/b"), ("/x?", "/x?"), ("/x%20y", "/x%20y")] {
            let view = upstream_view(&h, &Request::get(LONG1, path));
            assert_eq!(view["path"], upstream, "{path}: {view}");
        }
        // The short entry: the filter writes the path, Host and X-Forwarded-Host/-Prefix; the rest stays Kong's.
        let view = upstream_view(&h, &Request::get(SHORT, "/api01/v1/x?q").header("x-forwarded-host", "evil.example"));
        assert_eq!(view["path"], "/v1/x?q", "{view}");
        assert_eq!(view["host"], LONG1, "{view}");
        assert_eq!(received(&view, "x-forwarded-host"), Some(SHORT), "{view}");
        assert_eq!(received(&view, "x-forwarded-prefix"), Some("/api01"), "{view}");
        assert_eq!(received(&view, "x-forwarded-path"), Some("/api01/v1/x"), "Kong's, from the raw path: {view}");
    }

    fn refused_map_stops_nginx_at_start_up(setup) {
        let bin = paths::ngx_wasm_bin().expect("KDP_NGX_WASM");
        let dir = WorkDir::new("refused").expect("dir");
        let map = seed_with(&json!({"legacy": {"status": 305}})).expect("map");
        let settings = nginx_settings(setup.variant.kong_layout(), &map, 9, &dir, "refused").expect("settings");
        let config = render_nginx(&paths::kong_template(), &settings).expect("render");
        // A config test parses and loads the modules but runs no on_configure: it passes.
        let config_path = dir.path().join("refused.conf");
        std::fs::write(&config_path, &config).expect("write");
        let (status, output) = nginx::test_config(&bin, &config_path, dir.path()).expect("nginx -t");
        assert!(status.success(), "nginx -t: {output}");
        // Starting it: the filter logs why, nginx gives up before serving and exits with status 2.
        let (status, log) = nginx::run_to_exit(&bin, &config, dir.path(), "refused", &settings.error_log, Duration::from_secs(60))
            .expect("nginx must exit");
        assert_eq!(status.code(), Some(2), "{log}");
        let refusal = log
            .lines()
            .find(|l| l.contains("refused configuration: legacy.status: 305 is not an allowed redirect status"))
            .unwrap_or_else(|| panic!("no refusal in the log: {log}"));
        assert!(refusal.contains("[error]"), "{refusal}");
        assert!(
            log.lines().any(|l| l.contains("[emerg]") && l.contains("filter (on_configure failure)")),
            "{log}"
        );
    }

    fn counters_stay_off_without_kong_version(setup) {
        let h = Harness::seed(setup).expect("start");
        for _ in 0..3 {
            assert_eq!(h.get(SHORT, "/api01/x").expect("send").status, 200);
        }
        h.gateway.wait_telemetry(3, |_| true).expect("three records");
        assert_eq!(occurrences(&h, COUNTERS_OFF), 1, "once per filter VM: {}", h.gateway.log_tail(20));
        assert_eq!(h.get(LEGACY1, "/x").expect("send").status, 308);
        h.gateway.wait_telemetry(4, |_| true).expect("four records");
        // The legacy route's chain has its own migration_telemetry; kdp_migrate alone is one filter on every route.
        let vms = match setup.variant {
            Variant::Chain => 2,
            Variant::Combined => 1,
        };
        assert_eq!(occurrences(&h, COUNTERS_OFF), vms, "{}", h.gateway.log_tail(20));
        assert!(!h.gateway.log().contains("cannot define counter"), "{}", h.gateway.log_tail(20));
    }

    fn counters_as_ngx_wasm_module_stores_them(setup) {
        // Without Kong's variables (e2e/nginx/plain-proxy.conf) the filters keep their counters on, and
        // ngx_wasm_module's debug log names each counter it defines in its metrics store and each increment.
        let dir = WorkDir::new("counters").expect("dir");
        let echo = EchoServer::start(0, true).expect("echo");
        let seed = paths::seed_map().expect("seed");
        let nginx = start_nginx(&paths::plain_nginx_template(), setup.variant.kong_layout(), &seed, echo.port(), &dir, "debug")
            .expect("start");
        let port = nginx.listener_port();
        let sent = [(SHORT, "/api01/x", 200), (SHORT, "/api01/y", 200), (SHORT, "/api01/z", 200), (LEGACY1, "/x", 308), (SHORT, "/nope", 404), (LONG1, "/v1", 200)];
        for (host, path, status) in sent {
            assert_eq!(Request::get(host, path).send(port).expect("send").status, status, "{host}{path}");
        }
        telemetry::wait(|| nginx.log(), sent.len(), |_| true).expect("one record per request");
        let first = echo.received().into_iter().next().expect("upstream request");
        assert_eq!((first.host.as_deref(), first.target.as_str()), (Some(LONG1), "/x"), "plain nginx: :path and host written");
        let log = nginx.log();
        let mut names = std::collections::HashMap::new();
        let mut counts = std::collections::HashMap::new();
        for line in log.lines() {
            if let Some(rest) = line.split("defined counter \"").nth(1)
                && let Some((name, id)) = rest.split_once("\" with id ")
            {
                names.insert(id.trim().to_string(), name.to_string());
            }
            if let Some(rest) = line.split("wasm updating metric \"").nth(1)
                && let Some((id, by)) = rest.split_once("\" with ")
            {
                *counts.entry(id.to_string()).or_insert(0u64) += by.trim().parse::<u64>().expect("increment");
            }
        }
        let values: std::collections::BTreeMap<String, u64> = counts
            .iter()
            .map(|(id, n)| (names.get(id).cloned().unwrap_or_else(|| panic!("metric {id} never defined")), *n))
            .collect();
        let filter = match setup.variant {
            Variant::Chain => "migration_telemetry",
            Variant::Combined => "kdp_migrate",
        };
        let want: std::collections::BTreeMap<String, u64> = [
            ("api01", "short", "proxy", 3),
            ("api01", "legacy", "redirect", 1),
            ("-", "short", "reject", 1),
            ("api01", "long", "pass", 1),
        ]
        .into_iter()
        .map(|(api, entry, action, n)| (format!("pw:{filter}:requests_total_api={api}_entry={entry}_action={action}"), n))
        .collect();
        assert_eq!(values, want);
    }

    fn filter_state_sink_falls_back_to_the_log_line(setup) {
        let map = seed_with(&json!({"telemetry": "filter_state"})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        for path in ["/api01/a", "/api02/b"] {
            assert_eq!(h.get(SHORT, path).expect("send").status, 200);
            let record = h.telemetry_for(SHORT, path).expect("the record is a log line");
            assert_eq!(record["entry"], "short", "{record}");
        }
        let said = "telemetry \"filter_state\" is Envoy's: this engine gets the log line";
        assert_eq!(occurrences(&h, said), 1, "once per filter VM: {}", h.gateway.log_tail(20));
    }

    fn local_response_bodies_end_with_a_newline(setup) {
        let h = Harness::seed(setup).expect("start");
        let r = h.get(SHORT, "/nope").expect("send");
        assert_eq!(r.status, 404, "{r:?}");
        assert!(r.body.ends_with("}\n"), "ngx_wasm_module appends a newline: {:?}", r.body);
        assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()), "{r:?}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
        // A redirect has no body and, with Kong's `default_type ''`, no Content-Type.
        let r = h.get(LEGACY1, "/x").expect("send");
        assert_eq!((r.status, r.body.as_str()), (308, ""), "{r:?}");
        assert_eq!(r.header("content-type"), None, "{r:?}");
    }

    fn nginx_answers_400_itself_for_a_path_above_the_root(setup) {
        let h = Harness::seed(setup).expect("start");
        let r = h.get(SHORT, "/../api01/x").expect("send");
        assert_eq!(r.status, 400, "{r:?}");
        assert!(r.json().is_err(), "nginx's own page, not the filter's JSON: {}", r.body);
        assert_eq!(h.get(SHORT, "/api01/after").expect("send").status, 200);
        h.telemetry_for(SHORT, "/api01/after").expect("the next request's record");
        let paths: Vec<Value> = h.gateway.telemetry().iter().map(|r| r["path"].clone()).collect();
        assert_eq!(paths, vec![json!("/api01/after")], "no filter saw the refused request");
        assert_eq!(h.upstream_requests().len(), 1);
    }

    fn telemetry_record_of_a_long_request_fits_an_error_log_line(setup) {
        let h = Harness::seed(setup).expect("start");
        // nginx cuts every error-log line at NGX_MAX_ERROR_STR (2048 bytes), and the record is one such line: its
        // texts are cut to their bounds first (TelemetryRecord::MAX_LINE_BYTES), so a long request's record parses.
        let whole = format!("/api01/{}", "a".repeat(400));
        let long = format!("/api01/{}", "b".repeat(1900));
        for path in [&whole, &long] {
            assert_eq!(h.get(SHORT, path).expect("send").status, 200, "the request itself is served");
        }
        h.telemetry_for(SHORT, &whole).expect("a 400-byte path is kept whole");
        let records = h.gateway.wait_telemetry(2, |_| true).expect("both records parse");
        let cut = records
            .iter()
            .find_map(|r| r["path"].as_str().filter(|path| path.contains("bbbb")))
            .expect("the long path's record");
        let kept = cut.strip_suffix('\u{2026}').unwrap_or_else(|| panic!("cut and marked: {cut}"));
        assert!(long.starts_with(kept), "{cut}");
        let log = h.gateway.log();
        let line = log
            .lines()
            .find(|l| l.contains(telemetry::MARKER) && l.contains("bbbb"))
            .expect("the long path's line");
        assert!(line.len() < 2048, "{} bytes: {line}", line.len());
        assert!(telemetry::record_text(line).is_some(), "the whole record is in the line: {line}");
    }
}

/// The layout's router compares the Host as sent (Kong's default router does: no lower-casing, no trailing-dot
/// removal; Kong/kong#14198), port split off: other spellings get Kong's own 404 and no filter runs.
#[test]
fn kong_router_compares_hosts_as_sent() {
    let h = Harness::seed(Setup::new(Engine::Kong, Variant::Chain)).expect("start");
    let port = h.gateway.listener_port();
    assert_eq!(
        h.get(&format!("{SHORT}:{port}"), "/api01/x")
            .expect("send")
            .status,
        200
    );
    for host in [
        "DEV-01.Aliyun.Cloud.cn.aibang".to_string(),
        format!("{SHORT}."),
        "unrelated.example.test".to_string(),
    ] {
        let r = h.get(&host, "/api01/x").expect("send");
        assert_eq!(r.status, 404, "{host}: {r:?}");
        assert_eq!(
            r.json().expect("json")["message"],
            "no Route matched with those values",
            "{host}"
        );
    }
    assert_eq!(h.upstream_requests().len(), 1);
    h.gateway
        .wait_telemetry(1, |_| true)
        .expect("the routed request's record");
    assert_eq!(
        h.gateway.telemetry().len(),
        1,
        "no filter ran for the others"
    );
}

/// With a master process, as Kong runs nginx, a refused map kills the worker at start-up: the master logs that it
/// cannot respawn it and keeps its port without a worker to serve it.
#[test]
fn kong_refused_map_with_a_master_process_leaves_no_worker() {
    let bin = paths::ngx_wasm_bin().expect("KDP_NGX_WASM");
    let dir = WorkDir::new("refused-master").expect("dir");
    let map = seed_with(&json!({"legacy": {"status": 305}})).expect("map");
    let mut settings = nginx_settings(Layout::Combined, &map, 9, &dir, "master").expect("settings");
    settings.wasmtime_cache = None;
    let config = render_nginx(&paths::kong_template(), &settings).expect("render");
    let single = "master_process off;";
    assert!(config.contains(single), "the template runs one process");
    let config = config.replacen(single, "master_process on; user root;", 1);
    let config_path = dir.path().join("master.conf");
    std::fs::write(&config_path, &config).expect("write");
    let mut master = kdp_migrate_e2e::process::command(&bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&config_path)
        .arg("-e")
        .arg(&settings.error_log)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let log = loop {
        let log = std::fs::read_to_string(&settings.error_log).unwrap_or_default();
        if log.contains("cannot be respawned") || Instant::now() > deadline {
            break log;
        }
        assert!(
            master.try_wait().expect("wait").is_none(),
            "the master exited: {log}"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    let alive = master.try_wait().expect("wait").is_none();
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", master.id()))
        .unwrap_or_default();
    let _ = master.kill();
    let _ = master.wait();
    assert!(
        log.contains("refused configuration: legacy.status: "),
        "{log}"
    );
    assert!(
        log.contains("exited with fatal code 2 and cannot be respawned"),
        "{log}"
    );
    assert!(alive, "the master keeps running: {log}");
    assert_eq!(children.trim(), "", "and has no worker");
}

/// Kong's layout `layout` with the seed map, in front of an echo upstream, error log at info (returned in drop
/// order: nginx stops before its folder goes).
fn start_kong_layout(layout: Layout, label: &str) -> (Nginx, EchoServer, WorkDir) {
    let dir = WorkDir::new(label).expect("dir");
    let echo = EchoServer::start(0, true).expect("echo");
    let nginx = start_nginx(
        &paths::kong_template(),
        layout,
        &paths::seed_map().expect("seed"),
        echo.port(),
        &dir,
        "info",
    )
    .expect("start");
    (nginx, echo, dir)
}

/// The test support itself: Kong's layout with no filter forwards as Kong prepares it, and nginx is gone once the
/// harness drops it.
#[test]
fn kong_plain_layout_forwards_and_nginx_is_killed_on_drop() {
    let (nginx, echo, _dir) = start_kong_layout(Layout::Plain, "kong-plain");
    let port = nginx.listener_port();
    let r = Request::get(SHORT, "/api01/a%20b?x=%20&y")
        .header("x-echo-respond-set-cookie", "a=1; Path=/")
        .header("x-echo-respond-set-cookie", "b=2")
        .header("x-echo-status", "302")
        .header("x-echo-respond-location", "/login")
        .send(port)
        .expect("send");
    assert_eq!(r.status, 302);
    assert_eq!(r.header_all("set-cookie"), vec!["a=1; Path=/", "b=2"]);
    assert_eq!(r.header("location"), Some("/login"));
    let body = r.json().expect("json");
    assert_eq!(body["host"], SHORT);
    assert_eq!(body["path"], "/api01/a%20b?x=%20&y");
    assert_eq!(echo.received().len(), 1);
    let pid = nginx.pid();
    drop(nginx);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "nginx {pid} must be gone"
    );
    assert!(
        Request::get(SHORT, "/").send(port).is_err(),
        "nothing listens any more"
    );
}

per_variant! {
    Kong;
    fn a_map_with_empty_lists_is_accepted_as_kong_delivers_it(setup) {
        // `legacy_hosts: []` in kong.yml reaches the filter as `{}`: DB-less storage drops array-ness and cjson
        // encodes an empty table as an object (docs/kong-3.9.3.md §6.2; host-test's `engine::kong::filter_config`
        // models the round trip). The filters must accept what Kong delivers, for the global list and an API's.
        let written = seed_with(&json!({
            "legacy_hosts": [],
            "apis": [
                {"name": "api01", "legacy_hosts": [LEGACY1]},
                {"name": "api02", "legacy_hosts": []}
            ]
        }))
        .expect("map");
        let delivered = filter_config(written.as_bytes()).expect("a JSON map");
        let delivered = String::from_utf8(delivered).expect("UTF-8");
        assert_eq!(delivered.matches(r#""legacy_hosts":{}"#).count(), 2, "{delivered}");
        let h = Harness::start(setup, &delivered).expect("the filters accept the map as Kong delivers it");
        let view = upstream_view(&h, &Request::get(SHORT, "/api02/x?y=1"));
        assert_eq!(view["path"], "/x?y=1");
        let r = h.get(LEGACY1, "/v1/x").expect("send");
        assert_eq!(r.status, 308, "{r:?}");
        assert_eq!(
            r.header("location"),
            Some(format!("https://{SHORT}/api01/v1/x").as_str())
        );
    }
}

/// The side-by-side benchmark's native baseline (b) in Kong's layout: nginx itself strips the prefix and sets Kong's
/// upstream variables on the short host, answers unknown prefixes 404, redirects legacy hosts with `return 308`,
/// and passes long hosts, as the filters would (`benches/kong-side-by-side.sh` compares them).
#[test]
fn kong_native_baseline_does_the_routing_job() {
    let (nginx, echo, _dir) = start_kong_layout(Layout::Native, "kong-native");
    let port = nginx.listener_port();
    for (path, upstream) in [
        ("/api01/v1/items?id=7", "/v1/items?id=7"),
        ("/api01", "/"),
        ("/api01?q", "/?q"),
        ("/api01/", "/"),
    ] {
        let r = Request::get(SHORT, path).send(port).expect("send");
        assert_eq!(r.status, 200, "{path}");
        let body = r.json().expect("json");
        assert_eq!(body["host"], LONG1, "{path}");
        assert_eq!(body["path"], upstream, "{path}");
        assert_eq!(body["x_forwarded_host"], SHORT, "{path}");
        assert_eq!(body["x_forwarded_prefix"], "/api01", "{path}");
    }
    let r = Request::get(SHORT, "/api010/x").send(port).expect("send");
    assert_eq!(r.status, 404);
    let r = Request::get(LEGACY1, "/v1/items?id=7")
        .send(port)
        .expect("send");
    assert_eq!(r.status, 308);
    assert_eq!(
        r.header("location"),
        Some(format!("https://{SHORT}/api01/v1/items?id=7").as_str())
    );
    assert_eq!(r.header("cache-control"), Some("max-age=300"));
    let r = Request::get(LONG1, "/v1/z").send(port).expect("send");
    assert_eq!(r.json().expect("json")["host"], LONG1);
    assert_eq!(echo.received().len(), 5);
    assert!(
        !nginx.log().contains("kdp_migrate"),
        "no filter ran: {}",
        nginx.log()
    );
}
