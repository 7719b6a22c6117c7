#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test:
# the core's unit and table tests, the Kong schema checks, the filters through host-test
# (Kong mode and Envoy mode, on the real .wasm), and the end-to-end tests in a real Envoy 1.40 and in
# Kong 3.9's Wasm engine (nginx + ngx_wasm_module, built from ../shared/kong-engine); then a 50,000-request soak
# through each engine (benches/soak.sh: correctness properties only, never timings).
#
# Kong's engine: KDP_NGX_WASM (an nginx built with ngx_wasm_module) if set, else built from
# KDP_KONG_ENGINE_SRC (default ../shared/kong-engine) into target/kong-engine, reused on later runs.
# In CI (CI=true) the Kong-engine tests must run: no engine fails the run. Elsewhere, without sources
# and without KDP_NGX_WASM, the run says in one line that they were not run, and leaves them out by
# name (every kdp-migrate-e2e test that needs the engine has `kong_` in its name).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== setup"
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
ENVOY_BIN=$(scripts/setup-envoy.sh | tail -n 1)
export ENVOY_BIN
# The report's tests: a headless Chromium for the HTML page, promtool for the alert rules.
PROMTOOL_BIN=$(scripts/setup-report-tools.sh | tail -n 1)
export PROMTOOL_BIN
"$ENVOY_BIN" --version

echo "== Kong 3.9's Wasm engine"
kong_engine_src=${KDP_KONG_ENGINE_SRC:-$(dirname "$root")/shared/kong-engine}
kong_not_run=""
if [[ -n ${KDP_NGX_WASM:-} ]]; then
  if [[ ! -x $KDP_NGX_WASM ]]; then
    echo "error: KDP_NGX_WASM=$KDP_NGX_WASM is not an executable" >&2
    exit 1
  fi
elif [[ -f $kong_engine_src/build.sh ]]; then
  KDP_NGX_WASM=$(KDP_KONG_ENGINE_SRC=$kong_engine_src scripts/setup-kong-engine.sh | tail -n 1)
elif [[ ${CI:-} == true ]]; then
  echo "error: CI runs the Kong-engine tests, but $kong_engine_src/build.sh is missing and KDP_NGX_WASM is not set" >&2
  exit 1
else
  kong_not_run="no Kong engine sources at $kong_engine_src and KDP_NGX_WASM is not set"
fi
if [[ -z $kong_not_run ]]; then
  export KDP_NGX_WASM
  "$KDP_NGX_WASM" -v
fi

echo "== build the filters"
scripts/build-filters.sh
export KDP_FILTERS_DIR="$root/dist/kong-filters"
export KDP_TEST_FILTERS_DIR="$root/dist/test-filters"

echo "== doctests (nextest does not run them)"
cargo test --doc --workspace --quiet
echo "== tests"
if [[ -n $kong_not_run ]]; then
  echo "NOTE: the Kong-engine e2e tests (kdp-migrate-e2e, *kong_*) are NOT run: $kong_not_run."
fi
if cargo nextest --version >/dev/null 2>&1; then
  if [[ -n $kong_not_run ]]; then
    cargo nextest run --workspace --no-fail-fast -E 'not (package(kdp-migrate-e2e) and test(/kong_/))'
  else
    cargo nextest run --workspace --no-fail-fast
  fi
elif [[ -n $kong_not_run ]]; then
  cargo test --workspace --no-fail-fast --exclude kdp-migrate-e2e
  cargo test -p kdp-migrate-e2e --no-fail-fast -- --skip kong_
else
  cargo test --workspace --no-fail-fast
fi

# The soak (benches/soak.sh): 50,000 mixed requests per engine through the shipped layouts — correctness only
# (every answer right, no 5xx, no worker crash or restart, telemetry lines = requests, memory flat), never
# timings. The one-million-request run is the same script with its default REQUESTS.
echo "== soak: 50,000 requests per engine"
soak_setups="envoy:combined"
if [[ -z $kong_not_run ]]; then
  soak_setups="kong:combined $soak_setups"
else
  echo "NOTE: the Kong-engine soak is NOT run: $kong_not_run."
fi
SETUPS="$soak_setups" REQUESTS=50000 benches/soak.sh
