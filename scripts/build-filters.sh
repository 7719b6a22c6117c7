#!/usr/bin/env bash
# Builds every filter for wasm32-wasip1 with the `filter` profile and assembles
# dist/kong-filters/<filter>.wasm + <filter>.meta.json, ready to mount as Kong's wasm_filters_path.
set -euo pipefail
cd "$(dirname "$0")/.."
FILTERS=(short_domain_router host_rewrite legacy_redirect migration_telemetry kdp_migrate)
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
args=()
for f in "${FILTERS[@]}" test_trap; do args+=(-p "$f"); done
cargo build --quiet --profile filter --target wasm32-wasip1 "${args[@]}"
built="${CARGO_TARGET_DIR:-target}/wasm32-wasip1/filter"
out=dist/kong-filters
rm -rf "$out" dist/test-filters
mkdir -p "$out" dist/test-filters
# binaryen's wasm-opt: what rustc's LTO leaves, it shrinks by ~13% and speeds up (as Kong's DataKit ships).
if ! command -v wasm-opt >/dev/null; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "build-filters: installing binaryen (wasm-opt) with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q binaryen >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q binaryen >/dev/null; }
  fi
  command -v wasm-opt >/dev/null || { echo "error: wasm-opt not found: apt-get install binaryen" >&2; exit 1; }
fi
# The features rustc's wasm32-wasip1 uses (the module carries no target_features section after strip).
opt=(wasm-opt -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int)
for f in "${FILTERS[@]}"; do
  "${opt[@]}" "$built/$f.wasm" -o "$out/$f.wasm"
  if [[ -f "kong/$f.meta.json" ]]; then cp "kong/$f.meta.json" "$out/$f.meta.json"; fi
done
# Budget: each filter must stay under 300 KiB (smaller modules load and instantiate faster on every
# worker, and Kong/Envoy keep one copy per VM).
limit=$((300 * 1024))
for f in "${FILTERS[@]}"; do
  size=$(stat -c %s "$out/$f.wasm")
  printf '%-22s %7d bytes (%d KiB)\n' "$f.wasm" "$size" $((size / 1024))
  if (( size > limit )); then
    echo "error: $f.wasm is $size bytes, over the 300 KiB budget ($limit bytes)" >&2
    exit 1
  fi
done
# Test-only filters never go into the Kong folder.
"${opt[@]}" "$built/test_trap.wasm" -o dist/test-filters/test_trap.wasm
