"""Gateways for the benchmarks and the soak: the echo upstream, Kong's engine and Envoy started on a config
rendered by the e2e crate's tools, the processes we own (killed at exit, whatever happens), and what /proc says
about a gateway process (CPU time, RSS, the Wasm instances' linear memories).

Used by benches/side_by_side.py (and through it benches/envoy/bench.py and benches/kong/bench.py) and
benches/soak/soak.py. Everything listens on 127.0.0.1 on ports chosen free at run time.
"""
import atexit
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time

STARTED = []  # Popen objects we own; killed at exit
EXTRA_PIDS = []  # processes we own but did not start ourselves (an nginx master's worker); killed at exit


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def own(proc):
    """Registers a process of ours, killed at exit whatever happens."""
    STARTED.append(proc)
    return proc


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    for pid in EXTRA_PIDS:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


atexit.register(cleanup)
for _sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_sig, lambda *_: sys.exit(130))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(deadline_s, ready, what, proc=None, log_path=None):
    """Polls `ready()` until it is true; exits naming `what` (and its log) when `proc` exits or time runs out."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"{what} exited ({proc.returncode}); see {log_path}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{what} not ready; see {log_path}")


def get(port, host, path, timeout=5):
    """One HTTP/1.1 GET: (status, headers as a case-insensitive message, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        body = r.read()
        return r.status, r.msg, body
    finally:
        c.close()


def start_upstream(echo_bin, core=None):
    """The echo upstream (kdp-e2e-echo), pinned to `core` if given; returns (process, port)."""
    cmd = ([] if core is None else ["taskset", "-c", core]) + [echo_bin, "0"]
    p = own(subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL))
    line = p.stdout.readline().decode()
    return p, int(line.rsplit(":", 1)[1])


