//! Renders `envoy/envoy.yaml` the way the e2e tests do, for the Envoy side-by-side benchmark (and for anyone who
//! wants to see what the tests run):
//!
//! ```text
//! kdp-e2e-envoy-config --layout combined|chain|chain:f1,f2,...|plain|native
//!     --admin PORT --listen PORT --upstream PORT [--filters-dir DIR] [--map FILE] [--template FILE]
//!     [--access-log FILE]
//! ```
//!
//! Prints the config as JSON (Envoy reads it with `-c <file>.json`). Defaults: `KDP_FILTERS_DIR` or
//! `dist/kong-filters`, the seed map `kong/map.json`, the template `envoy/envoy.yaml`. `--access-log` adds the
//! access log of `envoy/access-log.yaml` (the telemetry record's `filter_state` sink), writing to FILE.

use kdp_migrate_e2e::config::{self, Layout, Render};
use kdp_migrate_e2e::{Error, Result, paths};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kdp-e2e-envoy-config: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<String> {
    let mut layout = None;
    let (mut admin, mut listen, mut upstream) = (None, None, None);
    let mut filters_dir = paths::filters_dir();
    let mut map_path = paths::seed_map_path();
    let mut template = paths::envoy_template();
    let mut access_log = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| Error::new(format!("{flag} needs a value")))?;
        let port = || {
            value
                .parse::<u16>()
                .map_err(|e| Error::new(format!("{flag} {value}: {e}")))
        };
        match flag.as_str() {
            "--layout" => layout = Some(parse_layout(&value)?),
            "--admin" => admin = Some(port()?),
            "--listen" => listen = Some(port()?),
            "--upstream" => upstream = Some(port()?),
            "--filters-dir" => filters_dir = PathBuf::from(&value),
            "--map" => map_path = PathBuf::from(&value),
            "--template" => template = PathBuf::from(&value),
            "--access-log" => access_log = Some(std::path::absolute(&value)?),
            other => return Err(Error::new(format!("unknown flag {other}"))),
        }
    }
    let missing = |what: &str| Error::new(format!("{what} is required"));
    let settings = Render {
        admin_port: admin.ok_or_else(|| missing("--admin"))?,
        listener_port: listen.ok_or_else(|| missing("--listen"))?,
        upstream_port: upstream.ok_or_else(|| missing("--upstream"))?,
        filters_dir: std::path::absolute(&filters_dir)?,
        map: std::fs::read_to_string(&map_path)
            .map_err(|e| Error::new(format!("{}: {e}", map_path.display())))?,
        layout: layout.ok_or_else(|| missing("--layout"))?,
        access_log,
    };
    let rendered = config::render(&config::load_template(&template)?, &settings)?;
    Ok(serde_json::to_string_pretty(&rendered)?)
}

fn parse_layout(value: &str) -> Result<Layout> {
    Ok(match value {
        "combined" => Layout::Combined,
        "chain" => Layout::full_chain(),
        "plain" => Layout::Plain,
        "native" => Layout::Native,
        other => match other.strip_prefix("chain:") {
            Some(list) => Layout::Chain(list.split(',').map(str::to_string).collect()),
            None => return Err(Error::new(format!("unknown layout {other}"))),
        },
    })
}
