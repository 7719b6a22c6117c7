#!/usr/bin/env python3
"""The soak (issue 12, item 5; run by benches/soak.sh, which sets everything up): REQUESTS mixed requests
(benches/soak/traffic.py: every entry and outcome of the seed map, odd headers and paths, bodies) through each
engine with its shipped layout, over HTTP/1.1 keep-alive connections and fresh ones (`Connection: close`), from
CONNS client threads. Checks correctness properties only, never timings:

- every answer is the one its request kind must get (status, and Location / what the upstream saw where given);
  so no 5xx (none of the kinds may get one: a 5xx can only come from a filter or the gateway) and no transport
  error;
- no worker crash or restart: the process serving requests (nginx's one worker under a master, as Kong runs it;
  Envoy) is the same at the end, and its log has no crash, trap or panic line;
- telemetry lines = requests that reach a filter, checked at every checkpoint, and their (entry, action) tally is
  exactly the one the mix must produce;
- memory flat: at every checkpoint (every REQUESTS/10 requests, the load paused), the worker's RSS and the Wasm
  instances' linear memories (size and resident pages, from /proc/<pid>/smaps); from the first checkpoint to
  the last, every linear memory's size must not grow at all and the RSS by at most RSS_SLACK_KIB (see below).

Why these bounds: after the first checkpoint every kind has been sent hundreds of times (thousands in the long
run), so the filters' allocator has met every request shape and its high-water mark; a filter that keeps anything
per request grows its linear memory by whole 64 KiB pages, which the size shows exactly. The worker's RSS also
moves with what nginx's or Envoy's allocators keep cached between checkpoints (connection buffers, log buffers),
which is not a leak; RSS_SLACK_KIB (default 4096) bounds it: a leak of only 8 bytes per request over the 900k
requests after the first checkpoint of the long run, or 90 bytes per request over the 45k of the CI run, exceeds it.

Environment: KDP_NGX_WASM, ENVOY_BIN, ECHO_BIN, KONG_CONFIG_BIN, ENVOY_CONFIG_BIN; SETUPS (default
"kong:combined envoy:combined", the shipped layouts: kdp_migrate alone (kong/kong.yml, envoy/envoy.yaml); any
layout kdp-e2e-kong-config / kdp-e2e-envoy-config takes), REQUESTS (1000000 per setup), CONNS (8), FRESH (percent
of requests on a fresh connection, 10), SEED (1), FILTERS_DIR, MAP, OUT, RSS_SLACK_KIB (4096), WASMTIME_CACHE.
Exit status 0 when every check holds in every setup; the report goes to stdout (markdown).
"""
import json
import os
import random
import re
import socket
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gateways  # noqa: E402
from gateways import log  # noqa: E402
from traffic import KINDS  # noqa: E402

ENV = os.environ
REQUESTS = int(ENV.get("REQUESTS", "1000000"))
CONNS = int(ENV.get("CONNS", "8"))
FRESH = float(ENV.get("FRESH", "10")) / 100
SEED = int(ENV.get("SEED", "1"))
OUT = ENV.get("OUT", "target/soak")
RSS_SLACK_KIB = int(ENV.get("RSS_SLACK_KIB", "4096"))
SETUPS = ENV.get("SETUPS", "kong:combined envoy:combined").split()
CHECKPOINTS = 10
# Lines that mean a crash, a trap or a panic in the gateway's log.
TROUBLE = re.compile(rb"exited on signal|exited with fatal code|exited with code [1-9]|Caught Segmentation|Caught Aborted|"
                     rb"panicked at|wasm trap|\[crit\]|\[alert\]|\[emerg\]|\[critical\]|Uncaught|unreachable")


class Failures:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.examples = []

    def add(self, text):
        with self.lock:
            self.count += 1
            if len(self.examples) < 10:
                self.examples.append(text)


