#!/usr/bin/env python3
"""Envoy side-by-side benchmark driver (see benches/envoy-side-by-side.sh, which sets everything up).

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

Scenarios: rewrite (short host -> long host, prefix stripped), redirect (legacy host -> 308), pass (long host).
Each round runs every case once, interleaved; ratios are paired within a round so machine drift cancels.
Envoy: --concurrency 1, pinned to core 0. wrk (-t1) and the echo upstream: core 1. Everything on 127.0.0.1.
Envoy CPU us/req = delta(utime+stime of the Envoy process, /proc/<pid>/stat) / requests completed.

Environment: ENVOY_BIN, ECHO_BIN, CONFIG_BIN (required); DUR (s, 8), WARM (s, 2), ROUNDS (3), CONNS (8),
CASES ("rewrite:a,b,n,m,c,c2 redirect:b,m,c,c2 pass:a,b,n,m,c,c2"), CHAIN, OUT (directory for raw results and logs),
FILTERS_DIR, MAP, REFERENCE_DIR (the directory of noop.wasm and minimal_rewrite.wasm), ENVOY_CORE (0), LOAD_CORE (1), QUIET_WAIT (s, 20: before each run, wait up to this long for a
1 s window in which the whole machine used under 5% of one core, so runs start when other work pauses).
"""
import atexit
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

SHORT = "dev-01.aliyun.cloud.cn.aibang"
LONG1 = "api01.target-team2.dev.aliyun.cloud.cn.aibang"
LEGACY1 = "api01.source-team1.dev.aliyun.cloud.cn.aibang"

SCENARIOS = {
    # name: (Host, path, {config: (status, upstream Host seen or None for a local reply)})
    "rewrite": (SHORT, "/api01/v1/items?id=7",
                {"a": (200, SHORT), "b": (200, LONG1), "c": (200, LONG1), "c2": (200, LONG1), "n": (200, SHORT),
                 "m": (200, LONG1), "cf": (200, LONG1)}),
    "redirect": (LEGACY1, "/v1/items?id=7",
                 {"a": (200, LEGACY1), "b": (308, None), "c": (308, None), "c2": (308, None), "n": (200, LEGACY1),
                  "m": (308, None), "cf": (308, None)}),
    "pass": (LONG1, "/v1/items?id=7",
             {"a": (200, LONG1), "b": (200, LONG1), "c": (200, LONG1), "c2": (200, LONG1), "n": (200, LONG1),
              "m": (200, LONG1), "cf": (200, LONG1)}),
}

ENV = os.environ
ENVOY = ENV["ENVOY_BIN"]
ECHO = ENV["ECHO_BIN"]
CONFIG = ENV["CONFIG_BIN"]
DUR = int(ENV.get("DUR", "8"))
WARM = int(ENV.get("WARM", "2"))
ROUNDS = int(ENV.get("ROUNDS", "3"))
CONNS = int(ENV.get("CONNS", "8"))
CASES_SPEC = ENV.get("CASES", "rewrite:a,b,n,m,c,c2 redirect:b,m,c,c2 pass:a,b,n,m,c,c2")
CHAIN = ENV.get("CHAIN", "migration_telemetry,short_domain_router,legacy_redirect")
OUT = ENV.get("OUT", "target/envoy-bench")
QUIET_WAIT = float(ENV.get("QUIET_WAIT", "20"))  # s to wait, before each run, for a 1 s window with the machine idle
ENVOY_CORE = ENV.get("ENVOY_CORE", "0")
LOAD_CORE = ENV.get("LOAD_CORE", "1")
LAYOUTS = {"a": "plain", "b": "native", "c": "combined", "c2": "chain:" + CHAIN, "n": "chain:noop",
           "m": "chain:minimal_rewrite", "cf": "combined"}
