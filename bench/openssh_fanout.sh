#!/usr/bin/env bash
# Context figure for issue 8: what an operator would script by hand. One OpenSSH session
# per host, each running curl against the host's Docker socket, fanned out with xargs -P.
# Every session pays for a full OpenSSH client process, a server-side session and a remote
# shell + curl, so this is NOT the floor of the protocol (that is ssh_floor_probe): it shows
# what jlrec saves compared to a shell loop.
#
#   openssh_fanout.sh HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM
#
# HOSTS_FILE: one "address port docker_socket" per line (the ssh_floor_probe format).
# Prints "hosts=N ok=N wall_ms=X" like ssh_floor_probe; exits 0 only if every host answered
# with a JSON list.
set -euo pipefail

if (($# != 4)); then
  echo "usage: $0 HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM" >&2
  exit 2
fi
HOSTS_FILE=$1
IDENTITY=$2
KNOWN_HOSTS=$3
PARALLELISM=$4

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# One host. -F /dev/null: no user ssh_config can sneak in a ControlMaster/ControlPath or
# other multiplexing that would make later sessions cheaper than the first.
# shellcheck disable=SC2317,SC2329  # called through xargs
one_host() {  # ADDRESS PORT DOCKER_SOCKET
  ssh -F /dev/null -n -T \
    -o ControlMaster=no -o ControlPath=none \
    -o BatchMode=yes -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$KNOWN_HOSTS" -o LogLevel=ERROR \
    -i "$IDENTITY" -p "$2" "root@$1" \
    "curl -s --unix-socket $3 'http://x/containers/json?all=1'" \
    >"$OUT/$1.json" 2>"$OUT/$1.err" || true
}
export -f one_host
export OUT IDENTITY KNOWN_HOSTS

hosts=$(grep -c . "$HOSTS_FILE")
start=$(date +%s%N)
# xargs keeps PARALLELISM sessions in flight, like jlrec's and the probe's worker pools.
xargs -P "$PARALLELISM" -n 3 bash -c 'one_host "$@"' one_host <"$HOSTS_FILE"
end=$(date +%s%N)

# Counted after the clock stopped: a host is ok when it sent back a JSON list.
ok=0
for f in "$OUT"/*.json; do
  if [[ -e "$f" && "$(head -c1 "$f")" == "[" ]]; then ok=$((ok + 1)); fi
done
for f in "$OUT"/*.err; do
  if [[ -s "$f" ]]; then
    printf '%s: ' "$(basename "$f" .err)" >&2
    head -n3 "$f" >&2
  fi
done
printf 'hosts=%d ok=%d wall_ms=%d.%d\n' "$hosts" "$ok" "$(((end - start) / 1000000))" \
  "$((((end - start) / 100000) % 10))"
[[ "$ok" -eq "$hosts" ]]
