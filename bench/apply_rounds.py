#!/usr/bin/env python3
"""Fresh apply against its own floor: paired rounds of `jlrec apply` and bench/apply_floor.

usage: apply_rounds.py --build BUILD [--hosts H] [--containers C] [--repeats N]
                       [--rtt-ms MS] [--work DIR] [--results FILE] [--project NAME]

On the lab as it is (tests/lab/lab.sh up; never taken down or restarted here): its first H
hosts, C containers each, from bench/gen_manifest.py (project and container names made this
script's own, so that other users of the lab are not touched). Wrap it in the lab's lock:
  flock -o /tmp/jlrec-lab.lock python3 bench/apply_rounds.py --build build

Setup: the project's containers are removed, `jlrec plan --all --json` gives the order the
creates run in, and one warm-up `jlrec apply` (not measured) makes the containers the floor
copies: for each, the POST /containers/create body jlrec sends (ContainerCreateBody:
Image, Cmd, the jlrec.* labels, restart policy, network mode, no ports, no binds) and the
/run.sh tar jlrec uploaded (read back from the container: the same bytes, rendered by
jlrec from the manifest). Then REPEATS rounds, each:
  remove the containers; apply_floor (create + PUT /run.sh + start per container, jlrec
  apply's parallelism); remove; `jlrec apply --all --auto-approve` on a new state file;
  ratio = jlrec wall / floor wall (both as whole processes, start to exit).
The figure is the median of the per-round ratios. With --rtt-ms > 0 both go through
bench/relay.py's latency relay (RTT/2 each way) in the same round. Results as JSON.
Standard library only (the harness's rule).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)

# Hosts connected at once by the refresh that opens every apply: jlrec's CommonFlags
# default (cli/run_context.h), which `jlrec apply` keeps unless --parallelism is larger.
REFRESH_PARALLELISM = 32


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run(argv, timeout=900, check=True):
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {res.returncode}:\n{res.stdout[-3000:]}")
    return res.stdout


def timed(argv, out_path, timeout=1800):
    """Runs argv with its output to out_path; returns (rc, wall seconds)."""
    with open(out_path, "w") as out:
        t0 = time.monotonic()
        rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            timeout=timeout).returncode
        return rc, time.monotonic() - t0


def curl_unix(sock, method, path, data_file=None, content_type=None, out=None, timeout=120):
    """One Docker API call over a dockerd's unix socket; returns (http_code, body bytes)."""
    argv = ["curl", "-s", "--max-time", str(timeout), "--unix-socket", sock, "-X", method,
            "-w", "\n%{http_code}"]
    if content_type:
        argv += ["-H", f"Content-Type: {content_type}"]
    if data_file is not None:
        argv += ["--data-binary", f"@{data_file}"]
    if out is not None:
        argv += ["-o", out]
    argv.append(f"http://docker{path}")
    res = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         timeout=timeout + 10)
    body, _, code = res.stdout.rpartition(b"\n")
    if res.returncode != 0 or not code.strip().isdigit():
        raise RuntimeError(f"curl {method} {path} on {sock}: exit {res.returncode}")
    return int(code), body


def lab_settings():
    settings = {}
    for line in run(["bash", os.path.join(SRC, "tests", "lab", "lab.sh"), "env"]).splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            settings[k] = v
    return settings


def remove_project(sockets, project):
    """docker rm -f of every container labelled with the project, on every dockerd."""
    flt = json.dumps({"label": [f"jlrec.project={project}"]})
    query = "all=1&filters=" + urllib_quote(flt)
    removed = 0
    for sock in sorted(set(sockets)):
        code, body = curl_unix(sock, "GET", f"/containers/json?{query}")
        if code != 200:
            raise RuntimeError(f"list on {sock}: HTTP {code}")
        for c in json.loads(body):
            code, body = curl_unix(sock, "DELETE", f"/containers/{c['Id']}?force=1&v=1")
            if code not in (204, 404):
                raise RuntimeError(f"remove {c['Id'][:12]} on {sock}: HTTP {code} {body[:200]!r}")
            removed += 1
        code, body = curl_unix(sock, "GET", f"/containers/json?{query}")
        if json.loads(body):
            raise RuntimeError(f"containers of {project} left on {sock} after removal")
    return removed


def urllib_quote(s):
    from urllib.parse import quote
    return quote(s, safe="")


def write_manifest(path, hosts, per_host, groups, project, endpoints, sockets, known_hosts):
    """gen_manifest.py's lab manifest, with this script's project and container names, and
    each host's SSH endpoint (the relay's under latency), docker socket (the lab's own, which
    is a shared dockerd's on a lab brought up with JLREC_LAB_SHARED_DOCKERDS) and
    known_hosts."""
    run([sys.executable, os.path.join(HERE, "gen_manifest.py"), str(hosts), str(per_host),
         str(groups), path])
    with open(path) as f:
        text = f.read()
    text = text.replace("project: bench\n", f"project: {project}\n", 1)
    text = re.sub(r"^(  known_hosts: ).*$", lambda m: m.group(1) + known_hosts, text, count=1,
                  flags=re.M)
    for n in range(1, hosts + 1):
        addr, port = endpoints[n - 1]
        text, replaced = re.subn(rf"^  b{n}: {{address: [0-9.]+, docker_socket: [^}}]+}}$",
                                 f"  b{n}: {{address: {addr}, port: {port}, "
                                 f"docker_socket: {sockets[n - 1]}}}", text, count=1, flags=re.M)
        if replaced != 1:
            raise RuntimeError(f"gen_manifest.py wrote no host line for b{n}")
        text = re.sub(rf"\bb{n}_c(\d+)\b", rf"{project}_b{n}_c\1", text)
    with open(path, "w") as f:
        f.write(text)