def read_response(sock, buf, head_only):
    """One response from `sock` (leftover bytes in `buf`): (status, headers {lowercase name: [values]}, body,
    whether the connection stays open)."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed before a response")
        buf += data
    head = bytes(buf[:end]).split(b"\r\n")
    del buf[:end + 4]
    status = int(head[0].split(b" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower().decode("latin-1"), []).append(value.strip().decode("latin-1"))
    keep = headers.get("connection", [""])[-1].lower() != "close"

    def need(n):
        while len(buf) < n:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed inside a body")
            buf.extend(data)

    if head_only or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", [""])[-1].lower():
        body = bytearray()
        while True:
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            line_end = buf.index(b"\r\n")
            size = int(bytes(buf[:line_end]).split(b";")[0], 16)
            del buf[:line_end + 2]
            need(size + 2)
            body += buf[:size]
            del buf[:size + 2]
            if size == 0:
                break
    elif "content-length" in headers:
        n = int(headers["content-length"][-1])
        need(n)
        body = bytes(buf[:n])
        del buf[:n]
    else:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf.extend(data)
        body, keep = bytes(buf), False
        buf.clear()
    return status, headers, body, keep


def check_answer(kind, expect, status, headers):
    """What is wrong with an answer, or None."""
    if status != expect.status:
        return f"status {status}, want {expect.status}"
    if expect.location is not None and headers.get("location") != [expect.location]:
        return f"location {headers.get('location')}, want {expect.location}"
    if expect.upstream_host is not None and headers.get("x-echo-host") != [expect.upstream_host]:
        return f"upstream host {headers.get('x-echo-host')}, want {expect.upstream_host}"
    if expect.upstream_path is not None and headers.get("x-echo-path") != [expect.upstream_path]:
        return f"upstream path {headers.get('x-echo-path')}, want {expect.upstream_path}"
    return None


def client(port, engine, plan, failures, tallies):
    """Sends `plan` (a list of (kind, fresh connection)) over one keep-alive connection, reopening it when the
    gateway closes it, and a new connection for each fresh request. Tallies statuses and expected records."""
    sock, buf = None, bytearray()
    for kind, fresh in plan:
        expect = kind.expect[engine]
        try:
            if fresh or sock is None:
                if fresh and sock is not None:
                    sock.close()
                    sock = None
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                if not fresh:
                    sock, buf = conn, bytearray()
            else:
                conn = sock
            conn.sendall(kind.request(close=fresh))
            status, headers, _, keep = read_response(conn, buf if conn is sock else bytearray(),
                                                     kind.method == "HEAD")
            if fresh:
                conn.close()
            elif not keep:
                sock.close()
                sock = None
        except (OSError, ValueError, IndexError) as e:
            failures.add(f"{kind.name}: {type(e).__name__}: {e}")
            tallies["transport errors"] += 1
            if sock is not None:
                sock.close()
            sock = None
            continue
        tallies[("status", status)] += 1
        if expect.record is not None:
            tallies[("record",) + expect.record] += 1
        wrong = check_answer(kind, expect, status, headers)
        if wrong:
            failures.add(f"{kind.name} ({kind.method} {kind.host} {kind.target[:80]}): {wrong}")
    if sock is not None:
        sock.close()


class LogReader:
    """Reads the telemetry records a gateway appends to its log, from where the last read stopped."""

    def __init__(self, path):
        self.path, self.offset = path, 0
        self.decoder = json.JSONDecoder()

    def records(self, truncate=False):
        """The records (entry, action) and trouble lines since the last call. With `truncate` (only while no
        request is in flight, all of them recorded) the log is emptied afterwards: a million records would take
        most of a gigabyte."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # whole lines only
        self.offset += end
        if truncate:
            os.truncate(self.path, 0)
            self.offset = 0
        out, trouble = [], []
        for line in data[:end].split(b"\n"):
            at = line.find(gateways.TELEMETRY)
            if at >= 0:
                try:
                    record, _ = self.decoder.raw_decode(line[at:].decode("utf-8", "replace"))
                    out.append((record.get("entry"), record.get("action")))
                except ValueError:
                    out.append(("unparsable", None))
            elif TROUBLE.search(line):
                trouble.append(line[:300].decode("utf-8", "replace"))
        return out, trouble


def memory(gateway):
    return gateways.rss_kib(gateway.pid), gateways.linear_memories(gateway.pid)


