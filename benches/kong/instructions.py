#!/usr/bin/env python3
"""Instructions per request in Kong's engine, counted by callgrind: a figure that does not move with this VM's load
(benches/kong/RESULTS.md uses it next to the side-by-side). User-space instructions only: the kernel's share (the
sockets, the error-log write) is not in it, and an instruction is not a fixed time; use it to see what the filters
do per request and to compare revisions, the side-by-side for what a request costs.

Each config runs nginx (one process) under `valgrind --tool=callgrind`; per scenario, WARM requests on one
keep-alive connection, then counters zeroed, N requests, a dump: instructions / N. With PROFILE=1 the dumps are
kept in OUT for callgrind_annotate.

  KDP_NGX_WASM=... CONFIG_BIN=... ECHO_BIN=... REFERENCE_DIR=... python3 benches/kong/instructions.py

Environment: LAYOUTS ("a=plain b=native n=chain:noop m=chain:minimal_rewrite ml=chain:minimal_log c=combined
c2=routes": key=layout of kdp-e2e-kong-config; the reference filters come from REFERENCE_DIR), SCENARIOS ("rewrite redirect pass"), N (1000), WARM (200), FILTERS_DIR,
OUT (target/kong-instructions/<time>), PROFILE.
"""
import glob
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gateways  # noqa: E402
from gateways import log  # noqa: E402

SCENARIOS = {
    "rewrite": ("dev-01.aliyun.cloud.cn.aibang", "/api01/v1/items?id=7"),
    "redirect": ("api01.source-team1.dev.aliyun.cloud.cn.aibang", "/v1/items?id=7"),
    "pass": ("api01.target-team2.dev.aliyun.cloud.cn.aibang", "/v1/items?id=7"),
}
ENV = os.environ
LAYOUTS = dict(spec.split("=", 1) for spec in
               ENV.get("LAYOUTS", "a=plain b=native n=chain:noop m=chain:minimal_rewrite ml=chain:minimal_log "
                       "c=combined c2=routes").split())
WANTED = ENV.get("SCENARIOS", "rewrite redirect pass").split()
N = int(ENV.get("N", "1000"))
WARM = int(ENV.get("WARM", "200"))
OUT = ENV.get("OUT", os.path.join("target", "kong-instructions", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))


def send(port, host, path, n):
    """n GETs on one keep-alive connection; returns the last status line."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n".encode()
    buf, status = b"", b""
    for _ in range(n):
        s.sendall(req)
        while b"\r\n\r\n" not in buf:
            data = s.recv(65536)
            if not data:
                raise ConnectionError("closed")
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buf) < length:
            buf += s.recv(65536)
        buf = buf[length:]
        status = head.split(b"\r\n")[0]
    s.close()
    return status.decode()


def dump_total(pid, prefix, before):
    """Asks callgrind for a dump and returns the total instructions in it."""
    subprocess.run(["callgrind_control", "-d", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        dumps = sorted(set(glob.glob(prefix + ".*")) - before)
        for path in dumps:
            with open(path) as f:
                for line in f:
                    if line.startswith(("summary:", "totals:")):
                        return int(line.split()[1]), path
        time.sleep(0.5)
    sys.exit(f"no callgrind dump from {pid}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    upstream, upstream_port = gateways.start_upstream(ENV["ECHO_BIN"])
    results = {}
    for key, layout in LAYOUTS.items():
        prefix = os.path.abspath(os.path.join(OUT, f"callgrind-{key}"))
        wrapper = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", f"--callgrind-out-file={prefix}",
                   "--dump-instr=no"]
        reference = layout in ("chain:noop", "chain:minimal_rewrite", "chain:minimal_log")
        filters = ENV.get("REFERENCE_DIR") if reference else ENV.get("FILTERS_DIR")
        gateway = gateways.start_kong(key, OUT, ENV["KDP_NGX_WASM"], ENV["CONFIG_BIN"], layout, upstream_port,
                                      filters_dir=filters, wrapper=wrapper, ready_s=600)
        pid = gateway.proc.pid
        for scenario in WANTED:
            host, path = SCENARIOS[scenario]
            send(gateway.port, host, path, WARM)
            subprocess.run(["callgrind_control", "-z", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True)
            status = send(gateway.port, host, path, N)
            before = set(glob.glob(prefix + ".*"))
            total, path_ = dump_total(pid, prefix, before)
            if not ENV.get("PROFILE"):
                os.remove(path_)
            results[(scenario, key)] = total / N
            log(f"{scenario:8} {key:3} {layout:24} {total / N:10,.0f} instructions/request ({status})")
        gateway.stop()
    keys = list(LAYOUTS)
    print("| scenario | " + " | ".join(f"{k} ({LAYOUTS[k]})" for k in keys) + " |")
    print("|---|" + "---|" * len(keys))
    for scenario in WANTED:
        print(f"| {scenario} | " + " | ".join(f"{results[(scenario, k)]:,.0f}" for k in keys) + " |")
    if "n" in LAYOUTS:
        print("\nOver the do-nothing filter (n):\n")
        print("| scenario | " + " | ".join(f"{k} − n" for k in keys if k != "n") + " |")
        print("|---|" + "---|" * (len(keys) - 1))
        for scenario in WANTED:
            print(f"| {scenario} | " + " | ".join(f"{results[(scenario, k)] - results[(scenario, 'n')]:+,.0f}"
                                                 for k in keys if k != "n") + " |")
