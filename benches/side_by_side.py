"""What the side-by-side benchmarks of both engines share (benches/envoy/bench.py, benches/kong/bench.py).

A benchmark is a set of gateway configurations (each one gateway process, started once) and scenarios (one request
each: a Host and a path). Every (scenario, config) case runs once per round, rounds interleaved, so slow drift of
this shared VM hits every config alike; ratios are paired within a round. The gateway is pinned to one core, wrk
and the upstream to the other. The gateway's CPU per request comes from its process's utime + stime
(/proc/<pid>/stat) over the measured run, divided by the requests wrk completed: CPU time, not wall time, so it
does not count the time the gateway waited.

An engine's driver supplies: SCENARIOS {name: (Host, path, {config: (status, upstream Host or None)})}, a start
function (config key) -> (gateways.Gateway, whether it writes telemetry lines, a function returning more figures
of a run), and for the summary the config names, the ratio pairs and its targets. Environment (both engines):
DUR (s, 8), WARM (s, 2), ROUNDS (3), CONNS (8), CASES, OUT, GATEWAY_CORE (0; ENVOY_CORE is its old name),
LOAD_CORE (1), QUIET_WAIT (s, 20: before each run, wait up to this long for a 1 s window in which the whole
machine used under 5% of one core, so runs start when other work pauses).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

from gateways import get, log, own

ENV = os.environ
DUR = int(ENV.get("DUR", "8"))
WARM = int(ENV.get("WARM", "2"))
ROUNDS = int(ENV.get("ROUNDS", "3"))
CONNS = int(ENV.get("CONNS", "8"))
OUT = ENV.get("OUT", "target/side-by-side")
QUIET_WAIT = float(ENV.get("QUIET_WAIT", "20"))
GATEWAY_CORE = ENV.get("GATEWAY_CORE", ENV.get("ENVOY_CORE", "0"))
LOAD_CORE = ENV.get("LOAD_CORE", "1")
HARD_LIMIT_S = 45 * 60  # whatever the parameters, a run stops after this

CLK = os.sysconf("SC_CLK_TCK")


def proc_cpu_ticks(pid):
    """utime + stime of one process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


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
    """(busy, total) ticks per cpu line of /proc/stat (cpu, cpu0, cpu1, ...)."""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu"):
                name, *vals = line.split()
                v = [int(x) for x in vals]
                busy[name] = (sum(v) - v[3] - v[4], sum(v))  # minus idle, iowait
    return busy


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


def same_answers(scenarios, layouts):
    """An extra config with the layout of a config the scenarios know (an older build of it, say) must answer
    as that one does."""
    for key, layout in layouts.items():
        for _, _, expect in scenarios.values():
            known = [k for k in expect if layouts.get(k) == layout]
            if key not in expect and known:
                expect[key] = expect[known[0]]


def check(gateway, scenarios, scenario):
    """The config's answer to the scenario's request, once, before any load: what the driver says it must be."""
    host, path, expect = scenarios[scenario]
    status, headers, _ = get(gateway.port, host, path)
    if gateway.key not in expect:
        if not 200 <= status < 400:
            sys.exit(f"sanity check failed: {gateway.key} {scenario}: status {status}")
        return
    got = (status, headers.get("x-echo-host"))
    if got != expect[gateway.key]:
        sys.exit(f"sanity check failed: {gateway.key} {scenario}: got {got}, want {expect[gateway.key]}")


