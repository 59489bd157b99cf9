"""The latency lab from Python: runs bench/latency_relay in front of the lab's sshds.

    with Relay(build_dir, [("127.0.0.2", 2222), ...], one_way_ms=10,
               known_hosts=lab_known_hosts, workdir=tmp) as relay:
        addr, port = relay.endpoint("127.0.0.2", 2222)   # connect here instead
        ... ssh with known_hosts=relay.known_hosts ...
    relay.stats()   # the relay's --stats JSON: connections, bytes, turns, CPU time

Addressing: the relay listens on each host's OWN loopback address, on one port shared by
all hosts (RELAY_BASE_PORT = 2322, or the next free one when another relay holds it: up to
RELAY_PORT_TRIES ports are tried). A manifest then only changes its port (and known_hosts),
not its addresses. Two endpoints on one address get consecutive ports.

one_way_ms == 0 starts nothing: endpoint() returns its input and known_hosts the file given,
so a caller's code path is the same with and without latency (stats() is then {}); unless
relay_at_zero=True, which runs the relay without delay: the cost of the extra hop itself
(the baseline of the relay's proof; on a loaded machine each hop waits for the scheduler).
Standard library only (the harness's rule).
"""
import json
import os
import selectors
import signal
import subprocess
import time

RELAY_BASE_PORT = 2322
RELAY_PORT_TRIES = 40
READY_TIMEOUT_S = 10
EXIT_ADDRESS_IN_USE = 3  # latency_relay's exit status when a listen address is taken


RELAY_NICE = -10


def _raise_priority():
    """In the relay's child before exec: a higher CPU priority (root only; else as it is).
    The delay stands for the network, which no CPU load slows down: on a busy machine a
    relay at normal priority wakes late for its timers and adds its wait to every hop."""
    try:
        os.nice(RELAY_NICE)
    except OSError:
        pass


class Relay:
    """A latency_relay process for the duration of a `with` block (see the module doc)."""

    def __init__(self, build_dir, endpoints, one_way_ms, known_hosts, workdir,
                 connect_delay=True, relay_at_zero=False):
        self.binary = os.path.join(build_dir, "latency_relay")
        self.endpoints = [(str(a), int(p)) for a, p in endpoints]
        self.one_way_ms = float(one_way_ms)
        self.direct = self.one_way_ms == 0 and not relay_at_zero
        self.source_known_hosts = known_hosts
        self.workdir = workdir
        self.connect_delay = connect_delay
        self.proc = None
        self.port = None
        self._map = {}
        self._stats = {}
        self._known_hosts = known_hosts
        self.stats_path = os.path.join(workdir, "relay-stats.json")

    # -- the interface -----------------------------------------------------------------

    def endpoint(self, addr, port):
        """(address, port) to connect to instead of (addr, port)."""
        if self.direct:
            return (addr, int(port))
        return self._map[(str(addr), int(port))]

    @property
    def known_hosts(self):
        """A known_hosts file that vouches for the relay endpoints (the hosts' own keys)."""
        return self._known_hosts

    def stats(self):
        """The relay's statistics, read after it exited ({} for one_way_ms == 0)."""
        return self._stats

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self):
        if self.direct:
            return self
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.binary} missing: cmake --build BUILD --target latency_relay")
        os.makedirs(self.workdir, exist_ok=True)
        for attempt in range(RELAY_PORT_TRIES):
            port = RELAY_BASE_PORT + attempt * self._ports_per_address()
            if self._start(port):
                break
        else:
            raise RuntimeError(f"latency_relay: no free port from {RELAY_BASE_PORT} "
                               f"({RELAY_PORT_TRIES} tried)")
        self._write_known_hosts()
        return self

    def __exit__(self, *exc):
        if self.proc is None:
            return False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        err = self._stderr_tail()
        self._stderr.close()
        if os.path.exists(self.stats_path):
            with open(self.stats_path) as f:
                self._stats = json.load(f)
        elif exc[0] is None:
            raise RuntimeError(f"latency_relay exited {rc} without stats: {err}")
        return False

    # -- internals ---------------------------------------------------------------------

    def _ports_per_address(self):
        counts = {}
        for a, _ in self.endpoints:
            counts[a] = counts.get(a, 0) + 1
        return max(counts.values()) if counts else 1

    def _start(self, base_port):
        """Starts the relay on base_port; False if a listen address is in use."""
        mapping, used = {}, {}
        for a, p in self.endpoints:
            if (a, p) in mapping:
                continue
            k = used.get(a, 0)
            used[a] = k + 1
            mapping[(a, p)] = (a, base_port + k)
        map_path = os.path.join(self.workdir, "relay-map.txt")
        with open(map_path, "w") as f:
            for (a, p), (ra, rp) in mapping.items():
                f.write(f"{ra} {rp} {a} {p}\n")
        if os.path.exists(self.stats_path):
            os.unlink(self.stats_path)
        argv = [self.binary, "--one-way-ms", repr(self.one_way_ms), "--map", map_path,
                "--stats", self.stats_path]
        if not self.connect_delay:
            argv.append("--no-connect-delay")
        self._stderr = open(os.path.join(self.workdir, "relay.err"), "w+")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr,
                                stdin=subprocess.DEVNULL, text=True, preexec_fn=_raise_priority)
        # "ready N" once every listener listens; any other end is a failure.
        line = self._readline(proc)
        if line == f"ready {len(mapping)}":
            self.proc, self.port, self._map = proc, base_port, mapping
            return True
        rc = proc.wait(timeout=READY_TIMEOUT_S)
        if rc == EXIT_ADDRESS_IN_USE:
            return False
        raise RuntimeError(f"latency_relay did not start (exit {rc}, said {line!r}): "
                           f"{self._stderr_tail()}")

    @staticmethod
    def _readline(proc):
        deadline = time.monotonic() + READY_TIMEOUT_S
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if sel.select(timeout=deadline - time.monotonic()):
                    return proc.stdout.readline().strip()
        proc.kill()
        return ""

    def _stderr_tail(self):
        self._stderr.seek(0)
        return self._stderr.read()[-1000:]

    def _write_known_hosts(self):
        """The source file plus, for every line naming a relayed endpoint, the same key under
        the relay's [addr]:port. Hashed host names (|1|...) cannot be matched and are kept
        as they are; the lab writes plain ones."""
        def names(field):
            out = set()
            for name in field.split(","):
                if name.startswith("[") and "]:" in name:
                    host, _, port = name[1:].partition("]:")
                    out.add((host, int(port)))
                else:
                    out.add((name, 22))
            return out

        lines = []
        with open(self.source_known_hosts) as f:
            for line in f:
                lines.append(line.rstrip("\n"))
                fields = line.split(None, 1)
                if len(fields) < 2 or line.startswith("#") or fields[0].startswith("@"):
                    continue
                for ep in names(fields[0]):
                    if ep in self._map:
                        ra, rp = self._map[ep]
                        lines.append(f"[{ra}]:{rp} {fields[1].rstrip()}")
        self._known_hosts = os.path.join(self.workdir, "relay-known_hosts")
        with open(self._known_hosts, "w") as f:
            f.write("\n".join(lines) + "\n")
