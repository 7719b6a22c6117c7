#!/usr/bin/env bash
# Builds Kong 3.9's Wasm engine — nginx 1.25.3 + ngx_wasm_module 9136e46 + Wasmtime 26.0.0, what Kong OSS 3.9.x
# ships — from ../shared/kong-engine into <target>/kong-engine, and prints the nginx binary's path. Idempotent: the
# engine's build.sh returns at once while its .stamp matches the sources, so a second run reuses the build.
#
#   export KDP_NGX_WASM="$(scripts/setup-kong-engine.sh)"
#
# KDP_KONG_ENGINE_SRC: the engine's sources (default: ../shared/kong-engine next to the workspace).
# The first build takes about 4–5 min on 2 cores and needs what build.sh needs: cargo, crates.io, and root for
# apt-get when a build package is missing. Progress goes to stderr, the binary path alone to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${KDP_KONG_ENGINE_SRC:-$(dirname "$PWD")/shared/kong-engine}
prefix=${CARGO_TARGET_DIR:-$PWD/target}/kong-engine
say() { echo "setup-kong-engine: $*" >&2; }

if [[ ! -f $src/build.sh ]]; then
  say "$src/build.sh not found: Kong's engine sources are missing (set KDP_KONG_ENGINE_SRC)"
  exit 1
fi
bin=$(bash "$src/build.sh" "$prefix" | tail -n 1)
if [[ ! -x $bin ]]; then
  say "build.sh printed '$bin', which is not an executable"
  exit 1
fi
# The version banner, captured first: `nginx -V | grep -q` under pipefail fails at random when grep exits early.
banner=$("$bin" -V 2>&1 || true)
if [[ $banner != *ngx_wasm_module* ]]; then
  say "$bin is not built with ngx_wasm_module"
  exit 1
fi
echo "$bin"