def soak(engine, layout, upstream_port, report):
    key = f"{engine}-{layout.replace(':', '-').replace(',', '+')}"
    if engine == "kong":
        gateway = gateways.start_kong(key, OUT, ENV["KDP_NGX_WASM"], ENV["KONG_CONFIG_BIN"], layout, upstream_port,
                                      filters_dir=ENV.get("FILTERS_DIR"), map_path=ENV.get("MAP"),
                                      wasmtime_cache=ENV.get("WASMTIME_CACHE"), master=True)
    else:
        args = (["--filters-dir", ENV["FILTERS_DIR"]] if ENV.get("FILTERS_DIR") else []) + \
            (["--map", ENV["MAP"]] if ENV.get("MAP") else [])
        gateway = gateways.start_envoy(key, OUT, ENV["ENVOY_BIN"], ENV["ENVOY_CONFIG_BIN"], layout, upstream_port,
                                       extra_args=args)
    worker = gateway.pid
    reader = LogReader(gateway.log)
    reader.records()  # start-up lines
    rng = random.Random(SEED)
    weights = [k.weight for k in KINDS]
    failures, tallies, records = Failures(), Counter(), Counter()
    samples, trouble, line_gaps = [], [], []
    sent = 0
    started = time.time()
    per_checkpoint = REQUESTS // CHECKPOINTS
    log(f"soak {key}: {REQUESTS} requests, {CONNS} connections, {FRESH:.0%} on fresh connections; worker {worker}")
    for checkpoint in range(1, CHECKPOINTS + 1):
        n = per_checkpoint if checkpoint < CHECKPOINTS else REQUESTS - sent
        plans = [[] for _ in range(CONNS)]
        for i in range(n):
            plans[i % CONNS].append((rng.choices(KINDS, weights)[0], rng.random() < FRESH))
        part_tallies = [Counter() for _ in range(CONNS)]
        threads = [threading.Thread(target=client, args=(gateway.port, engine, plans[i], failures, part_tallies[i]))
                   for i in range(CONNS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for t in part_tallies:
            tallies.update(t)
        sent += n
        # The load is paused: every record of these requests is written once the log stops growing.
        expected_records = sum(v for k, v in tallies.items() if isinstance(k, tuple) and k[0] == "record")
        deadline = time.time() + 30
        while True:
            got, bad = reader.records()
            records.update(got)
            trouble += bad
            if sum(records.values()) >= expected_records or time.time() > deadline:
                break
            time.sleep(0.2)
        time.sleep(0.2)  # a record more than expected would come now
        got, bad = reader.records(truncate=True)
        records.update(got)
        trouble += bad
        line_gaps.append(sum(records.values()) - expected_records)
        alive = gateway.proc.poll() is None and os.path.exists(f"/proc/{worker}")
        rss, linear = memory(gateway) if alive else (None, [])
        samples.append((sent, rss, linear))
        log(f"  {sent:>8} requests ({time.time() - started:.0f} s): worker RSS {rss} KiB, linear memories "
            f"{[size for size, _ in linear]} KiB (resident {[r for _, r in linear]}), records "
            f"{sum(records.values())} / {expected_records}, failures {failures.count}")
        if not alive:
            break
    # The process serving requests is still the one that started (nginx's master would have forked a new worker).
    same_worker = gateway.proc.poll() is None and (engine != "kong" or gateways.children(gateway.proc.pid) == [worker])
    gateway.stop()
    got, bad = reader.records()
    records.update(got)
    trouble += bad

    expected = Counter({k[1:]: v for k, v in tallies.items() if isinstance(k, tuple) and k[0] == "record"})
    statuses = Counter({k[1]: v for k, v in tallies.items() if isinstance(k, tuple) and k[0] == "status"})
    fivexx = sum(v for s, v in statuses.items() if s >= 500)
    first, last = samples[0], samples[-1]
    rss_growth = (last[1] - first[1]) if first[1] is not None and last[1] is not None else None
    linear_same = [size for size, _ in first[2]] == [size for size, _ in last[2]] and bool(first[2])
    checks = [
        ("every answer as expected (status, Location, upstream Host and path)", failures.count == 0,
         f"{failures.count} wrong" + (": " + "; ".join(failures.examples) if failures.examples else "")),
        ("no 5xx", fivexx == 0, f"{fivexx} 5xx"),
        ("no transport error", tallies["transport errors"] == 0, f"{tallies['transport errors']}"),
        ("no worker crash or restart (same worker, no crash/trap/panic line)", same_worker and not trouble,
         f"worker {worker} {'still serving' if same_worker else 'GONE or replaced'}; {len(trouble)} trouble lines"
         + (": " + " | ".join(trouble[:3]) if trouble else "")),
        ("telemetry lines = requests that reach a filter, at every checkpoint",
         all(g == 0 for g in line_gaps) and records == expected,
         f"{sum(records.values())} lines for {sum(expected.values())} requests; gaps per checkpoint {line_gaps}"),
        ("linear memory size flat from the first checkpoint to the last", linear_same,
         f"{[s for s, _ in first[2]]} → {[s for s, _ in last[2]]} KiB"),
        (f"worker RSS growth ≤ {RSS_SLACK_KIB} KiB from the first checkpoint to the last",
         rss_growth is not None and rss_growth <= RSS_SLACK_KIB, f"{first[1]} → {last[1]} KiB ({rss_growth:+} KiB)"
         if rss_growth is not None else "not measured"),
    ]
    ok = all(c[1] for c in checks)
    lines = [f"### {engine}, layout `{layout}`: {'PASS' if ok else 'FAIL'}", "",
             f"{sent:,} requests in {time.time() - started:.0f} s ({CONNS} connections, {FRESH:.0%} fresh), "
             f"statuses {dict(sorted(statuses.items()))}.", "",
             "| check | result | figures |", "|---|---|---|"]
    lines += [f"| {name} | {'ok' if good else '**FAILED**'} | {detail} |" for name, good, detail in checks]
    lines += ["", "| requests | worker RSS KiB | linear memories KiB (resident) |", "|---|---|---|"]
    lines += [f"| {n:,} | {rss} | {', '.join(f'{s} ({r})' for s, r in linear)} |" for n, rss, linear in samples]
    lines += ["", "Records by (entry, action): " + ", ".join(f"{e}/{a} {v:,}" for (e, a), v in sorted(records.items(),
                                                                                                   key=str)), ""]
    report.append("\n".join(lines))
    return ok


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    upstream, upstream_port = gateways.start_upstream(ENV["ECHO_BIN"])
    report = [f"## Soak: {REQUESTS:,} requests per setup", "",
              f"Mix: {len(KINDS)} request kinds (benches/soak/traffic.py), seed {SEED}."]
    results = []
    for setup in SETUPS:
        engine, layout = setup.split(":", 1)
        if engine not in ("kong", "envoy"):
            sys.exit(f"SETUPS: {setup}: engine kong or envoy")
        results.append(soak(engine, layout, upstream_port, report))
    print("\n\n".join(report))
    sys.exit(0 if all(results) else 1)
