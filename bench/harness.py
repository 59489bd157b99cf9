#!/usr/bin/env python3
"""Benchmark harness for issue 8 (driven by bench/run.sh; standard library only).

    harness.py run    [options]   measure; writes the raw results JSON after every step
    harness.py report [options]   render BENCHMARKS.md and the plot from the results JSON

`run` needs root and the lab (tests/lab/lab.sh): for each host count H it brings up a lab
of H hosts (or, with --use-running-lab, uses the lab as it is and removes its own containers
afterwards), creates H x C containers with `jlrec apply`, and measures
  * jlrec apply (fresh) and the no-op apply after it, counting Docker events in the no-op
    windows (a no-op apply must not mutate anything);
  * the serial reference: per-container create + start on the dockerd sockets, one after
    another, summed;
  * paired rounds: A = `jlrec plan --all` (full refresh), B = ssh_floor_probe at the same
    parallelism, N = a no-op `jlrec apply`, alternating A B N A B N ..., at every RTT of
    --rtt-ms: above 0 each of them through bench/latency_relay (bench/relay.py), with the
    relay's proof (the floor's handshake vs the turns it saw x RTT) and, from one more
    `jlrec plan -v`, jlrec's own count of requests and round trips per host;
  * the OpenSSH fan-out (context figure);
and, without a lab, `jlrec plan --all --refresh=false` on a generated 10,000-container cache.
Wall time is measured from fork to reap for every command alike; peak RSS is ru_maxrss from
os.wait4. One failed H is recorded as such and the next H still runs.
"""
import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from relay import Relay

PROJECT = "bench"  # gen_manifest.py's project name; the floor probe filters on it
IMAGE = "127.0.0.1:5000/jlrec-lab/base:1"
# Docker events that do not change anything: reading a file out of a container (jlrec
# reads /run.sh back to detect hand edits) emits "archive-path".
READ_ONLY_EVENTS = {("container", "archive-path")}
EVENT_LOG_SIZE = 256  # events dockerd keeps in memory for `since` queries
GNU_TIME = "/usr/bin/time"  # Debian package "time"


def mib(kb):
    return "? MiB" if kb is None else f"{kb / 1024:.1f} MiB"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Running and measuring commands


# The lab's server side: sshd (each connection's processes are reaped into its master's
# cutime/cstime), dockerd and containerd with its shims. comm is cut at 15 characters.
LAB_SERVER_COMMS = ("sshd", "dockerd", "containerd", "containerd-shim", "runc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def lab_server_cpu_s():
    """CPU seconds (user + system, with reaped children's) of every lab server process."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        if comm not in LAB_SERVER_COMMS:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime stime cutime cstime: fields 14-17 of proc(5), 12-15 after "pid (comm) state".
        ticks += sum(int(x) for x in fields[11:15])
    return ticks / CLOCK_TICKS


def measure(argv, stdout_path=os.devnull, stderr_path=os.devnull, env=None, timeout=900):
    """Runs argv; returns wall seconds (fork to reap), peak RSS (KiB), its own CPU seconds
    (user + system), the lab servers' CPU seconds meanwhile and the exit code.

    The peak RSS comes from GNU time wrapped around the command, not from this process's
    os.wait4: Linux counts a child's RSS from the fork on, so any child forked straight
    from Python starts with Python's ~15-20 MB as its high-water mark (`/bin/true` would
    "use" 14 MB). GNU time is ~1 MB, it forks the command and reads ru_maxrss with wait4.
    The wall time is taken here around the whole thing: GNU time's own start-up (~1 ms)
    is in every figure alike.
    """
    server_cpu_before = lab_server_cpu_s()
    fd, rusage_path = tempfile.mkstemp(prefix="bench-rusage-")
    os.close(fd)
    wrapped = [GNU_TIME, "-q", "-f", "%U %S %M", "-o", rusage_path, "--", *argv]
    try:
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            t0 = time.perf_counter()
            # Own session: on timeout the whole process group is killed, not just `time`.
            proc = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    env=env, start_new_session=True)
            timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
            timer.start()
            try:
                _, status, _ = os.wait4(proc.pid, 0)
            except BaseException:
                # Ctrl-C or SIGTERM reaches the harness, not the command's own session:
                # end the command too, before the lab goes down under it.
                os.killpg(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)
                raise
            finally:
                timer.cancel()
            wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4 already
        with open(rusage_path) as f:
            fields = f.read().split()
    finally:
        os.unlink(rusage_path)
    # GNU time exits with the command's status, 128+N when a signal N ended it.
    rss = int(fields[-1]) if fields and fields[-1].isdigit() else None
    # The command's own CPU (user + system), to tell its share from the daemons' and sshds'.
    try:
        cpu = float(fields[-3]) + float(fields[-2])
    except (IndexError, ValueError):
        cpu = None
    # What the lab's sshds and dockerds spent meanwhile: the connection's sshd processes are
    # reaped into their master's counters once they exit, a moment after the client's end.
    time.sleep(0.2)
    server_cpu = lab_server_cpu_s() - server_cpu_before
    return {"wall_s": wall, "rss_kb": rss, "rc": proc.returncode, "cpu_s": cpu,
            "lab_server_cpu_s": server_cpu}


def run_checked(argv, env=None, timeout=1800, capture=True):
    """Runs a setup command (not measured); raises with its output on failure."""
    res = subprocess.run(argv, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.STDOUT if capture else None, text=True)
    if res.returncode != 0:
        tail = (res.stdout or "")[-2000:] if capture else ""
        raise RuntimeError(f"{' '.join(argv)} exited {res.returncode}\n{tail}")
    return res.stdout if capture else ""


def tail_of(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def curl_unix(sock, method, path, data=None, data_file=None, content_type=None, out=None,
              timeout=120):
    """One Docker API call over the unix socket with curl; returns (http_code, seconds,
    body). The seconds are curl's own %{time_total}: the request, without curl's start-up."""
    argv = ["curl", "-s", "--max-time", str(timeout), "--unix-socket", sock, "-X", method,
            "-w", "\n%{http_code} %{time_total}"]
    if content_type:
        argv += ["-H", f"Content-Type: {content_type}"]
    if data is not None:
        argv += ["--data-binary", data]
    if data_file is not None:
        argv += ["--data-binary", f"@{data_file}"]
    if out is not None:
        argv += ["-o", out]
    argv.append(f"http://x{path}")
    res = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout + 10)
    body, _, trailer = res.stdout.rpartition(b"\n")
    fields = trailer.decode().split()
    if res.returncode != 0 or len(fields) != 2:
        raise RuntimeError(f"curl {method} {path} on {sock}: exit {res.returncode}")
    return int(fields[0]), float(fields[1]), body


# ---------------------------------------------------------------------------------------
# Statistics


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"n": len(values), "min": min(values), "median": statistics.median(values),
            "max": max(values)}


# ---------------------------------------------------------------------------------------
# Latency (bench/relay.py) and round trips


def rtt_key(rtt):
    """The results key of an RTT in ms: "0", "20", "2.5"."""
    return f"{rtt:g}"


def write_relay_manifest(src, dst, hosts, relay):
    """src's manifest with every host behind the relay. The relay listens on each host's own
    address (bench/relay.py) on one port, so only host_defaults' port and known_hosts
    change; both lines are checked to be there exactly once, as gen_manifest.py writes them."""
    ports = set()
    for _, addr, port, _ in hosts:
        ra, rp = relay.endpoint(addr, port)
        if ra != addr:
            raise RuntimeError(f"relay endpoint {ra} for {addr}: the manifest would need new addresses")
        ports.add((port, rp))
    if len(ports) != 1:
        raise RuntimeError(f"hosts behind the relay on several ports {sorted(ports)}")
    (port, relay_port), = ports
    with open(src) as f:
        lines = f.read().split("\n")
    want = {f"  port: {port}": f"  port: {relay_port}",
            "  known_hosts: ": f"  known_hosts: {relay.known_hosts}"}
    for prefix, new in want.items():
        idx = [i for i, line in enumerate(lines) if line == prefix or
               (prefix.endswith(": ") and line.startswith(prefix))]
        if len(idx) != 1:
            raise RuntimeError(f"{src}: expected one line {prefix!r}, found {len(idx)}")
        lines[idx[0]] = new
    with open(dst, "w") as f:
        f.write("\n".join(lines))


def relay_summary(stats):
    """The relay's statistics without the per-connection list (kept small in the JSON)."""
    if not stats:
        return None
    out = {k: v for k, v in stats.items() if k != "per_connection"}
    out["turns_per_connection"] = [c["turns"] for c in stats.get("per_connection", [])]
    out["causal_turns_per_connection"] = [c.get("causal_turns") for c in stats.get("per_connection", [])]
    return out


