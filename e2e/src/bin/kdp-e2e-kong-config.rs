//! Renders `e2e/nginx/kong-proxy.conf` — Kong 3.9.3's proxy server for Kong's Wasm engine — the way the
//! Kong-engine e2e tests do, for benchmarks and soak runs (and for anyone who wants to see what the tests run):
//!
//! ```text
//! kdp-e2e-kong-config --layout routes|combined|chain:f1,f2,...|plain|native --listen PORT --upstream PORT --prefix DIR
//!     [--error-log FILE] [--log-level LEVEL] [--filters-dir DIR] [--map FILE] [--template FILE]
//!     [--kong-yml FILE] [--wasmtime-cache DIR] [--wasmtime-flag NAME=VALUE]...
//! ```
//!
//! Prints the nginx config. Run it with `nginx -p DIR -c <file> -e <error log>` (nginx then runs as one process in
//! the foreground). Layouts: `routes`, the chains `kong/kong-chains.yml` attaches to its routes; `combined`,
//! `kdp_migrate` alone on every route; `chain:f1,f2`, these filters on every route; `plain`, no filter; `native`, no filter and nginx doing the map's
//! routing job itself (the benchmarks' baseline: `kdp_migrate_e2e::native_routes`). Defaults:
//! error log `DIR/error.log` at `info` (the telemetry lines; `notice` leaves them out), `KDP_FILTERS_DIR` or
//! `dist/kong-filters`, the seed map `kong/map.json`, `e2e/nginx/kong-proxy.conf`, `kong/kong-chains.yml`. `--prefix`
//! is created if missing. `--wasmtime-cache DIR` keeps compiled modules in DIR across runs: it writes
//! `<prefix>/wasmtime-cache.toml`, which the config names (without it, nginx compiles every module at start-up).
//! `--wasmtime-flag profiler=perfmap` (repeatable) adds `flag profiler perfmap;` to the `wasmtime {}` block: a
//! Wasmtime config flag, here the perf map that lets `perf` name the filters' functions.

use kdp_migrate_e2e::kong_config::{self, Layout, Render};
use kdp_migrate_e2e::{Error, Result, kong_routes, paths};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(config) => {
            print!("{config}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kdp-e2e-kong-config: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<String> {
    let mut layout = None;
    let (mut listen, mut upstream, mut prefix) = (None, None, None);
    let mut error_log = None;
    let mut log_level = "info".to_string();
    let mut filters_dir = paths::filters_dir();
    let mut map_path = paths::seed_map_path();
    let mut template = paths::kong_template();
    let mut kong_chains_yml = paths::kong_chains_yml();
    let mut cache_dir = None;
    let mut wasmtime_flags = Vec::new();
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
            "--listen" => listen = Some(port()?),
            "--upstream" => upstream = Some(port()?),
            "--prefix" => prefix = Some(PathBuf::from(&value)),
            "--error-log" => error_log = Some(std::path::absolute(&value)?),
            "--log-level" => log_level = value,
            "--filters-dir" => filters_dir = PathBuf::from(&value),
            "--map" => map_path = PathBuf::from(&value),
            "--template" => template = PathBuf::from(&value),
            "--kong-yml" => kong_chains_yml = PathBuf::from(&value),
            "--wasmtime-cache" => cache_dir = Some(std::path::absolute(&value)?),
            "--wasmtime-flag" => {
                let (name, flag_value) = value
                    .split_once('=')
                    .ok_or_else(|| Error::new(format!("{flag} {value}: NAME=VALUE")))?;
                wasmtime_flags.push((name.to_string(), flag_value.to_string()));
            }
            other => return Err(Error::new(format!("unknown flag {other}"))),
        }
    }
    let missing = |what: &str| Error::new(format!("{what} is required"));
    let prefix = prefix.ok_or_else(|| missing("--prefix"))?;
    std::fs::create_dir_all(&prefix)
        .map_err(|e| Error::new(format!("{}: {e}", prefix.display())))?;
    let prefix = std::path::absolute(&prefix)?;
    let wasmtime_cache = match cache_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
            let file = prefix.join("wasmtime-cache.toml");
            std::fs::write(&file, kong_config::wasmtime_cache_config(&dir)?)
                .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
            Some(file)
        }
        None => None,
    };
    let settings = Render {
        listener_port: listen.ok_or_else(|| missing("--listen"))?,
        upstream_port: upstream.ok_or_else(|| missing("--upstream"))?,
        error_log: error_log.unwrap_or_else(|| prefix.join("error.log")),
        prefix,
        log_level,
        filters_dir: std::path::absolute(&filters_dir)?,
        map: std::fs::read_to_string(&map_path)
            .map_err(|e| Error::new(format!("{}: {e}", map_path.display())))?,
        layout: layout.ok_or_else(|| missing("--layout"))?,
        wasmtime_cache,
        wasmtime_flags,
    };
    let text = std::fs::read_to_string(&template)
        .map_err(|e| Error::new(format!("{}: {e}", template.display())))?;
    let routes = kong_routes::load(&kong_chains_yml)?;
    kong_config::render(&text, &routes, &settings)
}

fn parse_layout(value: &str) -> Result<Layout> {
    Ok(match value {
        "routes" => Layout::Routes,
        "combined" => Layout::Combined,
        "plain" => Layout::Plain,
        "native" => Layout::Native,
        other => match other.strip_prefix("chain:") {
            Some(list) => Layout::Chain(list.split(',').map(str::to_string).collect()),
            None => {
                return Err(Error::new(format!(
                    "unknown layout {other} (routes, combined, chain:f1,f2,..., plain, native)"
                )));
            }
        },
    })
}
