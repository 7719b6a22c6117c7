#!/usr/bin/env python3
"""Envoy side-by-side benchmark driver (see benches/envoy-side-by-side.sh, which sets everything up; the method
shared with Kong's engine is in benches/side_by_side.py).

Configurations, all rendered from envoy/envoy.yaml by kdp-e2e-envoy-config with the seed map (kong/map.json):
  a   Envoy plain proxy (no filter)
  b   Envoy-native routes doing the same job (prefix_rewrite + host_rewrite_literal, redirect route)
  c   Envoy + the combined kdp_migrate filter, as a user deploys it (routing + telemetry, FAIL_CLOSED, V8)
  c2  Envoy + the chain of separate filters (CHAIN, default migration_telemetry,short_domain_router,legacy_redirect)
  n   Envoy + a Wasm filter that does nothing (benches/envoy/noop-filter): the floor any Wasm filter pays, so
      c - n is what kdp_migrate itself adds (needs REFERENCE_DIR)
  cf  c with the telemetry record written by Envoy's access log (`"telemetry": "filter_state"` in the map and
      envoy/access-log.yaml's access log, to a file in OUT) instead of a line per request in Envoy's own log
  m   Envoy + the least a Wasm filter doing the job asks of Envoy (benches/envoy/minimal-filter: two reads, four
      header writes or one redirect; no map, telemetry or counters), so c - m is what kdp_migrate's features
      cost on top of the job (needs REFERENCE_DIR)
  ml  m plus one info log line per request as long as kdp_migrate's record (ml - m: what the line costs)

Scenarios: rewrite (short host -> long host, prefix stripped), redirect (legacy host -> 308), pass (long host).
Envoy: --concurrency 1, pinned to GATEWAY_CORE, `-l info` (the telemetry lines are written).
Envoy CPU us/req = delta(utime+stime of the Envoy process, /proc/<pid>/stat) / requests completed.

Environment: ENVOY_BIN, ECHO_BIN, CONFIG_BIN (required); CASES ("rewrite:a,b,n,m,c,c2 redirect:b,m,c,c2
pass:a,b,n,m,c,c2"), CHAIN, FILTERS_DIR, MAP, REFERENCE_DIR (the directory of noop.wasm, minimal_rewrite.wasm and minimal_log.wasm),
EXTRA_LAYOUTS, and those of benches/side_by_side.py (DUR, WARM, ROUNDS, CONNS, OUT, GATEWAY_CORE, LOAD_CORE,
QUIET_WAIT).
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gateways  # noqa: E402
import side_by_side as sbs  # noqa: E402

SHORT = "dev-01.aliyun.cloud.cn.aibang"
LONG1 = "api01.target-team2.dev.aliyun.cloud.cn.aibang"
LEGACY1 = "api01.source-team1.dev.aliyun.cloud.cn.aibang"

SCENARIOS = {
    # name: (Host, path, {config: (status, upstream Host seen or None for a local reply)})
    "rewrite": (SHORT, "/api01/v1/items?id=7",
                {"a": (200, SHORT), "b": (200, LONG1), "c": (200, LONG1), "c2": (200, LONG1), "n": (200, SHORT),
                 "m": (200, LONG1), "ml": (200, LONG1), "cf": (200, LONG1)}),
    "redirect": (LEGACY1, "/v1/items?id=7",
                 {"a": (200, LEGACY1), "b": (308, None), "c": (308, None), "c2": (308, None), "n": (200, LEGACY1),
                  "m": (308, None), "ml": (308, None), "cf": (308, None)}),
    "pass": (LONG1, "/v1/items?id=7",
             {"a": (200, LONG1), "b": (200, LONG1), "c": (200, LONG1), "c2": (200, LONG1), "n": (200, LONG1),
              "m": (200, LONG1), "ml": (200, LONG1), "cf": (200, LONG1)}),
}

ENV = os.environ
ENVOY = ENV["ENVOY_BIN"]
ECHO = ENV["ECHO_BIN"]
CONFIG = ENV["CONFIG_BIN"]
CASES_SPEC = ENV.get("CASES", "rewrite:a,b,n,m,c,c2 redirect:b,m,c,c2 pass:a,b,n,m,c,c2")
CHAIN = ENV.get("CHAIN", "migration_telemetry,short_domain_router,legacy_redirect")
LAYOUTS = {"a": "plain", "b": "native", "c": "combined", "c2": "chain:" + CHAIN, "n": "chain:noop",
           "m": "chain:minimal_rewrite", "ml": "chain:minimal_log", "cf": "combined"}
REFERENCE_DIR = ENV.get("REFERENCE_DIR", "")
REFERENCES = ("n", "m", "ml")  # configs whose filter is a benchmark reference, not ours
# More configurations for experiments, e.g. EXTRA_LAYOUTS="r=chain:short_domain_router t=chain:migration_telemetry"
# (any layout kdp-e2e-envoy-config takes); their sanity check only asks for a 2xx or 3xx answer.
# "key=layout@dir" takes that config's filters from dir (an older build side by side).
FILTER_DIRS = {}
for spec in ENV.get("EXTRA_LAYOUTS", "").split():
    k, v = spec.split("=", 1)
    LAYOUTS[k], _, d = v.partition("@")
    if d:
        FILTER_DIRS[k] = d
sbs.same_answers(SCENARIOS, LAYOUTS)
NAMES = {"a": "a plain proxy", "b": "b native routes", "n": "n no-op Wasm filter (floor)",
         "m": "m minimal job filter", "ml": "ml minimal job filter + a log line",
         "cf": "cf kdp_migrate, record via the access log",
         "c": "c kdp_migrate (combined)", "c2": "c2 chain of separate filters"}
ORDER = ["a", "b", "n", "m", "ml", "c", "cf", "c2"]
PAIRS = [("c", "b"), ("c", "a"), ("c2", "b"), ("c2", "a"), ("b", "a"), ("n", "a"), ("c", "n"), ("c2", "n"),
         ("m", "b"), ("m", "a"), ("c", "m"), ("cf", "b"), ("cf", "a"), ("cf", "m"), ("cf", "c"), ("cf", "n"),
         ("c0", "n"), ("c0", "b"), ("c", "c0"), ("m", "n"), ("ml", "n"), ("ml", "m"), ("c", "ml")]


def filter_state_args():
    """Config cf: the map with `"telemetry": "filter_state"`, and the access log that prints the record."""
    with open(ENV.get("MAP", "kong/map.json")) as f:
        m = json.load(f)
    m["telemetry"] = "filter_state"
    path = os.path.join(sbs.OUT, "map-filter-state.json")
    with open(path, "w") as f:
        json.dump(m, f)
    return ["--map", path, "--access-log", os.path.join(sbs.OUT, "access-cf.log")]


def counters(admin):
    """Sum of the filter's requests_total counters in admin /stats (a check that counting works under load)."""
    c = http.client.HTTPConnection("127.0.0.1", admin, timeout=5)
    c.request("GET", "/stats?filter=requests_total")
    body = c.getresponse().read().decode()
    return sum(int(line.rsplit(":", 1)[1]) for line in body.splitlines() if ":" in line)


