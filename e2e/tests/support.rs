//! The test support itself, with no Wasm filter: the echo upstream, the rendering of `envoy/envoy.yaml`, starting
//! and stopping Envoy, and the benchmark's native-route baseline (b) doing the same routing job as the filters.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::config::{self, Layout, Render};
use kdp_migrate_e2e::echo::EchoServer;
use kdp_migrate_e2e::envoy::Envoy;
use kdp_migrate_e2e::ports::free_port;
use kdp_migrate_e2e::scenario::{LEGACY1, LONG1, OTHER, SHORT};
use kdp_migrate_e2e::work_dir::WorkDir;
use kdp_migrate_e2e::{Request, Result, paths};
use std::path::Path;

fn start(layout: Layout, label: &str) -> Result<(Envoy, EchoServer, WorkDir)> {
    let bin = paths::envoy_bin()?;
    let dir = WorkDir::new(label)?;
    let echo = EchoServer::start(0, true)?;
    let settings = Render {
        admin_port: free_port()?,
        listener_port: free_port()?,
        upstream_port: echo.port(),
        filters_dir: paths::filters_dir(),
        map: paths::seed_map()?,
        layout,
        access_log: None,
    };
    let template = config::load_template(&paths::envoy_template())?;
    let rendered = config::render(&template, &settings)?;
    let envoy = Envoy::start(&bin, &rendered, dir.path(), "envoy")?;
    Ok((envoy, echo, dir))
}

#[test]
fn plain_envoy_forwards_unchanged_and_is_killed_on_drop() {
    let (envoy, echo, _dir) = start(Layout::Plain, "plain").expect("start");
    let port = envoy.listener_port();
    for request in [
        Request::get(SHORT, "/api01/a%20b?x=%20&y").h2c(),
        Request::get(SHORT, "/api01/a%20b?x=%20&y")
            .header("x-echo-respond-set-cookie", "a=1; Path=/")
            .header("x-echo-respond-set-cookie", "b=2")
            .header("x-echo-respond-location", "/login")
            .header("x-echo-status", "302"),
    ] {
        let r = request.send(port).expect("send");
        let body = r.json().expect("json");
        assert_eq!(body["host"], SHORT);
        assert_eq!(body["path"], "/api01/a%20b?x=%20&y");
        assert_eq!(r.header("x-echo-path"), Some("/api01/a%20b?x=%20&y"));
        if !request.h2c {
            assert_eq!(r.status, 302);
            assert_eq!(r.header_all("set-cookie"), vec!["a=1; Path=/", "b=2"]);
            assert_eq!(r.header("location"), Some("/login"));
        }
    }
    assert_eq!(echo.received().len(), 2);
    let pid = envoy.pid();
    drop(envoy);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "Envoy {pid} must be gone"
    );
    assert!(
        Request::get(SHORT, "/").send(port).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn native_baseline_does_the_routing_job() {
    let (envoy, echo, _dir) = start(Layout::Native, "native").expect("start");
    let port = envoy.listener_port();
    for (path, upstream) in [
        ("/api01/v1/items?id=7", "/v1/items?id=7"),
        ("/api01", "/"),
        ("/api01?q", "/?q"),
    ] {
        let r = Request::get(SHORT, path).send(port).expect("send");
        assert_eq!(r.status, 200, "{path}");
        let body = r.json().expect("json");
        assert_eq!(body["host"], LONG1, "{path}");
        assert_eq!(body["path"], upstream, "{path}");
        assert_eq!(body["x_forwarded_host"], SHORT, "{path}");
        assert_eq!(body["x_forwarded_prefix"], "/api01", "{path}");
    }
    assert_eq!(
        Request::get(SHORT, "/api010/x")
            .send(port)
            .expect("send")
            .status,
        404
    );
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
    let r = Request::get(OTHER, "/x").send(port).expect("send");
    assert_eq!(r.json().expect("json")["host"], OTHER);
    assert_eq!(echo.received().len(), 5);
}

#[test]
fn admin_stats_and_log_are_readable() {
    let (envoy, _echo, _dir) = start(Layout::Plain, "admin").expect("start");
    Request::get(OTHER, "/")
        .send(envoy.listener_port())
        .expect("send");
    let stats = envoy.stats("downstream_rq_completed").expect("stats");
    assert!(
        stats
            .iter()
            .any(|(n, v)| n.starts_with("http.ingress_http.") && *v >= 1),
        "{stats:?}"
    );
    assert!(
        envoy.log().contains("starting main dispatch loop"),
        "{}",
        envoy.log_tail(20)
    );
}