def wrk(port, host, path, seconds):
    cmd = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNS}", f"-d{seconds}s", "--timeout", "5s",
           "--latency", "-H", f"Host: {host}", f"http://127.0.0.1:{port}{path}"]
    p = own(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
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


def measure(started, scenarios, scenario, round_no, ours):
    """One measured run of one case: warm-up, then DUR s of wrk, the gateway's CPU and the machine's around it."""
    gateway, telemetry, extra = started
    host, path, _ = scenarios[scenario]
    quiet, waited = wait_quiet()
    wrk(gateway.port, host, path, WARM)
    if telemetry:
        gateway.telemetry_lines(truncate=True)  # drop the warm-up's lines
    procs0 = all_proc_ticks()
    busy0 = cpu_busy()
    e0 = proc_cpu_ticks(gateway.pid)
    t0 = time.time()
    out = wrk(gateway.port, host, path, DUR)
    wall = time.time() - t0
    e1 = proc_cpu_ticks(gateway.pid)
    busy1 = cpu_busy()
    procs1 = all_proc_ticks()
    res = parse_wrk(out)
    res.update(round=round_no, config=gateway.key, scenario=scenario, wall_s=round(wall, 2), quiet_start=quiet,
               waited_s=waited)
    ticks = e1 - e0
    res["gateway_cpu_s"] = ticks / CLK
    res["cpu_us_per_req"] = (ticks / CLK * 1e6 / res["requests"]) if res["requests"] else None
    for cpu in ("cpu0", "cpu1"):
        b0, t0_ = busy0.get(cpu, (0, 0))
        b1, t1_ = busy1.get(cpu, (0, 0))
        res[f"{cpu}_busy"] = round((b1 - b0) / max(1, t1_ - t0_), 3)
    # CPU used by processes that are not ours during the run (contamination).
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
    # wrk counts the requests completed in time; those in flight when it stops are logged too (≤ CONNS more).
    res["telemetry_lines"] = gateway.telemetry_lines(truncate=True) if telemetry else None
    if extra:
        res.update(extra())
    return res


def parse_cases(spec):
    cases = []
    for part in spec.split():
        scenario, keys = part.split(":")
        cases += [(scenario, k) for k in keys.split(",")]
    return cases


def run(cases, scenarios, start, upstream_pid):
    """Starts every config of `cases` (start(key) -> (Gateway, telemetry, extra)), checks each case's answer, then
    runs ROUNDS interleaved rounds. Returns the rows (also written to OUT/runs.jsonl)."""
    started_at = time.time()
    per_round = len(cases) * (WARM + DUR + 2)
    log(f"{ROUNDS} rounds x {len(cases)} cases x ({WARM}+{DUR}) s: about {ROUNDS * per_round / 60:.1f} min "
        f"(plus up to {QUIET_WAIT:.0f} s per run waiting for a quiet machine)")
    if ROUNDS * (per_round + len(cases) * QUIET_WAIT) > HARD_LIMIT_S:
        sys.exit("refusing: could take longer than the hard limit")
    gateways = {key: start(key) for key in sorted({k for _, k in cases})}
    for scenario, key in cases:
        check(gateways[key][0], scenarios, scenario)
    log("sanity checks passed: " + ", ".join(f"{k}:{s}" for s, k in cases))
    ours = {upstream_pid} | {g.proc.pid for g, _, _ in gateways.values()} | {g.pid for g, _, _ in gateways.values()}
    rows = []
    with open(os.path.join(OUT, "runs.jsonl"), "w") as raw:
        for rnd in range(1, ROUNDS + 1):
            for scenario, key in cases:
                if time.time() - started_at > HARD_LIMIT_S:
                    sys.exit("hard time limit reached")
                r = measure(gateways[key], scenarios, scenario, rnd, ours)
                rows.append(r)
                raw.write(json.dumps(r) + "\n")
                raw.flush()
                tl = "" if r["telemetry_lines"] is None else f" telemetry_lines={r['telemetry_lines']}"
                log(f"round {rnd} {scenario:8} {key:3}: {r['rps']:9.0f} req/s p50 {r['p50_us'] or 0:.0f}us "
                    f"p99 {r['p99_us'] or 0:.0f}us cpu {r['cpu_us_per_req'] or 0:.1f}us/req "
                    f"core0 {r['cpu0_busy']:.0%} core1 {r['cpu1_busy']:.0%} other {r['other_cpu_s']}s "
                    f"{r['other_top']} quiet_start={r['quiet_start']} non2xx3xx={r['non_2xx_3xx']} "
                    f"{r['socket_errors']}{tl}")
    return rows


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rng(xs, fmt):
    xs = [x for x in xs if x is not None]
    return f"{fmt(med(xs))} ({fmt(min(xs))}–{fmt(max(xs))})" if xs else "–"


def i0(v):
    return f"{v:,.0f}"


def f1(v):
    return f"{v:.1f}"


def f2(v):
    return f"{v:.2f}"


def signed(v):
    return f"{v:+.1f}"


def paired(rows, scenario, num, den):
    """(num row, den row) of each round that has both."""
    pairs = []
    for rnd in sorted({r["round"] for r in rows}):
        x = [r for r in rows if r["round"] == rnd and r["scenario"] == scenario and r["config"] == num]
        y = [r for r in rows if r["round"] == rnd and r["scenario"] == scenario and r["config"] == den]
        if x and y:
            pairs.append((x[0], y[0]))
    return pairs


def ratios(pairs, k):
    return [p[k] / q[k] for p, q in pairs if p[k] and q[k]]


def deltas(pairs):
    return [p["cpu_us_per_req"] - q["cpu_us_per_req"] for p, q in pairs
            if p["cpu_us_per_req"] is not None and q["cpu_us_per_req"] is not None]


def summarize(rows, scenarios, names, order, pairs_wanted, cpu_label):
    """The run's markdown: one row per (scenario, config) and one per wanted ratio (num/den) that has pairs."""
    quiet = sum(1 for r in rows if r.get("quiet_start"))
    others = sorted(r["other_cpu_s"] for r in rows)
    lines = [f"Runs: {len(rows)}, {quiet} started on a quiet machine; CPU used by other processes during a {DUR} s run: "
             f"median {med(others):.2f} s, max {others[-1]:.2f} s (wrk and the upstream excluded).", "",
             f"| scenario | config | rounds | req/s median (min–max) | p50 µs | p99 µs median (min–max) "
             f"| {cpu_label} µs/req median (min–max) | other CPU s/run (max) |",
             "|---|---|---|---|---|---|---|---|"]
    configs = order + sorted({r["config"] for r in rows} - set(order))
    for scenario in scenarios:
        for key in configs:
            rs = [r for r in rows if r["scenario"] == scenario and r["config"] == key]
            if not rs:
                continue
            lines.append(f"| {scenario} | {names.get(key, key)} | {len(rs)} | {rng([r['rps'] for r in rs], i0)} "
                         f"| {i0(med([r['p50_us'] for r in rs]))} | {rng([r['p99_us'] for r in rs], i0)} "
                         f"| {rng([r['cpu_us_per_req'] for r in rs], f1)} "
                         f"| {max(r['other_cpu_s'] for r in rs):.2f} |")
    lines += ["", "Paired per round: median (min–max) over rounds.", "",
              f"| scenario | ratio | req/s | p50 | p99 | {cpu_label} µs/req delta |", "|---|---|---|---|---|---|"]
    for scenario in scenarios:
        for num, den in pairs_wanted:
            pairs = paired(rows, scenario, num, den)
            if pairs:
                lines.append(f"| {scenario} | {num}/{den} | {rng(ratios(pairs, 'rps'), f2)} "
                             f"| {rng(ratios(pairs, 'p50_us'), f2)} | {rng(ratios(pairs, 'p99_us'), f2)} "
                             f"| {rng(deltas(pairs), signed)} |")
    return "\n".join(lines)