def start_envoy(key, upstream_port, extra_config_args):
    args = list(extra_config_args) + (["--filters-dir", REFERENCE_DIR] if key in REFERENCES else []) + \
        (["--filters-dir", FILTER_DIRS[key]] if key in FILTER_DIRS else []) + \
        (filter_state_args() if key == "cf" else [])
    gateway = gateways.start_envoy(key, sbs.OUT, ENVOY, CONFIG, LAYOUTS[key], upstream_port,
                                   core=sbs.GATEWAY_CORE, extra_args=args)
    filtered = key not in ("a", "b") + REFERENCES
    return gateway, filtered, (lambda: {"requests_total_counters": counters(gateway.admin)}) if filtered else None


def verdicts(rows):
    """The targets: issue 4's against the native routes (b, or plain Envoy for pass-through), and issue 12's
    against the do-nothing filter (n). c0: an older build of c (EXTRA_LAYOUTS="c0=combined@dir")."""
    out = []
    for scenario in SCENARIOS:
        for num in ("c", "c0", "cf", "m"):
            den = "a" if scenario == "pass" else "b"
            pairs = sbs.paired(rows, scenario, num, den)
            target = {"rewrite": 0.85, "redirect": 0.75}.get(scenario)
            if pairs and target is not None:
                m = sbs.med(sbs.ratios(pairs, "rps"))
                out.append(f"{scenario}: {num}/{den} req/s {m:.2f} (target ≥ {target}) "
                           f"{'MET' if m >= target else 'NOT MET'}")
            if pairs:
                m = sbs.med(sbs.deltas(pairs))
                out.append(f"{scenario}: {num}−{den} Envoy CPU {m:+.1f} µs/req (target ≤ +12) "
                           f"{'MET' if m <= 12 else 'NOT MET'}")
            pairs = sbs.paired(rows, scenario, num, "n")
            if pairs and num != "m" and scenario != "redirect":
                m = sbs.med(sbs.ratios(pairs, "rps"))
                out.append(f"{scenario}: {num}/n req/s {m:.2f} (target ≥ 0.85, issue 12) "
                           f"{'MET' if m >= 0.85 else 'NOT MET'}")
    return out


if __name__ == "__main__":
    os.makedirs(sbs.OUT, exist_ok=True)
    extra_args = []
    if ENV.get("FILTERS_DIR"):
        extra_args += ["--filters-dir", ENV["FILTERS_DIR"]]
    if ENV.get("MAP"):
        extra_args += ["--map", ENV["MAP"]]
    cases = sbs.parse_cases(CASES_SPEC)
    if any(k in REFERENCES for _, k in cases) and not REFERENCE_DIR:
        sys.exit("configs n and m need REFERENCE_DIR (the directory of noop.wasm, minimal_rewrite.wasm and minimal_log.wasm)")
    upstream, upstream_port = gateways.start_upstream(ECHO, sbs.LOAD_CORE)
    rows = sbs.run(cases, SCENARIOS, lambda key: start_envoy(key, upstream_port, extra_args), upstream.pid)
    print(sbs.summarize(rows, SCENARIOS, NAMES, ORDER, PAIRS, "Envoy CPU"))
    print("\nTargets (medians of the paired rounds):\n")
    print("\n".join(f"- {v}" for v in verdicts(rows)))