REFERENCE_DIR = ENV.get("REFERENCE_DIR", "")
REFERENCES = ("n", "m")  # configs whose filter is a benchmark reference, not ours
# More configurations for experiments, e.g. EXTRA_LAYOUTS="r=chain:short_domain_router t=chain:migration_telemetry"
# (any layout kdp-e2e-envoy-config takes); their sanity check only asks for a 2xx or 3xx answer.
for spec in ENV.get("EXTRA_LAYOUTS", "").split():
    k, v = spec.split("=", 1)
    LAYOUTS[k] = v
HARD_LIMIT_S = 45 * 60  # whatever the parameters, the run stops after this

CLK = os.sysconf("SC_CLK_TCK")
STARTED = []  # Popen objects we own; killed at exit


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(cleanup)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda *_: sys.exit(130))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def all_proc_ticks():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    raw = f.read()
                name = raw[raw.index("(") + 1:raw.rindex(")")]
                fields = raw.rsplit(")", 1)[1].split()
                out[int(d)] = (name, int(fields[11]) + int(fields[12]))
            except (OSError, ValueError, IndexError):
                pass
    return out


def cpu_busy():
    """busy ticks per cpu line of /proc/stat (cpu, cpu0, cpu1, ...)"""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu"):
                name, *vals = line.split()
                v = [int(x) for x in vals]
                busy[name] = (sum(v) - v[3] - v[4], sum(v))  # minus idle, iowait
    return busy


def filter_state_args():
    """Config cf: the map with `"telemetry": "filter_state"`, and the access log that prints the record."""
    with open(ENV.get("MAP", "kong/map.json")) as f:
        m = json.load(f)
    m["telemetry"] = "filter_state"
    path = os.path.join(OUT, "map-filter-state.json")
    with open(path, "w") as f:
        json.dump(m, f)
    return ["--map", path, "--access-log", os.path.join(OUT, "access-cf.log")]


def start_envoy(key, upstream_port):
    admin, listen = free_port(), free_port()
    cfg = os.path.join(OUT, f"envoy-{key}.json")
    with open(cfg, "w") as f:
        subprocess.run([CONFIG, "--layout", LAYOUTS[key], "--admin", str(admin), "--listen", str(listen),
                        "--upstream", str(upstream_port)] + EXTRA_CONFIG_ARGS +
                       (["--filters-dir", REFERENCE_DIR] if key in REFERENCES else []) +
                       (filter_state_args() if key == "cf" else []), stdout=f, check=True)
    logpath = os.path.join(OUT, f"envoy-{key}.log")
    logf = open(logpath, "ab")
    p = subprocess.Popen(["taskset", "-c", ENVOY_CORE, ENVOY, "-c", cfg, "--concurrency", "1",
                          "--disable-hot-restart", "-l", "info"],
                         stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
    STARTED.append(p)
    deadline = time.time() + 60
    while time.time() < deadline:
        if p.poll() is not None:
            sys.exit(f"Envoy {key} exited ({p.returncode}); see {logpath}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", admin, timeout=2)
            c.request("GET", "/ready")
            if c.getresponse().status == 200:
                return {"key": key, "proc": p, "admin": admin, "port": listen, "log": logpath}
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"Envoy {key} not ready; see {logpath}")


def check(envoy, scenario):
    host, path, expect = SCENARIOS[scenario]
    if envoy["key"] not in expect:
        c = http.client.HTTPConnection("127.0.0.1", envoy["port"], timeout=5)
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        r.read()
        if not 200 <= r.status < 400:
            sys.exit(f"sanity check failed: {envoy['key']} {scenario}: status {r.status}")
        return
    status, upstream_host = expect[envoy["key"]]
    c = http.client.HTTPConnection("127.0.0.1", envoy["port"], timeout=5)
    c.request("GET", path, headers={"Host": host})
    r = c.getresponse()
    r.read()
    got = (r.status, r.getheader("x-echo-host"))
    if got != (status, upstream_host):
        sys.exit(f"sanity check failed: {envoy['key']} {scenario}: got {got}, want {(status, upstream_host)}")