class Gateway:
    """One running gateway.

    key: its name in the run; proc: the Popen we started; pid: the process that serves requests (nginx's worker,
    Envoy itself); port: its listener; log: the log with the telemetry lines; admin: Envoy's admin port (None for
    nginx).
    """

    def __init__(self, key, proc, pid, port, log_path, admin=None):
        self.key, self.proc, self.pid, self.port, self.log, self.admin = key, proc, pid, port, log_path, admin

    def telemetry_lines(self, truncate=False):
        """The telemetry lines in the log; with `truncate`, the log is emptied afterwards (the gateway opened it
        O_APPEND and goes on writing at the new end)."""
        return count_lines(self.log, TELEMETRY, truncate)

    def stop(self, timeout=20):
        """Asks the gateway to stop (SIGTERM: nginx's fast shutdown, Envoy's exit) and waits for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


TELEMETRY = b'{"event":"kdp_migrate"'


def count_lines(path, needle, truncate=False):
    with open(path, "rb") as f:
        n = sum(1 for line in f if needle in line)
    if truncate:
        os.truncate(path, 0)
    return n


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def start_kong(key, out, nginx_bin, config_bin, layout, upstream_port, core=None, filters_dir=None, map_path=None,
               wasmtime_cache=None, wasmtime_flags=(), master=False, wrapper=(), ready_s=120):
    """Kong's engine on e2e/nginx/kong-proxy.conf rendered by kdp-e2e-kong-config with `layout`, its error log at
    info (the telemetry lines) in `out`. One process (the template's `master_process off`) unless `master`: then
    a master and one worker, as Kong runs nginx, and `pid` is the worker's. `wrapper`: a command that runs nginx
    (valgrind)."""
    listen = free_port()
    prefix = os.path.join(out, f"nginx-{key}")
    os.makedirs(prefix, exist_ok=True)
    error_log = os.path.join(out, f"nginx-{key}.log")
    args = [config_bin, "--layout", layout, "--listen", str(listen), "--upstream", str(upstream_port),
            "--prefix", prefix, "--error-log", error_log, "--log-level", "info"]
    if filters_dir:
        args += ["--filters-dir", filters_dir]
    if map_path:
        args += ["--map", map_path]
    if wasmtime_cache:
        args += ["--wasmtime-cache", wasmtime_cache]
    for flag in wasmtime_flags:
        args += ["--wasmtime-flag", flag]
    config = subprocess.run(args, stdout=subprocess.PIPE, check=True).stdout.decode()
    if master:
        single = "master_process off;"
        if single not in config:
            sys.exit("the Kong template no longer says `master_process off;`")
        # Workers run as the user that owns the files here, as the e2e test of a master process does.
        config = config.replace(single, "master_process on; user root;" if os.getuid() == 0 else
                                "master_process on;", 1)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(config)
    stderr = open(os.path.join(prefix, "stderr.log"), "ab")
    cmd = ([] if core is None else ["taskset", "-c", core]) + list(wrapper) + \
        [nginx_bin, "-p", prefix, "-c", conf, "-e", error_log]
    p = own(subprocess.Popen(cmd, stdout=stderr, stderr=stderr, stdin=subprocess.DEVNULL))
    # Kong's own 404 for a Host no route names: nginx serves.
    wait_until(ready_s, lambda: get(listen, "ready.invalid", "/", timeout=2)[0] == 404, f"nginx {key}", p, error_log)
    pid = p.pid
    if master:
        workers = children(p.pid)
        if len(workers) != 1:
            sys.exit(f"nginx {key}: expected one worker, found {workers}")
        pid = workers[0]
        EXTRA_PIDS.append(pid)
    return Gateway(key, p, pid, listen, error_log)


def start_envoy(key, out, envoy_bin, config_bin, layout, upstream_port, core=None, extra_args=()):
    """Envoy (--concurrency 1, -l info: the telemetry lines) on envoy/envoy.yaml rendered by kdp-e2e-envoy-config
    with `layout`, its log in `out`."""
    admin, listen = free_port(), free_port()
    cfg = os.path.join(out, f"envoy-{key}.json")
    with open(cfg, "w") as f:
        subprocess.run([config_bin, "--layout", layout, "--admin", str(admin), "--listen", str(listen),
                        "--upstream", str(upstream_port)] + list(extra_args), stdout=f, check=True)
    logpath = os.path.join(out, f"envoy-{key}.log")
    logf = open(logpath, "ab")
    cmd = ([] if core is None else ["taskset", "-c", core]) + [envoy_bin, "-c", cfg, "--concurrency", "1",
                                                              "--disable-hot-restart", "-l", "info"]
    p = own(subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL))

    def ready():
        c = http.client.HTTPConnection("127.0.0.1", admin, timeout=2)
        c.request("GET", "/ready")
        return c.getresponse().status == 200

    wait_until(60, ready, f"Envoy {key}", p, logpath)
    return Gateway(key, p, p.pid, listen, logpath, admin=admin)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


_MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) ")


def linear_memories(pid):
    """The Wasm instances' linear memories in a gateway process, from /proc/<pid>/smaps: [(size KiB, resident
    KiB)], one per instance.

    Wasmtime (Kong's engine) and V8 (Envoy) both reserve each linear memory as one region of a power-of-two size
    (8 GiB here: the 4 GiB a 32-bit memory can address and its guard) and make its first `memory.size` bytes
    readable and writable: in /proc's view, readable-writable private mappings, contiguous, directly followed by
    the inaccessible rest of the reservation (`---p`, at least 1 GiB), together exactly that power of two (which
    tells them from a neighbour that happens to be mapped right below, such as a thread's stack). Their total is
    the memory's size (it grows with memory.grow and never shrinks); their Rss the pages the instance touched."""
    rows = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = _MAPPING.match(line)
            if m:
                cur = [int(m.group(1), 16), int(m.group(2), 16), m.group(3), 0]
                rows.append(cur)
            elif line.startswith("Rss:") and cur is not None:
                cur[3] = int(line.split()[1])
    out = []
    for i, (start, end, perm, _) in enumerate(rows):
        if perm != "---p" or end - start < 1 << 30 or i == 0:
            continue
        size = rss = 0
        reserved = 1 << (end - start - 1).bit_length()
        j, edge = i - 1, start
        while j >= 0 and rows[j][1] == edge and rows[j][2] == "rw-p" and \
                end - rows[j][0] <= reserved:
            size += rows[j][1] - rows[j][0]
            rss += rows[j][3]
            edge = rows[j][0]
            j -= 1
        if size:
            out.append((size // 1024, rss))
    return out
