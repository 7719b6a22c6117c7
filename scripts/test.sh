#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs every test:
# the core's unit and table tests, the Kong schema checks, the filters through host-test
# (Kong mode and Envoy mode, on the real .wasm), and the end-to-end tests in a real Envoy 1.40.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== setup"
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
ENVOY_BIN=$(scripts/setup-envoy.sh | tail -n 1)
export ENVOY_BIN
"$ENVOY_BIN" --version

echo "== build the filters"
scripts/build-filters.sh
export KDP_FILTERS_DIR="$root/dist/kong-filters"
export KDP_TEST_FILTERS_DIR="$root/dist/test-filters"

echo "== doctests (nextest does not run them)"
cargo test --doc --workspace --quiet
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