def parse_floor_phases(reported):
    """{"handshake": ms, ...}: the probe's "phases_ms" line (medians over hosts)."""
    for line in reported.splitlines():
        if line.startswith("phases_ms "):
            out = {}
            for kv in line.split()[1:]:
                k, _, v = kv.partition("=")
                out[k] = None if v == "-" else float(v)
            return out
    return None


def floor_host_phases(reported):
    """{"addr:port": {"handshake": ms, ...}} from the probe's per-host "phase" lines."""
    out = {}
    for line in reported.splitlines():
        if line.startswith("phase "):
            fields = line.split()
            out[fields[1]] = {k: (None if v == "-" else float(v))
                              for k, _, v in (kv.partition("=") for kv in fields[2:])}
    return out


def handshake_turns(reported, stats):
    """The turns the relay saw on each floor connection before its handshake ended, and
    before its last phase ended (the probe's own per-host phase times), medians over hosts.

    A turn is timed when the relay reads the server's first bytes after the client's; the
    client gets them one-way later. A turn counts for a phase iff the client had it before
    the phase ended (times from the accept, which is the probe's connect on loopback): a
    reply the client did not wait for (e.g. the server's EXT_INFO after NEWKEYS) is not
    part of the handshake's cost."""
    phases = floor_host_phases(reported)
    if not stats or not phases:
        return None
    hs, session = [], []
    one_way = stats.get("one_way_ms", 0)
    for conn in stats.get("per_connection", []):
        ph = phases.get(conn["listen"])
        if not ph or ph.get("handshake") is None:
            continue
        # Causal turns (the server spoke after the client's bytes reached it); a relay
        # without them (older) counts plain direction changes.
        times = conn.get("causal_turn_ms", conn["turn_ms"])
        hs.append(sum(1 for t in times if t + one_way <= ph["handshake"]))
        if all(ph.get(k) is not None for k in ("handshake", "auth", "channel", "request")):
            end = ph["handshake"] + ph["auth"] + ph["channel"] + ph["request"]
            session.append(sum(1 for t in times if t + one_way <= end))
    if not hs:
        return None
    return {"handshake": statistics.median(hs), "session": statistics.median(session) if session else None,
            "connections": len(hs), "connect_delay_ms": stats.get("connect_delay_ms")}


def floor_session_ms(reported):
    """Median over hosts of the sum of the probe's four phases (ms), or None."""
    totals = [sum(ph.values()) for ph in floor_host_phases(reported).values()
              if all(v is not None for v in ph.values()) and len(ph) == 4]
    return statistics.median(totals) if totals else None


def relay_proof(r, rtt):
    """The relay's proof at one RTT: the floor probe's handshake (and whole session) against
    the baseline at RTT 0 plus (turns the relay saw + 1 for the emulated TCP connect) x RTT.
    Medians over the rounds. Returns a dict (also stored in the results) or None."""
    sections = rtt_sections(r)
    at, base = sections.get(rtt_key(rtt)), sections.get("0")
    if rtt == 0 or not at:
        return None
    rounds = [x["floor"] for x in at["rounds"] if x["floor"].get("handshake_turns")]
    if not rounds:
        return None

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    def phase(fl, name):
        return (fl.get("phases") or {}).get(name)

    proof = {"rtt_ms": rtt,
             "handshake_ms": med(phase(fl, "handshake") for fl in rounds),
             "handshake_turns": med(fl["handshake_turns"]["handshake"] for fl in rounds),
             "session_ms": med(floor_session_ms(fl.get("reported", "")) for fl in rounds),
             "session_turns": med(fl["handshake_turns"]["session"] for fl in rounds)}
    connect_rtts = 1 if (rounds[0]["handshake_turns"].get("connect_delay_ms") or 0) > 0 else 0
    # The baseline: the same rounds' floor through a relay without delay (the same hop);
    # results without it fall back to the direct floor at RTT 0.
    base_rounds = [fl["relay_at_zero"] for fl in rounds if fl.get("relay_at_zero")]
    proof["baseline"] = "relay without delay, same rounds"
    if not base_rounds:
        base_rounds = [x["floor"] for x in base["rounds"]] if base else []
        proof["baseline"] = "direct, RTT 0 rounds"
    proof["baseline_handshake_ms"] = med(phase(fl, "handshake") for fl in base_rounds)
    proof["baseline_session_ms"] = med(floor_session_ms(fl.get("reported", "")) for fl in base_rounds)
    for part in ("handshake", "session"):
        turns, b = proof[f"{part}_turns"], proof[f"baseline_{part}_ms"]
        proof[f"{part}_expected_ms"] = None if turns is None or b is None else \
            b + (turns + connect_rtts) * rtt
    at["proof"] = proof

    def f(v):
        return "?" if v is None else f"{v:.0f}"
    return (f"floor handshake {f(proof['handshake_ms'])} ms, expected {f(proof['handshake_expected_ms'])} ms "
            f"= {f(proof['baseline_handshake_ms'])} ms at 0 delay + ({proof['handshake_turns']:g} turns + "
            f"{connect_rtts} TCP connect) x {rtt:g} ms; whole session {f(proof['session_ms'])} ms, expected "
            f"{f(proof['session_expected_ms'])} ms ({f(proof['session_turns'])} turns)")


ROUND_TRIPS_RE = re.compile(r"round trips: (\S+) requests=(\d+) sequential=(\d+) "
                            r"connect_ms=([\d.]+) requests_ms=([\d.]+)")


def parse_round_trips(stderr_path):
    """{host: {requests, sequential, connect_ms, requests_ms}} from `jlrec plan -v` stderr;
    {} when this jlrec prints no such lines (unknown, not zero)."""
    out = {}
    try:
        with open(stderr_path, errors="replace") as f:
            for line in f:
                m = ROUND_TRIPS_RE.search(line)
                if m:
                    out[m.group(1)] = {"requests": int(m.group(2)), "sequential": int(m.group(3)),
                                       "connect_ms": float(m.group(4)),
                                       "requests_ms": float(m.group(5))}
    except OSError:
        pass
    return out


def rtt_sections(r):
    """{rtt key: {"rounds": [...], ...}} of one host count; results written before the RTT
    dimension have their rounds at RTT 0."""
    if "rtt" in r:
        return r["rtt"]
    return {"0": {"rtt_ms": 0, "rounds": r.get("rounds", [])}} if r.get("rounds") else {}


# ---------------------------------------------------------------------------------------
# The lab


class Lab:
    def __init__(self, src):
        self.script = os.path.join(src, "tests", "lab", "lab.sh")

    def down(self):
        run_checked(["bash", self.script, "down"], timeout=600)

    def up(self, hosts, shared):
        env = dict(os.environ, JLREC_LAB_SHARED_DOCKERDS=str(shared))
        run_checked(["bash", self.script, "up", str(hosts)], env=env, timeout=1200)
        return self.settings()

    def settings(self):
        """The running lab's settings (lab.sh env), without touching the lab."""
        settings = {}
        for line in run_checked(["bash", self.script, "env"]).splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                settings[k] = v
        return settings

    def preload(self, shared):
        env = dict(os.environ, JLREC_LAB_SHARED_DOCKERDS=str(shared))
        run_checked(["bash", self.script, "preload", IMAGE], env=env, timeout=1200)


def lab_hosts(settings, count):
    """[(n, address, port, docker_socket)] from lab.sh env."""
    port = int(settings["JLREC_LAB_PORT"])
    return [(n, settings[f"JLREC_LAB_H{n}_ADDRESS"], port, settings[f"JLREC_LAB_H{n}_DOCKER_SOCKET"])
            for n in range(1, count + 1)]