def create_body(inspect):
    """The POST /containers/create body jlrec sent for this container (ContainerCreateBody
    in providers/docker_container_json.cpp), read back from what Docker made of it: the
    bench manifest has no ports, volumes, healthcheck or labels of its own."""
    config, host_config = inspect["Config"], inspect["HostConfig"]
    labels = {k: v for k, v in (config.get("Labels") or {}).items() if k.startswith("jlrec.")}
    policy = host_config.get("RestartPolicy") or {}
    body = {
        "Image": config["Image"],
        "Labels": labels,
        "ExposedPorts": {},
        "HostConfig": {
            "Binds": [],
            "RestartPolicy": {"Name": policy.get("Name", ""),
                              "MaximumRetryCount": policy.get("MaximumRetryCount", 0)},
            "PortBindings": {},
            "NetworkMode": host_config.get("NetworkMode", ""),
        },
    }
    if config.get("Cmd"):
        body["Cmd"] = config["Cmd"]
    return body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="build dir with jlrec, apply_floor "
                    "(and latency_relay for --rtt-ms > 0)")
    ap.add_argument("--hosts", type=int, default=0, help="lab hosts used (default: all)")
    ap.add_argument("--containers", type=int, default=4, help="containers per host")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rtt-ms", type=float, default=0.0, help="round-trip time added by the relay")
    ap.add_argument("--work", default="/tmp/jlrec-apply-rounds")
    ap.add_argument("--results", default=None, help="JSON results (default WORK/results.json)")
    ap.add_argument("--project", default="applyfloor",
                    help="project (and container name prefix) of the bench's containers")
    a = ap.parse_args()
    if a.repeats < 1:
        sys.exit("apply_rounds: --repeats must be at least 1")
    jlrec = os.path.join(a.build, "jlrec")
    floor = os.path.join(a.build, "apply_floor")
    for tool in (jlrec, floor):
        if not os.access(tool, os.X_OK):
            sys.exit(f"apply_rounds: {tool} missing (cmake --build BUILD --target jlrec apply_floor)")
    settings = lab_settings()
    H = a.hosts or int(settings["JLREC_LAB_HOSTS"])
    if H > int(settings["JLREC_LAB_HOSTS"]):
        sys.exit(f"apply_rounds: the lab has {settings['JLREC_LAB_HOSTS']} hosts, not {H}")
    C = a.containers
    port = int(settings["JLREC_LAB_PORT"])
    hosts = [(settings[f"JLREC_LAB_H{n}_ADDRESS"], port, settings[f"JLREC_LAB_H{n}_DOCKER_SOCKET"])
             for n in range(1, H + 1)]
    sockets = [h[2] for h in hosts]
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    results_path = a.results or os.path.join(a.work, "results.json")
    help_text = run([jlrec, "apply", "--help"])
    m = re.search(r"--parallelism arg \(=(\d+)\)", help_text)
    if not m:
        sys.exit("apply_rounds: no default --parallelism in `jlrec apply --help`")
    parallelism = int(m.group(1))
    max_per_host = 4  # the manifest sets none: DesiredState::max_per_host's default
    groups = max(1, min(10, H // 10))  # the harness's shape

    from relay import Relay  # bench/relay.py
    result = {
        "figure": f"fresh apply, H={H}: jlrec / apply floor", "hosts": H,
        "containers_per_host": C, "containers": H * C, "repeats": a.repeats, "rtt_ms": a.rtt_ms,
        "apply_parallelism": parallelism, "max_per_host": max_per_host,
        "connect_parallelism": REFRESH_PARALLELISM,
        "jlrec_version": run([jlrec, "--version"]).strip().splitlines()[0],
        "commit": run(["git", "-C", SRC, "rev-parse", "HEAD"]).strip(),
        "dirty": bool(run(["git", "-C", SRC, "status", "--porcelain", "--untracked-files=no"]).strip()),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "rounds": [], "status": "running",
    }

    def save():
        tmp = results_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
        os.replace(tmp, results_path)

    try:
        with Relay(a.build, [(h[0], h[1]) for h in hosts], a.rtt_ms / 2.0,
                   settings["JLREC_LAB_KNOWN_HOSTS"], os.path.join(a.work, "relay")) as relay:
            endpoints = [relay.endpoint(h[0], h[1]) for h in hosts]
            manifest = os.path.join(a.work, "jlrec.yaml")
            write_manifest(manifest, H, C, groups, a.project, endpoints, sockets,
                           relay.known_hosts)
            hosts_file = os.path.join(a.work, "hosts.txt")
            with open(hosts_file, "w") as f:
                for (addr, p), (_, _, sock) in zip(endpoints, hosts):
                    f.write(f"{addr} {p} {sock}\n")

            def jlrec_argv(state, *argv):
                return [jlrec, *argv, "-m", manifest, "--state", state, "--no-color"]

            log(f"H={H} x {C} containers, RTT {a.rtt_ms:g} ms, {a.repeats} rounds; removed "
                f"{remove_project(sockets, a.project)} leftover containers")
            setup_state = os.path.join(a.work, "setup.db")
            res = subprocess.run(jlrec_argv(setup_state, "plan", "--all", "--json"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, timeout=600)
            try:
                plan = json.loads(res.stdout)
            except ValueError:
                raise RuntimeError(f"jlrec plan --json exited {res.returncode}: {res.stderr[-2000:]}")
            order = [(x["host"], x["container"]) for x in plan["actions"]]
            if len(order) != H * C or any(x["action"] != "create" for x in plan["actions"]):
                raise RuntimeError(f"the plan is not {H * C} creates: {res.stdout[:2000]}")
            log("warm-up apply (not measured): the floor copies its containers")
            rc, wall = timed(jlrec_argv(setup_state, "apply", "--all", "--auto-approve"),
                             os.path.join(a.work, "warmup.out"))
            if rc != 0:
                raise RuntimeError(f"warm-up apply exited {rc}: see {a.work}/warmup.out")
            result["warmup_apply_s"] = wall
            copies = os.path.join(a.work, "containers")
            os.makedirs(copies)
            lines = []
            for host_key, name in order:
                n = int(host_key[1:])  # b{n}: lab host n
                sock = sockets[n - 1]
                code, body = curl_unix(sock, "GET", f"/containers/{name}/json")
                if code != 200:
                    raise RuntimeError(f"inspect {name}: HTTP {code}")
                body_path = os.path.join(copies, f"{name}.json")
                with open(body_path, "w") as f:
                    json.dump(create_body(json.loads(body)), f, separators=(",", ":"))
                tar_path = os.path.join(copies, f"{name}.tar")
                code, _ = curl_unix(sock, "GET", f"/containers/{name}/archive?path=%2Frun.sh",
                                    out=tar_path)
                if code != 200:
                    raise RuntimeError(f"read /run.sh of {name}: HTTP {code}")
                lines.append(f"{n - 1} {name} {body_path} {tar_path}\n")
            containers_file = os.path.join(a.work, "containers.txt")
            with open(containers_file, "w") as f:
                f.writelines(lines)
            floor_argv = [floor, hosts_file, containers_file, settings["JLREC_LAB_IDENTITY"],
                          relay.known_hosts, str(parallelism), str(max_per_host),
                          str(REFRESH_PARALLELISM)]
            save()

            for i in range(1, a.repeats + 1):
                r = {"round": i}
                remove_project(sockets, a.project)
                rc, wall = timed(floor_argv, os.path.join(a.work, f"floor-{i}.out"))
                with open(os.path.join(a.work, f"floor-{i}.out")) as f:
                    reported = f.read().strip().splitlines()
                r["floor"] = {"rc": rc, "wall_s": wall, "reported": reported[-1] if reported else ""}
                if rc != 0:
                    raise RuntimeError(f"apply_floor exited {rc}: {' '.join(reported[-5:])}")
                remove_project(sockets, a.project)
                state = os.path.join(a.work, f"state-{i}.db")
                rc, wall = timed(jlrec_argv(state, "apply", "--all", "--auto-approve"),
                                 os.path.join(a.work, f"apply-{i}.out"))
                r["jlrec"] = {"rc": rc, "wall_s": wall}
                if rc != 0:
                    raise RuntimeError(f"jlrec apply exited {rc}: see {a.work}/apply-{i}.out")
                r["ratio"] = r["jlrec"]["wall_s"] / r["floor"]["wall_s"]
                result["rounds"].append(r)
                save()
                log(f"round {i}: jlrec {r['jlrec']['wall_s'] * 1000:.0f} ms, floor "
                    f"{r['floor']['wall_s'] * 1000:.0f} ms ({r['floor']['reported']}), "
                    f"ratio {r['ratio']:.2f}")
        # Read once the relay has exited (it writes them then).
        result["relay_stats"] = relay.stats()
    except BaseException as e:
        result["status"] = "error"
        result["error"] = str(e)
        save()
        raise
    finally:
        try:
            remove_project(sockets, a.project)
        except Exception as e:  # best effort: the next run removes leftovers first
            log(f"could not remove the bench containers: {e}")
    rounds = result["rounds"]
    result["median_ratio"] = statistics.median(r["ratio"] for r in rounds)
    result["median_jlrec_s"] = statistics.median(r["jlrec"]["wall_s"] for r in rounds)
    result["median_floor_s"] = statistics.median(r["floor"]["wall_s"] for r in rounds)
    result["status"] = "ok"
    save()
    print(json.dumps({k: result[k] for k in ("figure", "rtt_ms", "median_jlrec_s", "median_floor_s",
                                             "median_ratio")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
