#!/usr/bin/env bash
# The soak (issue 12, item 5): REQUESTS mixed requests (default one million; every entry and outcome, odd headers
# and paths, keep-alive and fresh connections) through each engine with its shipped layout — Kong 3.9's engine
# with kong/kong.yml's routes under a master process and one worker, Envoy 1.40 with envoy/envoy.yaml — checking
# that every answer is right (so no 5xx), the worker never crashes or restarts, telemetry lines = requests, and the
# worker's RSS and the Wasm linear memories stay flat (printed every REQUESTS/10). Correctness only, never
# timings: benches/soak/soak.py says what is checked and why the memory bounds are what they are.
#
#   benches/soak.sh                           # 1,000,000 requests per setup: ~10 min per setup on this VM
#   REQUESTS=50000 benches/soak.sh            # what CI runs (scripts/test.sh)
#   SETUPS="kong:combined" benches/soak.sh    # another layout (any kdp-e2e-kong-config / -envoy-config takes)
#
# Kong's engine: KDP_NGX_WASM, else scripts/setup-kong-engine.sh; Envoy: ENVOY_BIN, else scripts/setup-envoy.sh.
# A setup of an engine that is not available fails. Report (markdown): stdout and $OUT/report.md (default
# target/soak/<UTC time>), with the gateways' logs and configs. Exit status 0 when every check holds.
set -euo pipefail
cd "$(dirname "$0")/.."
export SETUPS="${SETUPS:-kong:combined envoy:combined}"
if [[ " $SETUPS" == *" kong:"* ]]; then
  export KDP_NGX_WASM="${KDP_NGX_WASM:-$(scripts/setup-kong-engine.sh | tail -n 1)}"
fi
if [[ " $SETUPS" == *" envoy:"* ]]; then
  export ENVOY_BIN="${ENVOY_BIN:-$(scripts/setup-envoy.sh | tail -n 1)}"
fi
export OUT="${OUT:-$PWD/target/soak/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
filters="${KDP_FILTERS_DIR:-$PWD/dist/kong-filters}"
for f in kdp_migrate migration_telemetry short_domain_router legacy_redirect host_rewrite; do
  if [[ ! -f "$filters/$f.wasm" ]]; then scripts/build-filters.sh; break; fi
done
export FILTERS_DIR="$filters"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet --release -p kdp-migrate-e2e --bin kdp-e2e-echo --bin kdp-e2e-envoy-config \
  --bin kdp-e2e-kong-config
export ECHO_BIN="$target_dir/release/kdp-e2e-echo"
export ENVOY_CONFIG_BIN="$target_dir/release/kdp-e2e-envoy-config"
export KONG_CONFIG_BIN="$target_dir/release/kdp-e2e-kong-config"
export WASMTIME_CACHE="${WASMTIME_CACHE-$target_dir/kong-bench/wasmtime-cache}"
status=0
python3 benches/soak/soak.py > "$OUT/report.md" || status=$?
cat "$OUT/report.md"
echo "soak: report in $OUT/report.md" >&2
exit "$status"
