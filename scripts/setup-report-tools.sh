#!/usr/bin/env bash
# Installs what the report's tests need besides Rust, on a fresh Debian (bookworm) machine, as root:
#   - Chromium (Debian package `chromium`), which renders the HTML report headless (cli/tests/report_html.rs);
#   - promtool, taken from Debian's `prometheus` package without installing it (no service is set up or started):
#     `apt-get download` and `dpkg-deb -x` into target/tools/prometheus/ (cli/tests/report_monitoring.rs).
# Idempotent: a second run only checks. Prints the two binaries' paths.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup-report-tools: $*" >&2; }
updated=
apt_update() {
  [[ -n $updated ]] && return
  apt-get update -qq >&2
  updated=1
}

if ! command -v chromium >/dev/null; then
  say "installing chromium (apt-get)"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

tools=$PWD/target/tools
promtool=$tools/prometheus/usr/bin/promtool
if [[ ! -x $promtool ]]; then
  say "extracting promtool from Debian's prometheus package"
  apt_update
  mkdir -p "$tools/download"
  (cd "$tools/download" && rm -f prometheus_*.deb && apt-get download -qq prometheus >&2)
  rm -rf "$tools/prometheus"
  dpkg-deb -x "$tools"/download/prometheus_*.deb "$tools/prometheus"
  # Only promtool is needed: drop the server binary and the rest.
  find "$tools/prometheus" -type f ! -name promtool -delete
  rm -rf "$tools/download"
fi
"$promtool" --version >/dev/null
command -v chromium
echo "$promtool"
