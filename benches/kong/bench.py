#!/usr/bin/env python3
"""Kong-engine side-by-side benchmark driver (see benches/kong-side-by-side.sh, which sets everything up; the
method shared with Envoy is in benches/side_by_side.py).

Kong 3.9's Wasm engine (nginx 1.25.3 + ngx_wasm_module 9136e46 + Wasmtime 26) laid out as Kong 3.9.3's proxy
location with the routes of kong/kong.yml (e2e/nginx/kong-proxy.conf, rendered by kdp-e2e-kong-config), the seed
map (kong/map.json). Configurations:
  a   no filter: Kong's proxy location alone (layout plain)
  b   no filter, nginx doing the same job (layout native: prefix strip and Kong's upstream variables on the short
      host, `return 308` with Cache-Control on legacy hosts, long hosts pass)
  n   a Wasm filter that does nothing (benches/envoy/noop-filter) on every route: the floor any filter pays in
      this engine, so c - n is what kdp_migrate itself adds (needs REFERENCE_DIR)
  m   the least a filter doing the job asks of this engine (benches/envoy/minimal-filter: the Host header and
      request.path read, four ngx.upstream_* properties written, or one local 308; no map, telemetry or
      counters), so c - m is what kdp_migrate's features cost on top of the job (needs REFERENCE_DIR)
  ml  m plus one info log line per request as long as kdp_migrate's record: ml - m is what the line costs
  c   kdp_migrate alone on every route (layout combined)
  c2  the chains kong/kong-chains.yml attaches per entry (layout routes): short host migration_telemetry +
      short_domain_router; legacy host migration_telemetry + legacy_redirect + host_rewrite; long host
      migration_telemetry
More for experiments with EXTRA_LAYOUTS, e.g. "t=chain:migration_telemetry c4=chain:migration_telemetry,
legacy_redirect,host_rewrite,short_domain_router" (any layout kdp-e2e-kong-config takes); "key=layout@dir" takes
that config's filters from dir, e.g. "c0=combined@target/before/filters" to run an older build side by side.

Scenarios: rewrite (short host, /api01/v1/items?id=7 -> api01's long host, prefix stripped), redirect (legacy
host -> 308), pass (long host). nginx runs one process (`master_process off`, the template's), the worker, pinned
to GATEWAY_CORE, its error log at info (the telemetry lines are written, as Kong at KONG_LOG_LEVEL=info does).
Worker CPU us/req = delta(utime+stime of that process) / requests completed.

Environment: KDP_NGX_WASM, ECHO_BIN, CONFIG_BIN (required); CASES ("rewrite:a,b,n,m,ml,c,c2
redirect:b,n,m,ml,c,c2 pass:a,b,n,m,ml,c,c2"), FILTERS_DIR, MAP, REFERENCE_DIR (the directory of noop.wasm, minimal_rewrite.wasm,
minimal_log.wasm), EXTRA_LAYOUTS, WASMTIME_CACHE (a
directory for Wasmtime's compiled modules, so a run compiles each module once), WASMTIME_FLAGS (e.g. "profiler=
perfmap": Wasmtime config flags for the `wasmtime {}` block, for profiling), and those of benches/side_by_side.py.
"""
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
                {"a": (200, SHORT), "b": (200, LONG1), "n": (200, SHORT), "m": (200, LONG1), "ml": (200, LONG1),
                 "c": (200, LONG1), "c2": (200, LONG1)}),
    "redirect": (LEGACY1, "/v1/items?id=7",
                 {"a": (200, LEGACY1), "b": (308, None), "n": (200, LEGACY1), "m": (308, None), "ml": (308, None),
                  "c": (308, None), "c2": (308, None)}),
    # kdp_migrate writes the long host without the port; kong-chains.yml's long-host chain leaves the Host as sent.
    "pass": (LONG1, "/v1/items?id=7",
             {"a": (200, LONG1), "b": (200, LONG1), "n": (200, LONG1), "m": (200, LONG1), "ml": (200, LONG1),
              "c": (200, LONG1), "c2": (200, LONG1)}),
}

ENV = os.environ
NGINX = ENV["KDP_NGX_WASM"]
ECHO = ENV["ECHO_BIN"]
CONFIG = ENV["CONFIG_BIN"]
CASES_SPEC = ENV.get("CASES", "rewrite:a,b,n,m,ml,c,c2 redirect:b,n,m,ml,c,c2 pass:a,b,n,m,ml,c,c2")
LAYOUTS = {"a": "plain", "b": "native", "n": "chain:noop", "m": "chain:minimal_rewrite", "ml": "chain:minimal_log",
           "c": "combined", "c2": "routes"}