def docker_events(sockets, since, until):
    """Every event the dockerds recorded in [since, until] (unix seconds).

    dockerd answers `since`/`until` from its in-memory log, which holds the last 256
    events per daemon: enough to prove zero, and a count of 256 means "at least 256".
    """
    events, capped = [], False
    for sock in sorted(set(sockets)):
        before = len(events)
        code, _, body = curl_unix(sock, "GET", f"/events?since={since:.9f}&until={until:.9f}",
                                  timeout=30)
        if code != 200:
            raise RuntimeError(f"events on {sock}: HTTP {code}")
        text, pos, decoder = body.decode(), 0, json.JSONDecoder()
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            ev, pos = decoder.raw_decode(text, pos)
            events.append(ev)
        # A full log may have dropped the window's first events: the count is then only
        # a lower bound, and zero mutating events would prove nothing.
        capped = capped or len(events) - before >= EVENT_LOG_SIZE
    counts = {}
    for ev in events:
        key = f"{ev.get('Type', '?')}:{ev.get('Action', ev.get('status', '?'))}"
        counts[key] = counts.get(key, 0) + 1
    mutating = sum(n for k, n in counts.items() if tuple(k.split(":", 1)) not in READ_ONLY_EVENTS)
    container = sum(n for k, n in counts.items() if k.startswith("container:"))
    return {"total": len(events), "container": container, "mutating": mutating, "by_action": counts,
            "capped": capped}


# ---------------------------------------------------------------------------------------
# One host count


