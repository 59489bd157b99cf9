#!/usr/bin/env python3
"""SQLite and PostgreSQL state side by side at fleet scale (issue 19).

Two figures, each over paired rounds that alternate the backends (a slow moment of the shared
machine then hits both):
  * the cached plan: `jlrec plan --all --refresh=false` on a state filled by
    cached_state_fixture (HOSTS x CONTAINERS containers, matching the manifest), wall and peak
    RSS of the real binary;
  * the no-op apply: state_backend_bench, the real Reconciler over in-memory hosts (so the
    hosts cost nothing and what differs is the state store): the apply lock, closing dead
    runs, a refresh of every host recorded in one transaction, the plan.
PostgreSQL is the lab's server (bash tests/lab/lab.sh up): two databases of its own, made
fresh here. Usage: bench/state_backends.py BUILD_DIR [--shape "250 40 10"] [--repeats 7]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def lab_env():
    path = os.environ.get("JLREC_LAB_DIR", "/var/lib/jlrec-lab") + "/lab.env"
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    if not env.get("JLREC_LAB_POSTGRES_URL"):
        sys.exit(f"{path} has no PostgreSQL server: bash tests/lab/lab.sh up")
    return env


def admin(env, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", env["JLREC_LAB_POSTGRES_ADMIN"], "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def fresh_database(env, name):
    admin(env, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(env, f"CREATE DATABASE {name} OWNER jlrec")
    base = env["JLREC_LAB_POSTGRES_URL"]
    return base[:base.rindex("/") + 1] + name


def timed(argv, env):
    """Wall seconds and peak RSS (KiB) of one run; fails on a non-zero exit."""
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return wall, int(p.stderr.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--shape", default="250 40 10", help="HOSTS CONTAINERS GROUPS")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--work", default="/tmp/jlrec-state-backends")
    args = ap.parse_args()
    env = lab_env()
    run_env = dict(os.environ, PGPASSFILE=env["JLREC_LAB_POSTGRES_PASSFILE"], NO_COLOR="1")
    jlrec = os.path.join(args.build, "jlrec")
    fixture = os.path.join(args.build, "cached_state_fixture")
    bench = os.path.join(args.build, "state_backend_bench")
    H, C, G = args.shape.split()

    shutil.rmtree(args.work, ignore_errors=True)
    states = {}
    for backend in ("sqlite", "postgresql"):
        d = os.path.join(args.work, backend)
        os.makedirs(d)
        manifest = os.path.join(d, "jlrec.yaml")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_manifest.py"), H, C, G, manifest],
                       check=True, stdout=subprocess.DEVNULL)
        state = os.path.join(d, "state.db") if backend == "sqlite" else fresh_database(env, "jlrec_bench_plan")
        print(subprocess.run([fixture, manifest, state], env=run_env, check=True, text=True,
                             stdout=subprocess.PIPE).stdout.strip(), file=sys.stderr)
        argv = [jlrec, "plan", "--all", "--refresh=false", "-m", manifest, "--state", state]
        # The first run checks the cache matches (exit 0 = no changes) and records the
        # resolved manifest: the cold case, not counted.
        p = subprocess.run(argv + ["--detailed-exitcode"], env=run_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"{backend}: the cached plan is not empty (exit {p.returncode}):\n{p.stdout[-1500:]}{p.stderr[-1500:]}")
        states[backend] = argv

    plan = {b: [] for b in states}
    for r in range(args.repeats):
        for b in (("sqlite", "postgresql") if r % 2 == 0 else ("postgresql", "sqlite")):
            plan[b].append(timed(states[b], run_env))
            print(f"[plan] round {r + 1} {b}: {plan[b][-1][0] * 1000:.1f} ms {plan[b][-1][1] / 1024:.1f} MiB",
                  file=sys.stderr)

    apply_manifest = os.path.join(args.work, "sqlite", "jlrec.yaml")
    apply_sqlite = os.path.join(args.work, "apply.db")
    apply_pg = fresh_database(env, "jlrec_bench_apply")
    p = subprocess.run([bench, apply_manifest, str(args.repeats), apply_sqlite, apply_pg], env=run_env,
                       stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"state_backend_bench exited {p.returncode}")
    noop = {"sqlite": [], "postgresql": []}
    first = {}
    for line in p.stdout.splitlines():
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        b = "sqlite" if row["location"] == apply_sqlite else "postgresql"
        if "noop_apply_ms" in row:
            noop[b].append(row["noop_apply_ms"])
        else:
            first[b] = row["first_apply_ms"]

    n = int(H) * int(C)
    med = lambda xs: statistics.median(xs)
    pw = {b: med([w for w, _ in plan[b]]) * 1000 for b in plan}
    pr = {b: max(k for _, k in plan[b]) / 1024 for b in plan}
    nw = {b: med(noop[b]) for b in noop}
    print(f"| figure ({n} containers, {H} hosts; median of {args.repeats} paired rounds) | SQLite | PostgreSQL | PostgreSQL / SQLite |")
    print("|---|---|---|---|")
    print(f"| cached plan (`jlrec plan --all --refresh=false`): wall | {pw['sqlite']:.1f} ms | {pw['postgresql']:.1f} ms | {pw['postgresql'] / pw['sqlite']:.2f} |")
    print(f"| cached plan: peak RSS (max) | {pr['sqlite']:.1f} MB | {pr['postgresql']:.1f} MB | {pr['postgresql'] / pr['sqlite']:.2f} |")
    print(f"| no-op apply (state_backend_bench): wall | {nw['sqlite']:.1f} ms | {nw['postgresql']:.1f} ms | {nw['postgresql'] / nw['sqlite']:.2f} |")
    print(f"| first apply creating all {n} (in-memory hosts, once) | {first.get('sqlite', 0):.0f} ms | {first.get('postgresql', 0):.0f} ms | |")
    print(json.dumps({"plan": plan, "noop_ms": noop, "first_apply_ms": first}), file=sys.stderr)


if __name__ == "__main__":
    main()