REFERENCE_DIR = ENV.get("REFERENCE_DIR", "")
REFERENCES = ("n", "m", "ml")  # configs whose filter is a benchmark reference, not ours
FILTER_DIRS = {}  # configs whose filters come from another directory (EXTRA_LAYOUTS "key=layout@dir")
for spec in ENV.get("EXTRA_LAYOUTS", "").split():
    k, v = spec.split("=", 1)
    LAYOUTS[k], _, d = v.partition("@")
    if d:
        FILTER_DIRS[k] = d
sbs.same_answers(SCENARIOS, LAYOUTS)
NAMES = {"a": "a Kong's location, no filter", "b": "b nginx doing the job (native)",
         "n": "n do-nothing Wasm filter (floor)", "m": "m minimal job filter", "ml": "ml minimal job filter + log line",
         "c": "c kdp_migrate", "c2": "c2 kong-chains.yml's chains"}
ORDER = ["a", "b", "n", "m", "ml", "c", "c2"]
PAIRS = [("c", "n"), ("c2", "n"), ("c", "b"), ("c2", "b"), ("n", "b"), ("b", "a"), ("n", "a"), ("c", "a"),
         ("c2", "c"), ("m", "n"), ("ml", "n"), ("ml", "m"), ("c", "m"), ("c", "ml"), ("c0", "n"), ("c20", "n"), ("c0", "b"), ("c20", "b"), ("c", "c0"), ("c2", "c20")]


def start_nginx(key, upstream_port):
    filters_dir = REFERENCE_DIR if key in REFERENCES else FILTER_DIRS.get(key, ENV.get("FILTERS_DIR"))
    gateway = gateways.start_kong(key, sbs.OUT, NGINX, CONFIG, LAYOUTS[key], upstream_port, core=sbs.GATEWAY_CORE,
                                  filters_dir=filters_dir, map_path=ENV.get("MAP"),
                                  wasmtime_cache=ENV.get("WASMTIME_CACHE"),
                                  wasmtime_flags=ENV.get("WASMTIME_FLAGS", "").split())
    return gateway, key not in ("a", "b") + REFERENCES, None


def verdicts(rows, single="c", chain="c2"):
    """Issue 12's targets, from the paired medians, for kdp_migrate (`single`) and kong-chains.yml's chains (`chain`):
    what they add over the floor (n) and over nginx doing the job (b)."""
    out = []

    def cpu(scenario, num, den):
        return sbs.med(sbs.deltas(sbs.paired(rows, scenario, num, den)))

    for scenario in ("rewrite", "pass"):
        pairs = sbs.paired(rows, scenario, single, "n")
        if pairs:
            m = sbs.med(sbs.ratios(pairs, "rps"))
            out.append(f"{scenario}: {single}/n req/s {m:.2f} (target ≥ 0.90; kdp_migrate adds "
                       f"{cpu(scenario, single, 'n'):+.1f} µs/req over the floor) {'MET' if m >= 0.90 else 'NOT MET'}")
    redirect, rewrite = cpu("redirect", single, "b"), cpu("rewrite", single, "b")
    if redirect is not None and rewrite is not None:
        out.append(f"redirect: kdp_migrate adds {redirect:+.1f} µs/req over nginx's return 308, a rewrite "
                   f"{rewrite:+.1f} over nginx's rewrite (target: no more) {'MET' if redirect <= rewrite else 'NOT MET'}")
    for scenario in SCENARIOS:
        added, alone = cpu(scenario, chain, "b"), cpu(scenario, single, "b")
        if added is not None and alone:
            ratio = added / alone
            out.append(f"{scenario}: kong-chains.yml's chain ({chain}) adds {added:+.1f} µs/req over nginx doing the job, "
                       f"kdp_migrate ({single}) {alone:+.1f}: {ratio:.2f}× (target ≤ 1.5×) "
                       f"{'MET' if ratio <= 1.5 else 'NOT MET'}")
    return out


if __name__ == "__main__":
    os.makedirs(sbs.OUT, exist_ok=True)
    cases = sbs.parse_cases(CASES_SPEC)
    if any(k in REFERENCES for _, k in cases) and not REFERENCE_DIR:
        sys.exit("configs n, m and ml need REFERENCE_DIR (the directory of the reference filters)")
    upstream, upstream_port = gateways.start_upstream(ECHO, sbs.LOAD_CORE)
    rows = sbs.run(cases, SCENARIOS, lambda key: start_nginx(key, upstream_port), upstream.pid)
    print(sbs.summarize(rows, SCENARIOS, NAMES, ORDER, PAIRS, "worker CPU"))
    print("\nTargets (medians of the paired rounds):\n")
    print("\n".join(f"- {v}" for v in verdicts(rows)))
    if "c0" in LAYOUTS:  # an older build side by side: EXTRA_LAYOUTS="c0=combined@dir c20=routes@dir"
        print("\nThe same for the older build (c0, c20):\n")
        print("\n".join(f"- {v}" for v in verdicts(rows, "c0", "c20")))