class HostCountRun:
    def __init__(self, args, tools, lab, H, result, save):
        self.a, self.t, self.lab, self.H, self.r, self.save = args, tools, lab, H, result, save
        self.work = os.path.join(args.work, f"H{H}")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.manifest = os.path.join(self.work, "jlrec.yaml")
        self.state = os.path.join(self.work, "state.db")
        self.hosts_file = os.path.join(self.work, "hosts.txt")

    def log(self, msg):
        log(f"[H={self.H}] {msg}")

    def jlrec(self, *argv):
        return [self.t["jlrec"], *argv, "-m", self.manifest, "--state", self.state, "--no-color"]

    def out(self, name):
        return os.path.join(self.work, name)

    def run(self):
        a, H = self.a, self.H
        if a.use_running_lab:
            # The lab as it is (others may be using it): not taken down, not brought up, no
            # preload; the bench's own containers are removed before and after.
            settings = self.lab.settings()
            if H > int(settings["JLREC_LAB_HOSTS"]):
                raise RuntimeError(f"the running lab has {settings['JLREC_LAB_HOSTS']} hosts, "
                                   f"not {H}")
            hosts = lab_hosts(settings, H)
            sockets = [h[3] for h in hosts]
            shared = len(set(sockets)) if len(set(sockets)) < len(sockets) else 0
        else:
            shared = math.ceil(H / a.hosts_per_dockerd) if H >= a.shared_from else 0
        self.r.update({"hosts": H, "containers_per_host": a.containers, "containers": H * a.containers,
                       "shared_dockerds": shared, "status": "running"})
        if a.use_running_lab:
            self.sockets = sockets
            self.remove_bench_containers()
            try:
                return self.measure_all(settings, hosts, shared)
            finally:
                self.remove_bench_containers()
        self.lab.down()
        self.log(f"lab up ({H} hosts, {'%d shared dockerds' % shared if shared else 'one dockerd each'})")
        settings = self.lab.up(H, shared)
        hosts = lab_hosts(settings, H)
        self.sockets = [h[3] for h in hosts]
        # The image is pulled before the fresh apply: the apply figure is then about
        # creating and starting containers, like the serial reference it is compared with.
        self.lab.preload(shared)
        self.measure_all(settings, hosts, shared)

    def remove_bench_containers(self):
        """Removes the containers of the bench's project (on a running lab only)."""
        flt = "%7B%22label%22%3A%5B%22jlrec.project%3D" + PROJECT + "%22%5D%7D"
        for sock in sorted(set(self.sockets)):
            code, _, body = curl_unix(sock, "GET", f"/containers/json?all=1&filters={flt}")
            if code != 200:
                raise RuntimeError(f"list containers on {sock}: HTTP {code}")
            for c in json.loads(body):
                curl_unix(sock, "DELETE", f"/containers/{c['Id']}?force=1&v=1")

    def measure_all(self, settings, hosts, shared):
        a, H = self.a, self.H
        with open(self.hosts_file, "w") as f:
            for _, addr, port, sock in hosts:
                f.write(f"{addr} {port} {sock}\n")
        self.hosts = hosts
        self.identity = settings["JLREC_LAB_IDENTITY"]
        self.known_hosts = settings["JLREC_LAB_KNOWN_HOSTS"]
        gen = [sys.executable, os.path.join(a.src, "bench", "gen_manifest.py"),
               str(H), str(a.containers), str(a.groups(H)), self.manifest]
        if shared:
            gen += ["--shared-dockerds", str(shared)]
        run_checked(gen)

        self.fresh_apply()
        self.noop_first()
        self.plan_check()
        for rtt in self.a.rtt_ms:
            self.rounds(rtt)
        self.openssh()
        if not self.a.skip_serial:
            self.serial_reference()
        self.r["status"] = "ok"

    def fresh_apply(self):
        self.log(f"fresh apply of {self.H * self.a.containers} containers")
        m = measure(self.jlrec("apply", "--all", "--auto-approve"), self.out("apply-fresh.out"),
                    self.out("apply-fresh.err"), timeout=3600)
        self.r["fresh_apply"] = m
        self.save()
        if m["rc"] != 0:
            raise RuntimeError(f"fresh apply exited {m['rc']}:\n{tail_of(self.out('apply-fresh.out'))}"
                               f"{tail_of(self.out('apply-fresh.err'))}")
        self.log(f"fresh apply: {m['wall_s']:.2f} s")

    def noop_apply(self, tag, argv_jlrec=None):
        """A no-op apply with the Docker events of its window."""
        since = time.time()
        argv_jlrec = argv_jlrec or self.jlrec
        m = measure(argv_jlrec("apply", "--all", "--auto-approve"), self.out(f"apply-{tag}.out"),
                    self.out(f"apply-{tag}.err"))
        # dockerd stamps an event when it handles the call; the window closes a little
        # after the process was reaped so a late stamp is not missed.
        until = time.time() + 0.2
        time.sleep(0.3)
        m["events"] = docker_events(self.sockets, since, until)
        return m

    def noop_first(self):
        m = self.noop_apply("noop-first")
        self.r["noop_first"] = m
        self.save()
        self.log(f"first no-op apply: {m['wall_s'] * 1000:.0f} ms, rc {m['rc']}, "
                 f"mutating docker events {m['events']['mutating']} {m['events']['by_action']}")

    def plan_check(self):
        m = measure(self.jlrec("plan", "--all", "--detailed-exitcode"), self.out("plan-check.out"),
                    self.out("plan-check.err"))
        self.r["plan_check"] = {"rc": m["rc"], "wall_s": m["wall_s"]}
        if m["rc"] != 0:
            # Measured anyway (the figures still mean something), but flagged in the report.
            self.r["plan_check"]["output_tail"] = tail_of(self.out("plan-check.out"), 20) + \
                tail_of(self.out("plan-check.err"), 10)
            self.log(f"plan --detailed-exitcode exited {m['rc']} (expected 0: no changes):\n"
                     f"{self.r['plan_check']['output_tail']}")
        self.save()

    def rounds(self, rtt):
        """A B N A B N ... at one RTT: plan, floor, no-op apply, back to back, so a slow moment
        of this noisy machine hits a whole round rather than one side of the comparison.
        At RTT > 0 each measured command runs through its own latency_relay (bench/relay.py,
        same delay, same addresses), so the relay's wire statistics are that command's."""
        P = str(self.t["plan_parallelism"])
        key = rtt_key(rtt)
        at = self.r.setdefault("rtt", {})[key] = {"rtt_ms": rtt, "rounds": []}
        rounds = at["rounds"]
        tag = f"RTT {key} ms"
        for i in range(self.a.repeats):
            with self.relayed(rtt, "plan") as (argv_jlrec, _, _, relay):
                plan = measure(argv_jlrec("plan", "--all"), self.out("plan.out"), self.out("plan.err"))
            plan["relay"] = relay_summary(relay.stats())
            if plan["rc"] != 0:
                raise RuntimeError(f"plan exited {plan['rc']}:\n{tail_of(self.out('plan.err'))}")
            with self.relayed(rtt, "floor") as (_, hosts_file, known_hosts, relay):
                floor = [self.t["ssh_floor_probe"], hosts_file, self.identity, known_hosts, P, PROJECT,
                         "--phases"]
                fl = measure(floor, self.out("floor.out"), self.out("floor.err"))
            fl["reported"] = open(self.out("floor.out")).read().strip()
            if fl["rc"] != 0:
                raise RuntimeError(f"ssh_floor_probe exited {fl['rc']}: {fl['reported']}\n"
                                   f"{tail_of(self.out('floor.err'))}")
            fl["phases"] = parse_floor_phases(fl["reported"])
            fl["relay"] = relay_summary(relay.stats())
            fl["handshake_turns"] = handshake_turns(fl["reported"], relay.stats())
            if rtt > 0:
                # The proof's baseline: the floor through a relay without delay, i.e. the
                # same extra hop (on a loaded machine each hop waits for the scheduler).
                with self.relayed(0, "floor0", relay_at_zero=True) as (_, hosts_file, known_hosts, relay0):
                    floor0 = [self.t["ssh_floor_probe"], hosts_file, self.identity, known_hosts, P,
                              PROJECT, "--phases"]
                    f0 = measure(floor0, self.out("floor0.out"), self.out("floor0.err"))
                f0["reported"] = open(self.out("floor0.out")).read().strip()
                f0["phases"] = parse_floor_phases(f0["reported"])
                f0["relay"] = relay_summary(relay0.stats())
                fl["relay_at_zero"] = f0
            with self.relayed(rtt, "noop") as (argv_jlrec, _, _, relay):
                noop = self.noop_apply("noop", argv_jlrec)
            noop["relay"] = relay_summary(relay.stats())
            rounds.append({"plan": plan, "floor": fl, "noop": noop,
                           "plan_over_floor": plan["wall_s"] / fl["wall_s"],
                           "noop_over_plan": noop["wall_s"] / plan["wall_s"]})
            self.save()
            self.log(f"{tag} round {i + 1}/{self.a.repeats}: plan {plan['wall_s'] * 1000:.0f} ms "
                     f"{mib(plan['rss_kb'])}, floor {fl['wall_s'] * 1000:.0f} ms "
                     f"{mib(fl['rss_kb'])} (ratio {plan['wall_s'] / fl['wall_s']:.2f}), "
                     f"no-op apply {noop['wall_s'] * 1000:.0f} ms, rc {noop['rc']}, "
                     f"mutating events {noop['events']['mutating']}")
        # The round trips jlrec itself counts (`plan -v`, if this jlrec prints them), in one
        # more run outside the measured ones: verbose output is no part of the figures.
        with self.relayed(rtt, "census") as (argv_jlrec, _, _, relay):
            m = measure(argv_jlrec("plan", "--all", "-v"), self.out("plan-v.out"), self.out("plan-v.err"))
        at["census"] = {"rc": m["rc"], "wall_s": m["wall_s"], "relay": relay_summary(relay.stats()),
                        "hosts": parse_round_trips(self.out("plan-v.err"))}
        self.save()
        proof = relay_proof(self.r, rtt)
        if proof:
            self.log(f"{tag} relay proof: {proof}")

    @contextlib.contextmanager
    def relayed(self, rtt, tag, relay_at_zero=False):
        """(jlrec argv maker, floor hosts file, known_hosts, relay) for one command at `rtt`:
        direct at 0 (unless relay_at_zero); else a relay in front of every host and a
        manifest naming it."""
        one_way = rtt / 2
        work = self.out(f"relay-{tag}")
        endpoints = [(addr, port) for _, addr, port, _ in self.hosts]
        with Relay(self.t["build"], endpoints, one_way, self.known_hosts, work,
                   relay_at_zero=relay_at_zero) as relay:
            if relay.direct:
                yield self.jlrec_argv(self.manifest), self.hosts_file, self.known_hosts, relay
                return
            hosts_file = os.path.join(work, "hosts.txt")
            with open(hosts_file, "w") as f:
                for _, addr, port, sock in self.hosts:
                    ra, rp = relay.endpoint(addr, port)
                    f.write(f"{ra} {rp} {sock}\n")
            manifest = os.path.join(os.path.dirname(self.manifest), f"jlrec-relay-{tag}.yaml")
            write_relay_manifest(self.manifest, manifest, self.hosts, relay)
            yield self.jlrec_argv(manifest), hosts_file, relay.known_hosts, relay

    def jlrec_argv(self, manifest):
        return lambda *argv: [self.t["jlrec"], *argv, "-m", manifest, "--state", self.state,
                              "--no-color"]

    def openssh(self):
        argv = ["bash", os.path.join(self.a.src, "bench", "openssh_fanout.sh"), self.hosts_file,
                self.identity, self.known_hosts, str(self.t["plan_parallelism"])]
        runs = self.r["openssh"] = []
        for _ in range(self.a.openssh_repeats):
            m = measure(argv, self.out("openssh.out"), self.out("openssh.err"))
            m["reported"] = open(self.out("openssh.out")).read().strip()
            runs.append(m)
            self.save()
            self.log(f"openssh fan-out: {m['wall_s'] * 1000:.0f} ms ({m['reported']})")
            if m["rc"] != 0:
                self.log(f"openssh fan-out failed:\n{tail_of(self.out('openssh.err'))}")

    def serial_reference(self):
        """Create + start each container alone, one after another, straight on the dockerd
        sockets: what the legacy script's serial loop costs at best, without SSH."""
        a, C = self.a, self.a.containers
        # Containers the same as jlrec's: same image, command, network mode, restart policy,
        # and the same /run.sh (copied out of a container jlrec made) so that they run the
        # same thing. The upload is timed too but not part of the create + start sum.
        runsh_tar = self.out("run.sh.tar")
        code, _, _ = curl_unix(self.sockets[0], "GET", "/containers/b1_c0/archive?path=/run.sh",
                               out=runsh_tar)
        if code != 200:
            raise RuntimeError(f"could not read /run.sh of b1_c0: HTTP {code}")
        body = json.dumps({"Image": IMAGE, "Cmd": ["/bin/sh", "/run.sh"], "Labels": {},
                           "HostConfig": {"NetworkMode": "host",
                                          "RestartPolicy": {"Name": "unless-stopped"}}})
        # Round robin over hosts so a capped sample still spreads over every dockerd.
        order = [(n, c) for c in range(C) for n in range(1, self.H + 1)]
        total = len(order)
        if a.serial_max and total > a.serial_max:
            order = order[:a.serial_max]
        self.log(f"serial reference: {len(order)} of {total} containers, one at a time")
        samples, created = [], []
        try:
            for n, c in order:
                sock = self.sockets[n - 1]
                name = f"benchref_b{n}_c{c}"
                code, t_create, resp = curl_unix(sock, "POST", f"/containers/create?name={name}",
                                                 data=body, content_type="application/json")
                if code != 201:
                    raise RuntimeError(f"create {name}: HTTP {code} {resp[:200]!r}")
                cid = json.loads(resp)["Id"]
                created.append((sock, cid))
                code, t_upload, _ = curl_unix(sock, "PUT", f"/containers/{cid}/archive?path=/",
                                              data_file=runsh_tar, content_type="application/x-tar")
                if code != 200:
                    raise RuntimeError(f"upload /run.sh to {name}: HTTP {code}")
                code, t_start, _ = curl_unix(sock, "POST", f"/containers/{cid}/start")
                if code != 204:
                    raise RuntimeError(f"start {name}: HTTP {code}")
                samples.append({"create_s": t_create, "upload_s": t_upload, "start_s": t_start})
        finally:
            for sock, cid in created:
                try:
                    curl_unix(sock, "DELETE", f"/containers/{cid}?force=1&v=1")
                except Exception as e:  # removal is best effort; lab down removes the rest
                    self.log(f"could not remove {cid[:12]}: {e}")
        per = [s["create_s"] + s["start_s"] for s in samples]
        per_upload = [s["create_s"] + s["upload_s"] + s["start_s"] for s in samples]
        scale = total / len(samples)  # 1 unless capped: then the mean times all containers
        self.r["serial_ref"] = {
            "measured": len(samples), "containers": total, "extrapolated": scale != 1,
            "create_start_sum_s": sum(per) * scale,
            "create_upload_start_sum_s": sum(per_upload) * scale,
            "per_container_create_start_s": summary(per),
            "samples": samples,
        }
        self.save()
        self.log(f"serial reference: create+start sum {sum(per) * scale:.2f} s "
                 f"({'extrapolated from %d' % len(samples) if scale != 1 else 'all measured'})")


