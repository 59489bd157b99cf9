#!/usr/bin/env bash
# The benchmarks of issue 8, from scratch: install what is needed (apt-get), build jlrec and
# the bench tools in Release, measure against the lab for every host count, write
# bench/results/latest.json, BENCHMARKS.md and bench/plan_vs_hosts.png. Run as root on a
# Debian 12 machine from a clone:
#
#   bash bench/run.sh
#
# Settings (environment):
#   BENCH_HOSTS="1 10 50 100 250"   host counts H ("" = none: only the cached plan, no lab)
#   BENCH_CONTAINERS=4              containers per host C
#   BENCH_RTT_MS="0 20"             round-trip times (ms) the paired rounds run at; above 0 every
#                                   measured command goes through bench/latency_relay
#   REPEATS=7                       paired rounds (plan, floor, no-op apply) and cached plans
#   BENCH_OPENSSH_REPEATS=3         OpenSSH fan-out runs (context figure)
#   BENCH_SHARED_FROM=50            from this H, hosts share ceil(H/BENCH_HOSTS_PER_DOCKERD)
#   BENCH_HOSTS_PER_DOCKERD=10        dockerds (250 dockerds would not fit 2 cores)
#   BENCH_SERIAL_MAX=200            containers timed for the serial reference (0 = all);
#                                   more are extrapolated from their mean
#   BENCH_SKIP_CACHED=1             skip the 10,000-container cached plan
#   BENCH_SKIP_SERIAL=1             skip the serial reference of the fresh apply
#   BENCH_APPLY_HOSTS=50            H of the fresh apply against its floor ("" = skip)
#   BENCH_APPLY_REPEATS=$REPEATS    its paired rounds per RTT
#   BENCH_MERGE=1                   keep results of host counts not rerun (e.g. BENCH_HOSTS=250)
#   BENCH_SKIP_BUILD=1              use the binaries already in the build dir
#   JLREC_BENCH_SRC=DIR             source tree to build and measure (default: this clone)
#   JLREC_BENCH_BUILD=DIR           build dir (default: $JLREC_BENCH_SRC/build-bench)
#
# The lab (tests/lab/lab.sh) is machine-wide: this takes it down first, brings it up per H,
# and always leaves it down, also on failure or Ctrl-C.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SRC=${JLREC_BENCH_SRC:-$ROOT}
BUILD=${JLREC_BENCH_BUILD:-$SRC/build-bench}
LAB_SH="$SRC/tests/lab/lab.sh"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (apt-get, and the lab starts sshd and dockerd)"
[[ -f "$SRC/CMakeLists.txt" && -f "$LAB_SH" ]] || die "$SRC is not a jlrec source tree"

# Everything the project needs, then what only the benchmark needs: python3 for the
# harness and gen_manifest.py, GNU time for peak RSS, gnuplot for the plot (-nox: no X11).
bash "$SRC/scripts/install-deps.sh"
missing=()
command -v python3 >/dev/null || missing+=(python3)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building jlrec, ssh_floor_probe, cached_state_fixture, latency_relay (Release) in $BUILD"
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target jlrec ssh_floor_probe cached_state_fixture \
    latency_relay
fi

# The lab is left down whatever happens; the harness also takes it down after each H.
# shellcheck disable=SC2317  # called by the trap
lab_down() { bash "$LAB_SH" down || log "lab down failed: see $LAB_SH status"; }
trap lab_down EXIT
trap 'exit 130' INT TERM

args=(run --src "$SRC" --build "$BUILD"
  --hosts "${BENCH_HOSTS-1 10 50 100 250}"
  --containers "${BENCH_CONTAINERS:-4}"
  --rtt-ms "${BENCH_RTT_MS:-0 20}"
  --repeats "${REPEATS:-7}"
  --openssh-repeats "${BENCH_OPENSSH_REPEATS:-3}"
  --shared-from "${BENCH_SHARED_FROM:-50}"
  --hosts-per-dockerd "${BENCH_HOSTS_PER_DOCKERD:-10}"
  --serial-max "${BENCH_SERIAL_MAX:-200}"
  --results "$HERE/results/latest.json")
[[ "${BENCH_SKIP_CACHED:-0}" == 1 ]] && args+=(--skip-cached)
[[ "${BENCH_SKIP_SERIAL:-0}" == 1 ]] && args+=(--skip-serial)
[[ "${BENCH_MERGE:-0}" == 1 ]] && args+=(--merge)

# A failed host count is recorded and the others still run; the report is written from
# whatever was measured, and the exit status says whether everything succeeded.
status=0
python3 "$HERE/harness.py" "${args[@]}" || status=$?
python3 "$HERE/harness.py" report --results "$HERE/results/latest.json" \
  --out "$ROOT/BENCHMARKS.md" --plot "$HERE/plan_vs_hosts.png" --analysis "$HERE/analysis.md" ||
  status=$?
log "BENCHMARKS.md and bench/plan_vs_hosts.png written (exit $status)"

# Fresh apply against its own floor (bench/apply_rounds.py): at H=BENCH_APPLY_HOSTS, per RTT,
# on a lab of that size brought up for it (shared dockerds as the harness does from
# BENCH_SHARED_FROM). Results in bench/results/apply-floor-rtt<MS>.json.
apply_hosts=${BENCH_APPLY_HOSTS-50}
if [[ -n "$apply_hosts" ]]; then
  [[ "${BENCH_SKIP_BUILD:-0}" == 1 ]] || cmake --build "$BUILD" -j"$(nproc)" --target apply_floor latency_relay
  shared=0
  ((apply_hosts >= ${BENCH_SHARED_FROM:-50})) &&
    shared=$(((apply_hosts + ${BENCH_HOSTS_PER_DOCKERD:-10} - 1) / ${BENCH_HOSTS_PER_DOCKERD:-10}))
  if JLREC_LAB_SHARED_DOCKERDS=$shared bash "$LAB_SH" up "$apply_hosts"; then
    for rtt in ${BENCH_RTT_MS:-0 20}; do
      python3 "$HERE/apply_rounds.py" --build "$BUILD" --hosts "$apply_hosts" \
        --containers "${BENCH_CONTAINERS:-4}" --repeats "${BENCH_APPLY_REPEATS:-${REPEATS:-7}}" \
        --rtt-ms "$rtt" \
        --results "$HERE/results/apply-floor-rtt$rtt.json" || status=$?
    done
  else
    status=1
  fi
  lab_down
fi
exit "$status"
