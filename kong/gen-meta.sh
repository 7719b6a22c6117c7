#!/usr/bin/env bash
# Regenerates kong/<filter>.meta.json from their single source of truth:
#   kong/config_schema.json  -> "config_schema" of every filter
#   kong/metrics.json        -> "metrics" of the filters with the telemetry role
# The schema-check test `meta_json_files_are_generated_from_config_schema` fails when they drift.
set -euo pipefail
cd "$(dirname "$0")/.."
KDP_REGENERATE_META=1 cargo test --quiet -p kdp-migrate-schema-check --test meta \
  meta_json_files_are_generated_from_config_schema
ls -1 kong/*.meta.json