# ---------------------------------------------------------------------------------------
# The cached plan (no lab)


def cached_plan(args, tools, result, save):
    work = os.path.join(args.work, "cached")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    manifest, state = os.path.join(work, "jlrec.yaml"), os.path.join(work, "state.db")
    H, C, G = args.cached_shape
    run_checked([sys.executable, os.path.join(args.src, "bench", "gen_manifest.py"),
                 str(H), str(C), str(G), manifest])
    result.update({"hosts": H, "containers_per_host": C, "groups": G, "containers": H * C})
    result["fixture"] = run_checked([tools["cached_state_fixture"], manifest, state]).strip()
    argv = [tools["jlrec"], "plan", "--all", "--refresh=false", "-m", manifest, "--state", state,
            "--no-color"]
    out, err = os.path.join(work, "plan.out"), os.path.join(work, "plan.err")
    # First run: checks the cache matches the manifest (no changes) and warms the page cache.
    # It is also the cold case: the state file has no resolved manifest yet, so this run
    # parses and renders the manifest in full (and records its resolution for the others).
    check = measure(argv + ["--detailed-exitcode"], out, err)
    result["check_rc"] = check["rc"]
    result["cold"] = check
    if check["rc"] != 0:
        result["check_output_tail"] = tail_of(out, 20) + tail_of(err, 10)
        log(f"[cached] plan --refresh=false --detailed-exitcode exited {check['rc']}:\n"
            f"{result['check_output_tail']}")
    runs = result["runs"] = []
    for i in range(args.repeats):
        m = measure(argv, out, err)
        if m["rc"] != 0:
            raise RuntimeError(f"cached plan exited {m['rc']}:\n{tail_of(err)}")
        runs.append(m)
        save()
        log(f"[cached] {H * C} containers, run {i + 1}/{args.repeats}: {m['wall_s'] * 1000:.1f} ms "
            f"{mib(m['rss_kb'])}")
    result["status"] = "ok"


# ---------------------------------------------------------------------------------------
# Machine and build facts


