# Sourced by benches/envoy-side-by-side.sh and benches/kong-side-by-side.sh (from the workspace root): what both
# side-by-side benchmarks set up before their driver runs. Installs wrk (apt-get) when missing, builds the filters
# (scripts/build-filters.sh) when dist/kong-filters lacks one, the e2e crate's echo upstream and config renderers
# (release), and the reference filters (benches/envoy/noop-filter, the floor; benches/envoy/minimal-filter, the
# job alone, also with a log line as minimal_log.wasm), each its own small workspace with the shipped filters'
# profile. Then snapshots the filters into $OUT/filters (a
# rebuild during the run must not change what is measured) with their sha256.
#
# In:  OUT (the results directory; set by the caller).
# Out: ECHO_BIN, ENVOY_CONFIG_BIN, KONG_CONFIG_BIN, REFERENCE_DIR, FILTERS_DIR (exported).

if [[ "$(nproc)" -lt 2 ]]; then echo "side-by-side: needs at least 2 cores" >&2; exit 1; fi
if ! command -v wrk >/dev/null; then
  echo "side-by-side: installing wrk (apt-get)" >&2
  if [[ "$(id -u)" -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >&2
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >&2; fi
fi
filters="${KDP_FILTERS_DIR:-$PWD/dist/kong-filters}"
for f in kdp_migrate migration_telemetry short_domain_router legacy_redirect host_rewrite; do
  if [[ ! -f "$filters/$f.wasm" ]]; then scripts/build-filters.sh; break; fi
done
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet --release -p kdp-migrate-e2e --bin kdp-e2e-echo --bin kdp-e2e-envoy-config \
  --bin kdp-e2e-kong-config
export REFERENCE_DIR="$target_dir/side-by-side-references"
mkdir -p "$REFERENCE_DIR"
# name:crate:folder[:features]
for reference in noop:noop:noop-filter minimal_rewrite:minimal_rewrite:minimal-filter \
    minimal_log:minimal_rewrite:minimal-filter:log-line; do
  IFS=: read -r name crate dir features <<< "$reference"
  cargo build --quiet --release --target wasm32-wasip1 --manifest-path "benches/envoy/$dir/Cargo.toml" \
    --target-dir "$target_dir/envoy-bench-$dir${features:+-$features}" ${features:+--features "$features"}
  cp "$target_dir/envoy-bench-$dir${features:+-$features}/wasm32-wasip1/release/$crate.wasm" "$REFERENCE_DIR/$name.wasm"
done
export ECHO_BIN="$target_dir/release/kdp-e2e-echo"
export ENVOY_CONFIG_BIN="$target_dir/release/kdp-e2e-envoy-config"
export KONG_CONFIG_BIN="$target_dir/release/kdp-e2e-kong-config"
mkdir -p "$OUT/filters"
cp "$filters"/*.wasm "$OUT/filters/"
(cd "$OUT/filters" && sha256sum *.wasm > ../filters.sha256)
export FILTERS_DIR="$OUT/filters"
