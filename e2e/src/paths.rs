//! Where things are: the workspace, the gateways' binaries, the built filters, curl, the shipped files.

use crate::error::{Error, Result};
use kdp_migrate_host_test::artifacts;
use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The Envoy binary from `ENVOY_BIN`. Unset or missing is an error, never a skip.
pub fn envoy_bin() -> Result<PathBuf> {
    let hint = "install Envoy 1.40 with `scripts/setup-envoy.sh` and run the tests with \
                ENVOY_BIN=\"$(scripts/setup-envoy.sh)\"";
    let Some(value) = std::env::var_os("ENVOY_BIN").filter(|v| !v.is_empty()) else {
        return Err(Error::new(format!("ENVOY_BIN is not set: {hint}")));
    };
    let path = PathBuf::from(value);
    if !path.is_file() {
        return Err(Error::new(format!(
            "ENVOY_BIN={} does not exist or is not a file: {hint}",
            path.display()
        )));
    }
    Ok(path)
}

/// Kong 3.9's Wasm engine (the nginx binary built with ngx_wasm_module) from `KDP_NGX_WASM`. Unset or missing is
/// an error, never a skip: `scripts/test.sh` either sets it or leaves the Kong-engine tests out and says why.
pub fn ngx_wasm_bin() -> Result<PathBuf> {
    let hint = "build Kong 3.9's engine with `scripts/setup-kong-engine.sh` (it needs ../shared/kong-engine) and run \
                the tests with KDP_NGX_WASM=\"$(scripts/setup-kong-engine.sh)\", or run `scripts/test.sh`";
    let Some(value) = std::env::var_os("KDP_NGX_WASM").filter(|v| !v.is_empty()) else {
        return Err(Error::new(format!("KDP_NGX_WASM is not set: {hint}")));
    };
    let path = PathBuf::from(value);
    if !path.is_file() {
        return Err(Error::new(format!(
            "KDP_NGX_WASM={} does not exist or is not a file: {hint}",
            path.display()
        )));
    }
    Ok(path)
}

/// The built filters: `KDP_FILTERS_DIR`, default `<workspace>/dist/kong-filters`.
pub fn filters_dir() -> PathBuf {
    match std::env::var_os("KDP_FILTERS_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("dist").join("kong-filters"),
    }
}

/// `<filters_dir>/<filter>.wasm`, or an error that says how to build it: missing, or older than the sources it is
/// built from (a test never runs yesterday's filters).
pub fn filter_wasm(filter: &str) -> Result<PathBuf> {
    artifacts::fresh_wasm(&filters_dir(), filter).map_err(|error| Error::new(error.to_string()))
}

/// curl: `CURL`, default `/usr/bin/curl`.
pub fn curl_bin() -> PathBuf {
    match std::env::var_os("CURL").filter(|v| !v.is_empty()) {
        Some(curl) => PathBuf::from(curl),
        None => PathBuf::from("/usr/bin/curl"),
    }
}

/// The Envoy bootstrap users start from, which the tests render: `envoy/envoy.yaml`.
pub fn envoy_template() -> PathBuf {
    workspace_root().join("envoy").join("envoy.yaml")
}

/// Kong 3.9.3's proxy server laid out for ngx_wasm_module, which the Kong-engine tests render:
/// `e2e/nginx/kong-proxy.conf`.
pub fn kong_template() -> PathBuf {
    workspace_root()
        .join("e2e")
        .join("nginx")
        .join("kong-proxy.conf")
}

/// ngx_wasm_module without Kong's proxy variables (the filters then keep their counters on):
/// `e2e/nginx/plain-proxy.conf`.
pub fn plain_nginx_template() -> PathBuf {
    workspace_root()
        .join("e2e")
        .join("nginx")
        .join("plain-proxy.conf")
}

/// Kong's declarative config with the split filters chained per entry, whose routes and chains the Kong-engine
/// tests run: `kong/kong-chains.yml` (`kong/kong.yml`, the recommended layout, has the same routes with
/// `kdp_migrate` alone on each, which [`crate::kong_config::Layout`]'s combined layout puts there too).
pub fn kong_chains_yml() -> PathBuf {
    workspace_root().join("kong").join("kong-chains.yml")
}

/// Wasmtime's compilation cache for the Kong-engine tests (`<tmp>/kdp-e2e/wasmtime-cache`), shared by every nginx
/// they start: a module is compiled once, not once per test (Wasmtime keys entries by module and settings).
pub fn wasmtime_cache_dir() -> PathBuf {
    std::env::temp_dir().join("kdp-e2e").join("wasmtime-cache")
}

/// The access log entry of the telemetry record's `filter_state` sink: `envoy/access-log.yaml`.
pub fn envoy_access_log() -> PathBuf {
    workspace_root().join("envoy").join("access-log.yaml")
}

/// The seed scenario's map: `kong/map.json`.
pub fn seed_map_path() -> PathBuf {
    workspace_root().join("kong").join("map.json")
}

/// The seed scenario's map, as text.
pub fn seed_map() -> Result<String> {
    let path = seed_map_path();
    std::fs::read_to_string(&path).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}
