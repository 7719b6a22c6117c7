#!/usr/bin/env bash
# The main job: build the filters into dist/kong-filters/ (what Kong mounts as wasm_filters_path)
# and replay the sample traffic of the seed scenario through them, as the pre-cutover check does.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
scripts/build-filters.sh
echo "== built (dist/kong-filters, ready to mount as Kong's wasm_filters_path)"
ls -l dist/kong-filters
cargo build --quiet --release -p kdp-migrate-host-test
for traffic in kong/examples/traffic/*.log kong/examples/traffic/*.har; do
  [[ -e "$traffic" ]] || continue
  echo "== replay $traffic (Kong mode, standard chains)"
  target/release/kdp-migrate replay --map kong/map.json --traffic "$traffic" --filters dist/kong-filters --host kong \
    || [[ $? -eq 1 ]]  # 1 = some requests ended in an error; the summary lists them
done