def telemetry_lines(envoy):
    with open(envoy["log"], "rb") as f:
        n = sum(1 for line in f if b'{"event":"kdp_migrate"' in line)
    os.truncate(envoy["log"], 0)  # opened O_APPEND by Envoy: it goes on writing at the new end
    return n


def counters(envoy):
    """Sum of the filter's requests_total counters in admin /stats (a check that counting works under load)."""
    c = http.client.HTTPConnection("127.0.0.1", envoy["admin"], timeout=5)
    c.request("GET", "/stats?filter=requests_total")
    body = c.getresponse().read().decode()
    return sum(int(line.rsplit(":", 1)[1]) for line in body.splitlines() if ":" in line)


def wrk(envoy, scenario, seconds):
    host, path, _ = SCENARIOS[scenario]
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNS}", f"-d{seconds}s", "--timeout", "5s",
           "--latency", "-H", f"Host: {host}", f"http://127.0.0.1:{envoy['port']}{path}"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    STARTED.append(p)
    out, _ = p.communicate(timeout=seconds + 30)
    return out.decode(errors="replace")


def to_us(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def parse_wrk(out):
    res = {}
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_us"] = to_us(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx_3xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    return res


def wait_quiet():
    """Waits up to QUIET_WAIT s for a 1 s window in which all cores together were busy < 5% of one core."""
    t0 = time.time()
    while True:
        b0 = cpu_busy()["cpu"][0]
        time.sleep(1)
        if cpu_busy()["cpu"][0] - b0 <= CLK * 0.05:
            return True, round(time.time() - t0, 1)
        if time.time() - t0 >= QUIET_WAIT:
            return False, round(time.time() - t0, 1)


def measure(envoy, scenario, upstream_pid, round_no):
    quiet, waited = wait_quiet()
    wrk(envoy, scenario, WARM)
    telemetry_lines(envoy)  # drop the warm-up's lines
    procs0 = all_proc_ticks()
    busy0 = cpu_busy()
    e0 = proc_cpu_ticks(envoy["proc"].pid)
    t0 = time.time()
    out = wrk(envoy, scenario, DUR)
    wall = time.time() - t0
    e1 = proc_cpu_ticks(envoy["proc"].pid)
    busy1 = cpu_busy()
    procs1 = all_proc_ticks()
    res = parse_wrk(out)
    res.update(round=round_no, config=envoy["key"], scenario=scenario, wall_s=round(wall, 2), quiet_start=quiet,
               waited_s=waited)
    envoy_ticks = e1 - e0
    res["envoy_cpu_s"] = envoy_ticks / CLK
    res["envoy_cpu_us_per_req"] = (envoy_ticks / CLK * 1e6 / res["requests"]) if res["requests"] else None
    for cpu in ("cpu0", "cpu1"):
        b0, t0_ = busy0.get(cpu, (0, 0))
        b1, t1_ = busy1.get(cpu, (0, 0))
        res[f"{cpu}_busy"] = round((b1 - b0) / max(1, t1_ - t0_), 3)
    # CPU used by processes that are not ours during the run (contamination).
    ours = {envoy["proc"].pid, upstream_pid}
    ours.update(e["proc"].pid for e in ENVOYS.values())
    foreign = []
    for pid, (name, ticks) in procs1.items():
        before = procs0.get(pid, (name, 0))[1]
        if pid in ours or name == "wrk" or pid == os.getpid():
            continue
        d = ticks - before
        if d > 0:
            foreign.append((d / CLK, name))
    foreign.sort(reverse=True)
    res["other_cpu_s"] = round(sum(d for d, _ in foreign), 2)
    res["other_top"] = [f"{n}:{d:.2f}s" for d, n in foreign[:3]]
    filtered = envoy["key"] not in ("a", "b") + REFERENCES
    res["telemetry_lines"] = telemetry_lines(envoy) if filtered else None
    res["requests_total_counters"] = counters(envoy) if filtered else None
    return res


def summarize(rows):
    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    def rng(xs, fmt):
        xs = [x for x in xs if x is not None]
        return f"{fmt(med(xs))} ({fmt(min(xs))}–{fmt(max(xs))})" if xs else "–"

    i0 = lambda v: f"{v:,.0f}"
    f1 = lambda v: f"{v:.1f}"
    f2 = lambda v: f"{v:.2f}"
    quiet = sum(1 for r in rows if r.get("quiet_start"))
    others = sorted(r["other_cpu_s"] for r in rows)
    lines = [f"Runs: {len(rows)}, {quiet} started on a quiet machine; CPU used by other processes during a {DUR} s run: "
             f"median {med(others):.2f} s, max {others[-1]:.2f} s (wrk and the upstream excluded).", "",
             "| scenario | config | rounds | req/s median (min–max) | p50 µs | p99 µs median (min–max) "
             "| Envoy CPU µs/req median (min–max) | other CPU s/run (max) |",
             "|---|---|---|---|---|---|---|---|"]
    names = {"a": "a plain proxy", "b": "b native routes", "n": "n no-op Wasm filter (floor)",
             "m": "m minimal job filter", "cf": "cf kdp_migrate, record via the access log",
             "c": "c kdp_migrate (combined)", "c2": "c2 chain of separate filters"}
    for scenario in SCENARIOS:
        for key in ["a", "b", "n", "m", "c", "cf", "c2"] + [k for k in LAYOUTS if k not in names]:
            rs = [r for r in rows if r["scenario"] == scenario and r["config"] == key]
            if not rs:
                continue
            lines.append(f"| {scenario} | {names.get(key, key + ' ' + LAYOUTS[key])} | {len(rs)} | {rng([r['rps'] for r in rs], i0)} "
                         f"| {i0(med([r['p50_us'] for r in rs]))} | {rng([r['p99_us'] for r in rs], i0)} "
                         f"| {rng([r['envoy_cpu_us_per_req'] for r in rs], f1)} "
                         f"| {max(r['other_cpu_s'] for r in rs):.2f} |")
    lines += ["", "Paired per round: median (min–max) over rounds.", "",
              "| scenario | ratio | req/s | p50 | p99 | Envoy CPU µs/req delta |", "|---|---|---|---|---|---|"]
    verdicts = []
    for scenario in SCENARIOS:
        extra = [(k, "n") for k in LAYOUTS if k not in names]
        for num, den in [("c", "b"), ("c", "a"), ("c2", "b"), ("c2", "a"), ("b", "a"), ("n", "a"), ("c", "n"),
                         ("m", "b"), ("m", "a"), ("c", "m"), ("cf", "b"), ("cf", "a"), ("cf", "m"),
                         ("cf", "c")] + extra:
            pairs = []
            for rnd in sorted({r["round"] for r in rows}):
                x = [r for r in rows if r["round"] == rnd and r["scenario"] == scenario and r["config"] == num]
                y = [r for r in rows if r["round"] == rnd and r["scenario"] == scenario and r["config"] == den]
                if x and y:
                    pairs.append((x[0], y[0]))
            if not pairs:
                continue

            def ratio(k):
                return [p[k] / q[k] for p, q in pairs if p[k] and q[k]]

            delta = [p["envoy_cpu_us_per_req"] - q["envoy_cpu_us_per_req"] for p, q in pairs
                     if p["envoy_cpu_us_per_req"] is not None and q["envoy_cpu_us_per_req"] is not None]
            sign = lambda v: f"{v:+.1f}"
            lines.append(f"| {scenario} | {num}/{den} | {rng(ratio('rps'), f2)} | {rng(ratio('p50_us'), f2)} "
                         f"| {rng(ratio('p99_us'), f2)} | {rng(delta, sign)} |")
            if num in ("c", "cf", "m") and (den == "b" and scenario in ("rewrite", "redirect") or
                                            den == "a" and scenario == "pass"):
                target = {"rewrite": 0.85, "redirect": 0.75, "pass": None}[scenario]
                if target is not None:
                    m = med(ratio("rps"))
                    verdicts.append(f"{scenario}: {num}/b req/s {m:.2f} (target ≥ {target}) "
                                    f"{'MET' if m >= target else 'NOT MET'}")
                m = med(delta)
                verdicts.append(f"{scenario}: {num}−{den} Envoy CPU {m:+.1f} µs/req (target ≤ +12) "
                                f"{'MET' if m <= 12 else 'NOT MET'}")
    lines += ["", "Targets (medians of the paired rounds):", ""] + [f"- {v}" for v in verdicts]
    return "\n".join(lines)


if __name__ == "__main__":
    started_at = time.time()
    os.makedirs(OUT, exist_ok=True)
    EXTRA_CONFIG_ARGS = []
    if ENV.get("FILTERS_DIR"):
        EXTRA_CONFIG_ARGS += ["--filters-dir", ENV["FILTERS_DIR"]]
    if ENV.get("MAP"):
        EXTRA_CONFIG_ARGS += ["--map", ENV["MAP"]]
    cases = []
    for part in CASES_SPEC.split():
        scenario, keys = part.split(":")
        cases += [(scenario, k) for k in keys.split(",")]
    if any(k in REFERENCES for _, k in cases) and not REFERENCE_DIR:
        sys.exit("configs n and m need REFERENCE_DIR (the directory of noop.wasm and minimal_rewrite.wasm)")
    per_round = len(cases) * (WARM + DUR + 2)
    log(f"{ROUNDS} rounds x {len(cases)} cases x ({WARM}+{DUR}) s: about {ROUNDS * per_round / 60:.1f} min "
        f"(plus up to {QUIET_WAIT:.0f} s per run waiting for a quiet machine)")
    if ROUNDS * (per_round + len(cases) * QUIET_WAIT) > HARD_LIMIT_S:
        sys.exit("refusing: could take longer than the hard limit")

    upstream = subprocess.Popen(["taskset", "-c", LOAD_CORE, ECHO, "0"], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
    STARTED.append(upstream)
    line = upstream.stdout.readline().decode()
    upstream_port = int(line.rsplit(":", 1)[1])
    ENVOYS = {key: start_envoy(key, upstream_port) for key in sorted({k for _, k in cases})}
    for scenario, key in cases:
        check(ENVOYS[key], scenario)
    log("sanity checks passed: " + ", ".join(f"{k}:{s}" for s, k in cases))

    rows = []
    raw = open(os.path.join(OUT, "runs.jsonl"), "w")
    for rnd in range(1, ROUNDS + 1):
        for scenario, key in cases:
            if time.time() - started_at > HARD_LIMIT_S:
                sys.exit("hard time limit reached")
            r = measure(ENVOYS[key], scenario, upstream.pid, rnd)
            rows.append(r)
            raw.write(json.dumps(r) + "\n")
            raw.flush()
            tl = "" if r["telemetry_lines"] is None else f" telemetry_lines={r['telemetry_lines']}"
            log(f"round {rnd} {scenario:8} {key:2}: {r['rps']:9.0f} req/s p50 {r['p50_us']:.0f}us "
                f"p99 {r['p99_us']:.0f}us cpu {r['envoy_cpu_us_per_req']:.1f}us/req "
                f"core0 {r['cpu0_busy']:.0%} core1 {r['cpu1_busy']:.0%} other {r['other_cpu_s']}s "
                f"{r['other_top']} quiet_start={r['quiet_start']} non2xx3xx={r['non_2xx_3xx']} {r['socket_errors']}{tl}")
    print(summarize(rows))
