#!/usr/bin/env bash
# The Kong-engine side-by-side benchmark (issue 12, item 3): Kong 3.9's Wasm engine (nginx 1.25.3 +
# ngx_wasm_module 9136e46 + Wasmtime 26) laid out as Kong 3.9.3's proxy location with kong/kong.yml's routes, with
# no filter (a), with nginx doing the job itself (b: prefix strip and Kong's upstream variables, `return 308`), a
# do-nothing Wasm filter (n, the floor), kdp_migrate alone (c) and kong-chains.yml's chains (c2), on rewrite, redirect and
# pass-through requests, interleaved round by round, CPUs pinned. Prints req/s ratios and the worker's CPU µs per
# request (benches/kong/RESULTS.md has the recorded figures and the method). Not a test. Keep the machine quiet.
#
#   benches/kong-side-by-side.sh             # ROUNDS=3 DUR=8 WARM=2 CONNS=8 by default
#   ROUNDS=5 CASES="rewrite:n,c pass:n,c" benches/kong-side-by-side.sh
#   EXTRA_LAYOUTS="t=chain:migration_telemetry" CASES="rewrite:n,t,c" benches/kong-side-by-side.sh
#
# Needs 2+ cores: the nginx worker is pinned to core 0, wrk and the echo upstream to core 1, all on 127.0.0.1.
# Kong's engine: KDP_NGX_WASM, else scripts/setup-kong-engine.sh (builds it once into target/kong-engine).
# Raw results and nginx logs: $OUT (default target/kong-bench/<UTC time>); Wasmtime's compiled modules are kept
# in target/kong-bench/wasmtime-cache.
set -euo pipefail
cd "$(dirname "$0")/.."
export KDP_NGX_WASM="${KDP_NGX_WASM:-$(scripts/setup-kong-engine.sh | tail -n 1)}"
export OUT="${OUT:-$PWD/target/kong-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
source benches/side-by-side-setup.sh
export CONFIG_BIN="$KONG_CONFIG_BIN"
export WASMTIME_CACHE="${WASMTIME_CACHE-$PWD/target/kong-bench/wasmtime-cache}"
echo "kong-side-by-side: $("$KDP_NGX_WASM" -v 2>&1 | head -n1), results in $OUT" >&2
python3 benches/kong/bench.py | tee "$OUT/summary.md"
