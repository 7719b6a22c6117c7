#!/usr/bin/env bash
# The main job: build the filters into dist/kong-filters/ (what Kong mounts as wasm_filters_path)
# and replay the sample traffic of the seed scenario through them, as the pre-cutover check does.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
scripts/build-filters.sh
echo "== built (dist/kong-filters, ready to mount as Kong's wasm_filters_path)"
ls -l dist/kong-filters
# The dev profile builds wasmtime optimised (see [profile.dev.package."*"]) and shares artefacts with the tests.
cargo build --quiet -p kdp-migrate-cli
replay() {
  echo "== kdp-migrate replay --traffic $1 --engine $2"
  target/debug/kdp-migrate replay --map kong/map.json --traffic "$1" --filters dist/kong-filters --engine "$2" \
    || [[ $? -eq 1 ]]  # 1 = some requests ended in an error; the summary on stderr lists them
}
replay kong/examples/traffic/kong-file-log.jsonl kong
replay kong/examples/traffic/browser.har envoy
