#!/usr/bin/env python3
"""Writes a lab-shaped manifest of H hosts x C containers (benchmarks).

usage: gen_manifest.py HOSTS CONTAINERS_PER_HOST GROUPS OUT.yaml [--shared-dockerds K]
Host N is lab N of tests/lab/lab.sh (127.0.0.(N+1):2222). With K shared dockerds, host N
uses dockerd d((N-1)%K+1), as `JLREC_LAB_SHARED_DOCKERDS=K lab.sh up H` starts them.
"""
import os
import sys


def main():
    args = sys.argv[1:]
    shared = 0
    if "--shared-dockerds" in args:
        i = args.index("--shared-dockerds")
        shared = int(args[i + 1])
        del args[i:i + 2]
    hosts, per_host, groups, out = int(args[0]), int(args[1]), int(args[2]), args[3]
    lab = os.environ.get("JLREC_LAB_DIR", "/var/lib/jlrec-lab")
    template = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "templates", "jiliang_run.sh.tmpl"),
                               os.path.dirname(os.path.abspath(out)))
    lines = [
        "version: 1",
        "project: bench",
        "defaults:",
        "  image: 127.0.0.1:5000/jlrec-lab/base:1",
        '  command: ["/bin/sh", "/run.sh"]',
        "  network_mode: host",
        "  restart: unless-stopped",
        f"  template: {template}",
        "  env: {TZ: Asia/Shanghai}",
        "host_defaults:",
        "  port: 2222",
        "  user: root",
        f"  identity_file: {lab}/client/id_ed25519",
        f"  known_hosts: {lab}/client/known_hosts",
        "hosts:",
    ]
    for n in range(1, hosts + 1):
        d = f"d{(n - 1) % shared + 1}" if shared else f"h{n}"
        lines.append(f"  b{n}: {{address: 127.0.0.{n + 1}, docker_socket: {lab}/{d}/docker.sock}}")
    lines.append("groups:")
    for g in range(groups):
        lines.append(f"  g{g}: {{enable_monitor: true, runtime_mode: bench}}")
    lines.append("units:")
    for n in range(1, hosts + 1):
        g = (n - 1) * groups // hosts
        core = "true" if (n - 1) % max(1, hosts // groups) == 0 else "false"
        names = ", ".join(f"b{n}_c{c}" for c in range(per_host))
        lines += [f"  - host: b{n}", f"    dockers: [{names}]", f"    group: [g{g}]",
                  f"    core: {core}"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
