#!/usr/bin/env bash
# Compares revisions of the core (or the same revision with different cargo features) side by side
# in one run, and prints one markdown table:
#   - instructions per operation from `valgrind --tool=callgrind` (benches/examples/decision_loop.rs:
#     two loop lengths, the difference divided by the difference of the counts), repeatable on this
#     shared machine where timings are not;
#   - criterion medians, in interleaved rounds (variant A, B, C, then A, B, C again), best and
#     median of the rounds;
#   - the size of kdp_migrate.wasm (profile `filter`) against the 300 KiB budget.
#
# Usage: benches/compare.sh LABEL=REF[:FEATURES] ...
#   REF       a git revision, or "." for the working tree as it is
#   FEATURES  cargo features of the variant, e.g. kdp-migrate-core/matchit-routing
# Example: the crate alternatives of docs/architecture.md ("Why hand-written routing and URLs"),
# kept at commit b30bfaa behind two features of the core, against the working tree:
#   benches/compare.sh today=. matchit=b30bfaa:kdp-migrate-core/matchit-routing \
#     url=b30bfaa:kdp-migrate-core/url-rewriting
# Environment: ROUNDS (criterion rounds, default 3; 0 skips criterion).
#
# Each revision is exported with `git archive` under target/compare/src/ and built into
# target/compare/build (shared by the variants, so dependencies compile once); every revision runs
# the working tree's decision_loop.rs, which uses only the core's public API.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/compare
rounds=${ROUNDS:-3}
(($# > 0)) || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
command -v valgrind >/dev/null || { echo "error: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
mkdir -p "$work/src" "$work/bin"
rm -rf "$work/criterion" "$work/results"
mkdir -p "$work/criterion" "$work/results"
export CARGO_TARGET_DIR=$work/build

# The executables cargo reports for a build (`--message-format=json`), one per line: kind name path.
executables() {
  python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        print(message["target"]["kind"][0], message["target"]["name"], message["executable"])'
}

labels=()
for spec in "$@"; do
  label=${spec%%=*}
  rest=${spec#*=}
  ref=${rest%%:*}
  features=
  [[ $rest == *:* ]] && features=${rest#*:}
  labels+=("$label")
  if [[ $ref == . ]]; then
    src=$root
  else
    src=$work/src/$label
    rm -rf "$src"
    mkdir -p "$src"
    git archive "$ref" | tar -x -C "$src"
    mkdir -p "$src/benches/examples"
    cp "$root/benches/examples/decision_loop.rs" "$src/benches/examples/decision_loop.rs"
  fi
  feature_args=()
  [[ -n $features ]] && feature_args=(--features "$features")
  echo "== $label: building $ref ${features:+with $features}" >&2
  (
    cd "$src"
    if [[ $ref == . ]]; then
      echo "working tree at $(git -C "$root" rev-parse --short HEAD)"
    else
      git -C "$root" rev-parse --short "$ref"
    fi >"$work/results/$label.rev"
    cargo build --quiet --profile bench -p kdp-migrate-benches --example decision_loop \
      "${feature_args[@]}" --message-format=json | executables >"$work/results/$label.loop"
    cargo bench --quiet --no-run -p kdp-migrate-benches "${feature_args[@]}" \
      --message-format=json | executables >"$work/results/$label.benches"
    cargo build --quiet --profile filter --target wasm32-wasip1 -p kdp-migrate-core -p kdp_migrate \
      "${feature_args[@]}"
    stat -c %s "$CARGO_TARGET_DIR/wasm32-wasip1/filter/kdp_migrate.wasm" >"$work/results/$label.wasm"
  )
  while read -r kind name path; do
    case "$kind $name" in
      "example decision_loop") cp "$path" "$work/bin/$label-loop" ;;
    esac
  done <"$work/results/$label.loop"
  while read -r kind name path; do
    [[ $kind == bench ]] && cp "$path" "$work/bin/$label-$name"
  done <"$work/results/$label.benches"
done

echo "== load before measuring: $(uptime)" >&2
# scenario, shorter count, longer count
scenarios=(
  "short-forward 1000 11000"
  "short-forward-3 1000 11000"
  "short-404 1000 11000"
  "legacy-location 1000 11000"
  "response-rewrite 1000 11000"
  "build-1k 0 4"
  "build-10k 0 2"
)
collected() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'
}
for label in "${labels[@]}"; do
  for scenario in "${scenarios[@]}"; do
    read -r name short long <<<"$scenario"
    echo "== $label: callgrind $name" >&2
    a=$(collected "$work/bin/$label-loop" "$name" "$short")
    b=$(collected "$work/bin/$label-loop" "$name" "$long")
    echo "$name $(((b - a) / (long - short)))" >>"$work/results/$label.ir"
  done
done

for ((round = 1; round <= rounds; round++)); do
  for label in "${labels[@]}"; do
    echo "== round $round: criterion $label" >&2
    export CRITERION_HOME=$work/criterion/$label/$round
    "$work/bin/$label-decision" --bench 'short-domain|Location rendering' >>"$work/results/criterion.log" 2>&1
    "$work/bin/$label-build" --bench '10000 APIs|Set-Cookie' >>"$work/results/criterion.log" 2>&1
  done
done
echo "== load after measuring: $(uptime)" >&2

python3 - "$work" "${labels[@]}" <<'EOF'
import glob, json, os, statistics, sys

work, labels = sys.argv[1], sys.argv[2:]
def read(path):
    with open(path) as f:
        return f.read().strip()

def human(ns):
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"

print("| | " + " | ".join(f"{l} (`{read(f'{work}/results/{l}.rev')}`)" for l in labels) + " |")
print("|---|" + "---|" * len(labels))
irs = {l: dict(line.split() for line in read(f"{work}/results/{l}.ir").splitlines()) for l in labels}
for name in irs[labels[0]]:
    cells = []
    for l in labels:
        ir = int(irs[l][name])
        base = int(irs[labels[0]][name])
        cells.append(f"{ir:,}" + ("" if l == labels[0] else f" ({ir / base:.2f}×)"))
    print(f"| instructions / op, {name} | " + " | ".join(cells) + " |")
medians = {}
for l in labels:
    for path in glob.glob(f"{work}/criterion/{l}/*/*/*/new/estimates.json"):
        bench = json.load(open(path.replace("estimates.json", "benchmark.json")))
        key = f"{bench['group_id']} / {bench['function_id']}"
        medians.setdefault(key, {}).setdefault(l, []).append(json.load(open(path))["median"]["point_estimate"])
for key in sorted(medians):
    cells = []
    for l in labels:
        runs = medians[key].get(l, [])
        cells.append(f"{human(min(runs))} best, {human(statistics.median(runs))} median of {len(runs)}" if runs else "–")
    print(f"| criterion, {key} | " + " | ".join(cells) + " |")
budget = 300 * 1024
cells = []
for l in labels:
    size = int(read(f"{work}/results/{l}.wasm"))
    verdict = "within budget" if size <= budget else f"{size - budget:,} over"
    cells.append(f"{size:,} ({verdict})")
print("| kdp_migrate.wasm bytes (budget 307,200) | " + " | ".join(cells) + " |")
EOF