def machine_facts(src):
    def sh(argv):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    os_name = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    # Dirty = tracked files differ from the commit; the outputs of this very benchmark
    # do not count (a previous run rewrote them).
    dirty = sh(["git", "-C", src, "status", "--porcelain", "--untracked-files=no", "--", ".",
                ":!BENCHMARKS.md", ":!bench/plan_vs_hosts.png"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": sh(["git", "-C", src, "rev-parse", "--short", "HEAD"]) or "unknown",
        "dirty": bool(dirty),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_name,
        "docker": sh(["dockerd", "--version"]),
        "openssh": sh(["bash", "-c", "ssh -V 2>&1"]),
        "libssh": sh(["dpkg-query", "-W", "-f=${Version}", "libssh-4"]),
        "lab": "lab on loopback (tests/lab/lab.sh: sshd per host on 127.0.0.x:2222, real dockerds)",
    }


def default_parallelism(jlrec, command):
    """jlrec's default --parallelism for a command, read from its --help (not assumed)."""
    text = run_checked([jlrec, command, "--help"])
    m = re.search(r"--parallelism arg \(=(\d+)\)", text)
    if not m:
        raise RuntimeError(f"cannot find the default --parallelism in `jlrec {command} --help`")
    return int(m.group(1))


# ---------------------------------------------------------------------------------------
# run


def cmd_run(args):
    # SIGTERM as an exception, like Ctrl-C: the finally blocks save the results and take
    # the lab down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        sys.exit("bench: run as root (the lab starts sshd and dockerd)")
    names = ["jlrec", "ssh_floor_probe"]
    if not args.skip_cached:
        names.append("cached_state_fixture")
    if any(rtt > 0 for rtt in args.rtt_ms):
        names.append("latency_relay")
    tools = {name: os.path.join(args.build, name) for name in names}
    for name, path in tools.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} missing; build it first (bench/run.sh does)")
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"bench: {GNU_TIME} missing (apt-get install time)")
    tools["build"] = args.build
    tools["plan_parallelism"] = default_parallelism(tools["jlrec"], "plan")
    tools["apply_parallelism"] = default_parallelism(tools["jlrec"], "apply")
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)

    results = {"hosts": {}, "cached": {}}
    if args.merge and os.path.exists(args.results):
        with open(args.results) as f:
            results = json.load(f)
        results.setdefault("hosts", {})
        # Parts kept from an earlier run keep the provenance of that run.
        old = results.get("meta", {})
        for part in [*results["hosts"].values(), results.get("cached", {})]:
            if part and "measured_at" not in part:
                part["measured_at"] = {k: old.get(k) for k in ("commit", "dirty", "date")}
    meta = machine_facts(args.src)
    meta.update({
        "jlrec_version": run_checked([tools["jlrec"], "--version"]).strip().splitlines()[0],
        "plan_parallelism": tools["plan_parallelism"],
        "apply_parallelism": tools["apply_parallelism"],
        "containers_per_host": args.containers,
        "repeats": args.repeats,
        "openssh_repeats": args.openssh_repeats,
        "host_counts": args.hosts,
        "shared_from": args.shared_from,
        "hosts_per_dockerd": args.hosts_per_dockerd,
        "serial_max": args.serial_max,
        "rtt_ms": args.rtt_ms,
        "relay": "bench/latency_relay: each chunk delayed RTT/2 each way, upstream connect "
                 "delayed 1.5 RTT (the TCP handshake)",
        "running_lab": args.use_running_lab,
    })
    # A merge that measures no host count keeps the header of the run the host figures come
    # from (parameters, commit, date); the cached plan's own commit is in its measured_at.
    if not (args.merge and not args.hosts and results.get("meta")):
        results["meta"] = meta

    def save():
        tmp = args.results + ".tmp"
        with open(tmp, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
        os.replace(tmp, args.results)

    log(f"jlrec {meta['jlrec_version']}, plan --parallelism default {tools['plan_parallelism']} "
        f"(the floor probe and the OpenSSH fan-out use the same), results -> {args.results}")
    lab = Lab(args.src)
    failures = 0
    try:
        measured_at = {k: meta.get(k) for k in ("commit", "dirty", "date")}
        if not args.skip_cached:
            results["cached"] = {"status": "running", "measured_at": measured_at}
            try:
                cached_plan(args, tools, results["cached"], save)
            except Exception as e:
                failures += 1
                results["cached"].update({"status": "error", "error": str(e)})
                log(f"[cached] FAILED: {e}")
            save()
        for H in args.hosts:
            r = results["hosts"][str(H)] = {"measured_at": measured_at}
            try:
                HostCountRun(args, tools, lab, H, r, save).run()
            except Exception as e:
                failures += 1
                r.update({"status": "error", "error": str(e)})
                log(f"[H={H}] FAILED: {e}")
                traceback.print_exc()
            except BaseException:
                r["status"] = "interrupted"
                raise
            finally:
                save()
                if not args.use_running_lab:
                    try:
                        lab.down()
                    except Exception as e:
                        log(f"lab down failed: {e}")
    finally:
        save()
    log(f"done: {args.results}" + (f" ({failures} part(s) failed)" if failures else ""))
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------
# report


def fmt_ms(s):
    return "–" if s is None else (f"{s * 1000:.0f}" if s * 1000 >= 100 else f"{s * 1000:.1f}")


def fmt_s(s):
    return "–" if s is None else f"{s:.2f}"


def fmt_mb(kb):  # MB = 10^6 bytes, the unit the targets are written in
    return "–" if kb is None else f"{kb * 1024 / 1e6:.1f}"


def fmt_ms0(v):  # a value already in ms
    return "–" if v is None else f"{v:.0f}"


def fmt_num(v):
    return "–" if v is None else f"{v:g}"


def fmt_x(r):
    return "–" if r is None else f"{r:.2f}"


def mmm(stat, fmt):
    if not stat:
        return "–", "–", "–"
    return fmt(stat["min"]), fmt(stat["median"]), fmt(stat["max"])


def host_stats(r, rtt="0"):
    """The summaries the report and the plot need, from one host count's raw results at one
    RTT (its key: "0", "20"). The fresh apply and its first no-op apply are at RTT 0."""
    section = rtt_sections(r).get(rtt, {})
    rounds = section.get("rounds", [])
    noops = [x["noop"] for x in rounds]
    if r.get("noop_first") and rtt == "0":
        noops = [r["noop_first"]] + noops
    census = list((section.get("census") or {}).get("hosts", {}).values())
    return {
        "rtt": rtt,
        "requests": summary([h["requests"] for h in census]),
        "sequential": summary([h["sequential"] for h in census]),
        "census_hosts": len(census),
        "plan_turns": summary([statistics.median(x["plan"]["relay"]["turns_per_connection"])
                               for x in rounds if (x["plan"].get("relay") or {}).get("turns_per_connection")]),
        "relay_cpu": summary([(x[k]["relay"]["cpu_user_s"] + x[k]["relay"]["cpu_sys_s"]) / x[k]["wall_s"]
                              for x in rounds for k in ("plan", "floor", "noop") if x[k].get("relay")]),
        "floor_handshake": summary([(x["floor"].get("phases") or {}).get("handshake") for x in rounds]),
        "floor0_handshake": summary([((x["floor"].get("relay_at_zero") or {}).get("phases") or {}).get("handshake")
                                     for x in rounds]),
        "relay_late": summary([x[k]["relay"].get("late_ms_mean") for x in rounds
                               for k in ("plan", "floor", "noop") if x[k].get("relay")]),
        "proof": section.get("proof"),
        "plan_wall": summary([x["plan"]["wall_s"] for x in rounds]),
        "plan_rss": summary([x["plan"]["rss_kb"] for x in rounds]),
        "floor_wall": summary([x["floor"]["wall_s"] for x in rounds]),
        "floor_rss": summary([x["floor"]["rss_kb"] for x in rounds]),
        "ratio": summary([x["plan_over_floor"] for x in rounds]),
        "noop_wall": summary([x["wall_s"] for x in noops]),
        "noop_rss": summary([x["rss_kb"] for x in noops]),
        "noop_ratio": summary([x["noop_over_plan"] for x in rounds]),
        "noop_mutating": sum(x["events"]["mutating"] for x in noops) if noops else None,
        "noop_events": sum(x["events"]["total"] for x in noops) if noops else None,
        "noop_count": len(noops),
        "noop_capped": any(x["events"].get("capped") for x in noops),
        "openssh_wall": summary([x["wall_s"] for x in r.get("openssh", []) if x["rc"] == 0])
        if rtt == "0" else None,
        "openssh_failed": sum(1 for x in r.get("openssh", []) if x["rc"] != 0) if rtt == "0" else 0,
        "fresh": (r.get("fresh_apply") or {}).get("wall_s") if rtt == "0" else None,
        "serial": (r.get("serial_ref") or {}).get("create_start_sum_s") if rtt == "0" else None,
    }


def rtt_keys(r):
    """The RTT keys of one host count, in increasing RTT."""
    return sorted(rtt_sections(r), key=float) or ["0"]


def render_plot(results, png):
    """plan wall time vs H (median, min..max bars): jlrec, the floor, OpenSSH; gnuplot."""
    if not shutil.which("gnuplot"):
        log("gnuplot not found (apt-get install gnuplot-nox): no plot")
        return False
    rows = []
    for H in sorted(results.get("hosts", {}), key=int):
        s = host_stats(results["hosts"][H])
        rows.append((int(H), s["plan_wall"], s["floor_wall"], s["openssh_wall"]))
    if not any(r[1] for r in rows):
        log("no plan figures yet: no plot")
        return False
    with tempfile.TemporaryDirectory() as tmp:
        series = []
        for idx, (title, style) in enumerate([("jlrec plan --all (full refresh)", "lc rgb '#1f77b4' pt 7"),
                                              ("floor: ssh\\_floor\\_probe", "lc rgb '#2ca02c' pt 5"),
                                              ("context: OpenSSH + curl, xargs -P", "lc rgb '#7f7f7f' pt 9 dt 2")]):
            path = os.path.join(tmp, f"s{idx}.dat")
            with open(path, "w") as f:
                for row in rows:
                    st = row[1 + idx]
                    if st:
                        f.write(f"{row[0]} {st['median'] * 1000} {st['min'] * 1000} {st['max'] * 1000}\n")
            if os.path.getsize(path):
                series.append(f"'{path}' using 1:2:3:4 with yerrorlines title '{title}' lw 2 {style}")
        meta = results.get("meta", {})
        script = f"""
set terminal pngcairo size 900,560 enhanced font 'DejaVu Sans,10'
set output '{png}'
set title "jlrec plan vs the SSH floor ({meta.get('nproc', '?')} cores, lab on loopback, \
C={meta.get('containers_per_host', '?')} containers/host, parallelism {meta.get('plan_parallelism', '?')}; \
median, bars min..max)"
set logscale x
set logscale y
set xlabel 'hosts (H)'
set ylabel 'wall time (ms)'
set xtics ({', '.join(str(r[0]) for r in rows)})
set xrange [{min(r[0] for r in rows) * 0.8}:{max(r[0] for r in rows) * 1.25}]
set grid
set key top left
plot {', '.join(series)}
"""
        res = subprocess.run(["gnuplot"], input=script, text=True, stderr=subprocess.PIPE)
        if res.returncode != 0:
            log(f"gnuplot failed: {res.stderr}")
            return False
    return True


def target_rows(results):
    hosts = results.get("hosts", {})
    stats = {int(H): host_stats(r) for H, r in hosts.items()}
    rows = []

    def verdict(value, ok):
        return ("not measured", "–") if value is None else (value, "PASS" if ok else "MISS")

    def add(target, value, ok):
        v, p = verdict(value, ok)
        rows.append((target, v, p))

    s250 = stats.get(250, {})
    for rtt, limit in (("0", 1.3), ("20", 1.2)):
        r = host_stats(hosts["250"], rtt)["ratio"] if "250" in hosts else None
        add(f"plan --all H=250 RTT {rtt}: jlrec/floor ≤ {limit} (median of paired ratios)",
            r and f"{r['median']:.2f}", r and r["median"] <= limit)
    # jlrec's own count (`plan -v`); the worst median over every host count and RTT measured.
    seq = [(host_stats(hr, k)["sequential"], H, k) for H, hr in hosts.items() for k in rtt_keys(hr)]
    seq = [(st["median"], H, k) for st, H, k in seq if st]
    worst = max(seq, key=lambda x: (x[0], int(x[1]))) if seq else None
    add("plan: sequential round trips per host after connect ≤ 2 (median over hosts, worst H/RTT)",
        worst and f"{worst[0]:g} (H={worst[1]}, RTT {worst[2]} ms)", worst and worst[0] <= 2)
    rss = s250.get("plan_rss")
    add("plan at H=250: peak RSS < 150 MB (max of runs)", rss and f"{fmt_mb(rss['max'])} MB",
        rss and rss["max"] * 1024 / 1e6 < 150)
    w1 = stats.get(1, {}).get("plan_wall")
    add("plan at H=1: < 300 ms wall (median)", w1 and f"{fmt_ms(w1['median'])} ms",
        w1 and w1["median"] < 0.3)
    cached = results.get("cached", {})
    cw = summary([x["wall_s"] for x in cached.get("runs", [])])
    cr = summary([x["rss_kb"] for x in cached.get("runs", [])])
    n = cached.get("containers", "10,000")
    add(f"cached plan at {n} containers: < 100 ms wall (median)", cw and f"{fmt_ms(cw['median'])} ms",
        cw and cw["median"] < 0.1)
    add(f"cached plan at {n} containers: < 100 MB RSS (max of runs)", cr and f"{fmt_mb(cr['max'])} MB",
        cr and cr["max"] * 1024 / 1e6 < 100)
    for H in sorted(stats):
        nr = stats[H]["noop_ratio"]
        add(f"no-op apply at H={H}: ≤ 1.2× plan time (median of paired ratios)",
            nr and f"{nr['median']:.2f}×", nr and nr["median"] <= 1.2)
    # Every no-op apply counts, at every RTT.
    measured = {}
    for H, hr in hosts.items():
        parts = [host_stats(hr, k) for k in rtt_keys(hr)]
        parts = [p for p in parts if p["noop_mutating"] is not None]
        if parts:
            measured[int(H)] = {"noop_mutating": sum(p["noop_mutating"] for p in parts),
                                "noop_count": sum(p["noop_count"] for p in parts),
                                "noop_capped": any(p["noop_capped"] for p in parts)}
    if measured:
        total = sum(s["noop_mutating"] for s in measured.values())
        detail = ", ".join(f"H={H}: {s['noop_mutating']} in {s['noop_count']}" for H, s in sorted(measured.items()))
        capped = [H for H, s in sorted(measured.items()) if s["noop_capped"]]
        if capped and total == 0:
            rows.append(("no-op apply: zero mutating Docker calls (events in the no-op windows)",
                         f"inconclusive: dockerd's event log (256) overflowed at H={capped} ({detail})",
                         "MISS"))
        else:
            add("no-op apply: zero mutating Docker calls (events in the no-op windows)",
                f"{total} ({detail})", total == 0)
    else:
        add("no-op apply: zero mutating Docker calls", None, False)
    s50 = stats.get(50, {})
    sp = s50.get("serial") / s50["fresh"] if s50.get("serial") and s50.get("fresh") else None
    add("fresh apply at H=50: ≥ 3× faster than the serial reference",
        sp and f"{sp:.2f}× ({fmt_s(s50['fresh'])} s vs {fmt_s(s50['serial'])} s)", sp and sp >= 3)
    return rows


def cmd_report(args):
    with open(args.results) as f:
        results = json.load(f)
    meta = results.get("meta", {})
    root = os.path.dirname(os.path.abspath(args.out))
    png_ok = render_plot(results, args.plot)
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Written by `bench/run.sh` (issue 8); re-render from the raw results with "
             "`python3 bench/harness.py report`. Every figure is over repeated runs: "
             "min / median / max. Wall time is from fork to exit of the measured process; "
             "RSS is its peak (`ru_maxrss`, read by GNU time around it); MB = 10⁶ bytes.")
    L.append("")
    L.append("## Machine")
    L.append("")
    commit = meta.get("commit", "?") + (" (dirty: uncommitted changes)" if meta.get("dirty") else "")
    for k, v in [("date", meta.get("date")), ("commit", commit),
                 ("jlrec", meta.get("jlrec_version")),
                 ("CPU", f"{meta.get('nproc')} cores, {meta.get('cpu')}"),
                 ("memory", f"{meta.get('mem_gib')} GiB"),
                 ("OS / kernel", f"{meta.get('os')} / {meta.get('kernel')}"),
                 ("lab", meta.get("lab")),
                 ("docker / OpenSSH / libssh", f"{meta.get('docker')} / {meta.get('openssh')} / "
                                               f"libssh {meta.get('libssh')}"),
                 ("parameters", f"C={meta.get('containers_per_host')} containers per host, "
                                f"{meta.get('repeats')} paired rounds, "
                                f"{meta.get('openssh_repeats')} OpenSSH runs; hosts share "
                                f"ceil(H/{meta.get('hosts_per_dockerd')}) dockerds from "
                                f"H={meta.get('shared_from')}; parallelism "
                                f"{meta.get('plan_parallelism')} (jlrec plan's default) for jlrec "
                                f"plan, the floor probe and xargs -P; jlrec apply default "
                                f"--parallelism {meta.get('apply_parallelism')} actions")]:
        L.append(f"- **{k}**: {v}")
    L.append("")
    if png_ok:
        L.append(f"![plan wall time vs hosts]({os.path.relpath(args.plot, root)})")
        L.append("")

    L.append("## Targets")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for target, value, verdict in target_rows(results):
        L.append(f"| {target} | {value} | {verdict} |")
    L.append("")

    L.append("## Figures")
    L.append("")
    L.append("| H | RTT ms | containers | figure | unit | runs | min | median | max |")
    L.append("|---:|---:|---:|---|---|---:|---:|---:|---:|")
    notes = []
    for H in sorted(results.get("hosts", {}), key=int):
        r = results["hosts"][H]
        n = r.get("containers", "?")
        s0 = host_stats(r)
        if r.get("shared_dockerds"):
            notes.append(f"H={H}: {r['shared_dockerds']} shared dockerds.")
        if r.get("status") == "error":
            notes.append(f"H={H}: **failed**: {r.get('error', '').splitlines()[0] if r.get('error') else '?'}"
                         " (figures up to the failure are kept).")
        if r.get("status") not in ("ok", "error"):
            notes.append(f"H={H}: incomplete ({r.get('status')}); figures up to the stop are kept.")
        if (r.get("plan_check") or {}).get("rc") not in (0, None):
            notes.append(f"H={H}: `jlrec plan --all --detailed-exitcode` exited "
                         f"{r['plan_check']['rc']} after the apply (expected 0, no changes).")
        if s0["openssh_failed"]:
            notes.append(f"H={H}: {s0['openssh_failed']} OpenSSH fan-out run(s) failed (not in the figures).")
        for rtt in rtt_keys(r):
            s = host_stats(r, rtt)
            if s["noop_capped"]:
                notes.append(f"H={H} RTT {rtt} ms: at least one dockerd logged ≥ 256 events during a no-op "
                             "apply: its event log overflowed, so the event counts are lower bounds.")
            census = (rtt_sections(r).get(rtt) or {}).get("census")
            if census and not census.get("hosts"):
                notes.append(f"H={H} RTT {rtt} ms: `jlrec plan -v` printed no `round trips:` lines "
                             "(this jlrec does not count them): requests and round trips unknown.")
            proof = s["proof"]
            if proof and proof.get("handshake_expected_ms") is not None:
                notes.append(
                    f"H={H} RTT {rtt} ms, relay proof: the floor probe's handshake took "
                    f"{proof['handshake_ms']:.0f} ms, expected {proof['handshake_expected_ms']:.0f} ms = "
                    f"{proof['baseline_handshake_ms']:.0f} ms ({proof.get('baseline', 'RTT 0')}) + "
                    f"({proof['handshake_turns']:g} turns "
                    f"the relay saw + 1 for the TCP connect) × {rtt} ms; its whole session "
                    f"{fmt_ms0(proof['session_ms'])} ms, expected {fmt_ms0(proof['session_expected_ms'])} ms "
                    f"({fmt_num(proof['session_turns'])} turns + 1).")

            def row(figure, unit, stat, fmt):
                if stat:
                    L.append(f"| {H} | {rtt} | {n} | {figure} | {unit} | {stat['n']} | "
                             + " | ".join(mmm(stat, fmt)) + " |")

            def one(figure, unit, value, fmt):
                if value is not None:
                    v = fmt(value)
                    L.append(f"| {H} | {rtt} | {n} | {figure} | {unit} | 1 | {v} | {v} | {v} |")

            row("jlrec plan --all (full refresh): wall", "ms", s["plan_wall"], fmt_ms)
            row("jlrec plan --all: peak RSS", "MB", s["plan_rss"], fmt_mb)
            row("floor (ssh_floor_probe): wall", "ms", s["floor_wall"], fmt_ms)
            row("floor: peak RSS", "MB", s["floor_rss"], fmt_mb)
            row("**jlrec/floor, paired per round**", "×", s["ratio"], fmt_x)
            row("plan: requests per host (`plan -v`, over hosts)", "count", s["requests"], fmt_num)
            row("plan: sequential round trips per host after connect (`plan -v`, over hosts)", "count",
                s["sequential"], fmt_num)
            row("plan: turns per SSH connection seen by the relay (median per run)", "count",
                s["plan_turns"], fmt_num)
            row("floor: handshake phase (TCP + SSH key exchange), median over hosts", "ms",
                s["floor_handshake"] and {k: (v / 1000 if k != "n" else v)
                                          for k, v in s["floor_handshake"].items()}, fmt_ms)
            row("floor through a relay without delay (the proof's baseline): handshake phase", "ms",
                s["floor0_handshake"] and {k: (v / 1000 if k != "n" else v)
                                           for k, v in s["floor0_handshake"].items()}, fmt_ms)
            row("relay CPU (user+sys) / wall, per measured command", "×", s["relay_cpu"], fmt_x)
            row("relay: mean lateness of a chunk after its due time, per measured command", "ms",
                s["relay_late"] and {k: (v / 1000 if k != "n" else v) for k, v in s["relay_late"].items()},
                fmt_ms)
            row("OpenSSH + curl fan-out (context): wall", "ms", s["openssh_wall"], fmt_ms)
            one("jlrec apply, fresh (creates every container): wall", "s", s["fresh"], fmt_s)
            sr = (r.get("serial_ref") or {}) if rtt == "0" else {}
            if sr:
                label = "serial reference: Σ create+start" + (
                    f" (mean of {sr['measured']} × {sr['containers']})" if sr.get("extrapolated") else "")
                one(label, "s", sr.get("create_start_sum_s"), fmt_s)
                one("serial reference incl. /run.sh upload: Σ create+upload+start", "s",
                    sr.get("create_upload_start_sum_s"), fmt_s)
                row("serial reference: one create+start", "ms", sr.get("per_container_create_start_s"), fmt_ms)
                if s["fresh"] and sr.get("create_start_sum_s"):
                    one("fresh apply speed-up over the serial reference", "×",
                        sr["create_start_sum_s"] / s["fresh"], fmt_x)
            row("jlrec apply, no-op: wall", "ms", s["noop_wall"], fmt_ms)
            row("jlrec apply, no-op: peak RSS", "MB", s["noop_rss"], fmt_mb)
            row("no-op apply/plan, paired per round", "×", s["noop_ratio"], fmt_x)
            if s["noop_mutating"] is not None and s["noop_count"]:
                L.append(f"| {H} | {rtt} | {n} | no-op apply: mutating Docker events (all no-op runs) | "
                         f"count | {s['noop_count']} | | {s['noop_mutating']} (of {s['noop_events']} events) | |")
    cached = results.get("cached", {})
    if cached.get("runs"):
        n = cached.get("containers")
        hc = cached.get("hosts")
        wall = summary([x["wall_s"] for x in cached["runs"]])
        rss = summary([x["rss_kb"] for x in cached["runs"]])
        L.append(f"| {hc} | – | {n} | jlrec plan --all --refresh=false (cached): wall | ms | {wall['n']} | "
                 + " | ".join(mmm(wall, fmt_ms)) + " |")
        L.append(f"| {hc} | – | {n} | jlrec plan --all --refresh=false: peak RSS | MB | {rss['n']} | "
                 + " | ".join(mmm(rss, fmt_mb)) + " |")
        cold = cached.get("cold")
        if cold:
            L.append(f"| {hc} | – | {n} | the first such plan after a manifest change (full load): "
                     f"wall / peak RSS | ms / MB | 1 | | {fmt_ms(cold['wall_s'])} / "
                     f"{fmt_mb(cold['rss_kb'])} | |")
        if cached.get("check_rc") not in (0, None):
            notes.append(f"cached: `plan --refresh=false --detailed-exitcode` exited {cached['check_rc']} "
                         "(expected 0: the generated cache should match the manifest).")
    # A merged run: say which parts were measured with which binaries.
    provenance = {}
    for label, part in [*((f"H={H}", r) for H, r in sorted(results.get("hosts", {}).items(),
                                                            key=lambda kv: int(kv[0]))),
                        ("cached plan", cached)]:
        at = (part or {}).get("measured_at")
        if at:
            key = (at.get("commit") or "?") + (" (dirty)" if at.get("dirty") else "") + \
                f", {at.get('date')}"
            provenance.setdefault(key, []).append(label)
    if len(provenance) > 1:
        notes.append("measured in separate runs (`BENCH_MERGE=1`): " + "; ".join(
            f"{', '.join(labels)} at commit {key}" for key, labels in provenance.items()) + ".")
    if cached.get("status") == "error":
        notes.append(f"cached plan **failed**: {cached.get('error', '').splitlines()[0]}")
    L.append("")
    L.append("How each figure is taken (bench/README.md has more): the fresh apply is one run "
             "(image pulled beforehand); the no-op apply runs once after it and once per round; "
             "a round is `jlrec plan --all`, then the floor probe, then a no-op apply, back to back; "
             "mutating Docker events are every event dockerd logged during the no-op applies "
             "except `archive-path` (a read).")
    if notes:
        L.append("")
        L.append("Notes:")
        L.append("")
        L += [f"- {x}" for x in notes]
    L.append("")
    # Figures taken by hand (serve, state backends) live in their own file so that a re-render
    # from the harness's results cannot drop them.
    if os.path.exists(args.by_hand):
        L.append("<!-- from bench/measured-by-hand.md: not measured by bench/run.sh -->")
        L.append("")
        with open(args.by_hand) as f:
            L.append(f.read().rstrip())
        L.append("")
    L.append("## Analysis")
    L.append("")
    L.append("<!-- from bench/analysis.md; everything above it but measured-by-hand.md is generated -->")
    L.append("")
    if os.path.exists(args.analysis):
        with open(args.analysis) as f:
            L.append(f.read().rstrip())
    else:
        L.append("_Not written yet (bench/analysis.md)._")
    L.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(L))
    log(f"wrote {args.out}" + (f" and {args.plot}" if png_ok else ""))
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    default_results = os.path.join(here, "results", "latest.json")

    r = sub.add_parser("run", help="measure (root, uses the lab)")
    r.add_argument("--src", default=root, help="source tree: lab.sh, gen_manifest.py, git commit")
    r.add_argument("--build", default=os.path.join(root, "build-bench"),
                   help="build dir holding jlrec, ssh_floor_probe, cached_state_fixture")
    r.add_argument("--hosts", default="1 10 50 100 250", help="host counts, space separated")
    r.add_argument("--containers", type=int, default=4, help="containers per host (C)")
    r.add_argument("--repeats", type=int, default=7)
    r.add_argument("--openssh-repeats", type=int, default=3)
    r.add_argument("--shared-from", type=int, default=50, help="hosts share dockerds from this H")
    r.add_argument("--hosts-per-dockerd", type=int, default=10)
    r.add_argument("--serial-max", type=int, default=200,
                   help="containers in the serial reference (0 = all); beyond, the mean is scaled")
    r.add_argument("--cached-shape", default="250 40 10", help="HOSTS CONTAINERS GROUPS")
    r.add_argument("--skip-cached", action="store_true")
    r.add_argument("--work", default=None, help="scratch dir (default BUILD/bench-work)")
    r.add_argument("--results", default=default_results)
    r.add_argument("--merge", action="store_true",
                   help="keep other host counts already in the results file")
    r.add_argument("--rtt-ms", default="0 20",
                   help="round-trip times (ms) the rounds run at, through bench/latency_relay")
    r.add_argument("--use-running-lab", action="store_true",
                   help="measure on the lab as it is (no lab down/up/preload; H <= its hosts); "
                        "the bench's containers are removed afterwards")
    r.add_argument("--skip-serial", action="store_true", help="no serial reference")

    rep = sub.add_parser("report", help="render BENCHMARKS.md and the plot")
    rep.add_argument("--results", default=default_results)
    rep.add_argument("--out", default=os.path.join(root, "BENCHMARKS.md"))
    rep.add_argument("--plot", default=os.path.join(here, "plan_vs_hosts.png"))
    rep.add_argument("--analysis", default=os.path.join(here, "analysis.md"))
    rep.add_argument("--by-hand", default=os.path.join(here, "measured-by-hand.md"),
                     help="sections measured by hand, kept before the analysis")

    args = p.parse_args()
    if args.cmd == "run":
        args.hosts = [int(x) for x in args.hosts.split()]
        args.rtt_ms = [float(x) for x in args.rtt_ms.split()]
        if any(x < 0 for x in args.rtt_ms):
            p.error("--rtt-ms: RTTs are >= 0")
        args.cached_shape = [int(x) for x in args.cached_shape.split()]
        args.work = args.work or os.path.join(args.build, "bench-work")
        # gen_manifest's groups: one per 10 hosts at least 1, like the cached shape
        args.groups = lambda H: max(1, min(10, H // 10))
        return cmd_run(args)
    return cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
