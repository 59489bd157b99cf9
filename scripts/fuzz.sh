#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: builds the libFuzzer targets of tests/fuzz (clang-15,
# ASan+UBSan, in their own build dir) and runs each for SECONDS (default 60) on a copy of its
# committed corpus (tests/fuzz/corpus/TARGET: never written to), FUZZ_JOBS targets at a time.
# Prints per target the executions, exec/s and coverage (cov: and ft: of libFuzzer's final
# line); exits non-zero when any target crashed, leaked, timed out or ran out of memory,
# keeping that input as $FUZZ_BUILD/fuzz-findings/TARGET/{crash,leak,timeout,oom}-*.
# scripts/fuzz.sh --build-only: configure and build, run nothing. See docs/fuzzing.md.
#
# Environment: FUZZ_BUILD (default build-fuzz), JOBS (build jobs, default 2), FUZZ_JOBS
# (targets run at once, default 1), FUZZ_WITH_TESTS=1 (the same build dir also builds jlrec
# and the whole test suite: the sanitizer build `make test` runs the suite from).
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD_ONLY=0
if [[ ${1:-} == --build-only ]]; then
  BUILD_ONLY=1
  shift
fi
SECONDS_PER_TARGET=${1:-60}
shift $(($# > 0 ? 1 : 0))
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${JOBS:-2}
FUZZ_JOBS=${FUZZ_JOBS:-1}
WITH_TESTS=${FUZZ_WITH_TESTS:-0}
FUZZ_DIR=tests/fuzz

if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || ((SECONDS_PER_TARGET == 0)); then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

# TARGET  -max_len  dictionary (tests/fuzz/dict/NAME.dict, "-": none)
TARGETS=(
  "manifest_loader          16384 yaml"
  "script_template           4096 template"
  "python_literal            4096 python"
  "legacy_import             8192 python"
  "resolved_manifest_codec   8192 -"
  "http_response_parser      4096 http"
  "docker_container_json    16384 json"
  "json_columns              2048 json"
  "snapshot_blob             8192 -"
  "plan_json                16384 json"
  "container_spec_codec      2048 -"
  "port_spec                   64 -"
  "image_reference            512 -"
)

# listed NAME: whether TARGETS has a line for NAME.
listed() { printf '%s\n' "${TARGETS[@]}" | grep -q "^$1 "; }

# Every target the build knows has a line above (a new one cannot be left out by mistake).
for source in "$FUZZ_DIR"/*_fuzzer.cpp; do
  listed "$(basename "$source" _fuzzer.cpp)" || {
    echo "fuzz.sh: $source has no line in TARGETS" >&2
    exit 2
  }
done
selected=("$@")
for name in "${selected[@]}"; do
  listed "$name" || {
    echo "fuzz.sh: no target $name (see TARGETS in scripts/fuzz.sh)" >&2
    exit 2
  }
done

if ! command -v clang++-15 >/dev/null; then
  echo "fuzz.sh: clang++-15 is missing (bash scripts/install-deps.sh)" >&2
  exit 2
fi
# Ninja when there is one, for a new build dir (an existing one keeps its generator). -O1 and
# line tables only: the usual sanitizer setting, and it keeps CI's build of everything short.
generator=()
[[ ! -f $BUILD/CMakeCache.txt ]] && command -v ninja >/dev/null && generator=(-G Ninja)
mkdir -p "$BUILD"
tests=OFF
[[ $WITH_TESTS == 1 ]] && tests=ON
# -Werror: clang holds the sources warning-free too (the g++ release build does already).
cmake -S . -B "$BUILD" "${generator[@]}" -DJLREC_FUZZ=ON -DJLREC_BUILD_TESTS=$tests -DJLREC_WERROR=ON \
  -DCMAKE_C_COMPILER=clang-15 -DCMAKE_CXX_COMPILER=clang++-15 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" >"$BUILD/configure.log" 2>&1 || {
  cat "$BUILD/configure.log" >&2
  exit 1
}
if [[ $WITH_TESTS == 1 ]]; then
  cmake --build "$BUILD" -j"$JOBS" || exit 1
else
  cmake --build "$BUILD" -j"$JOBS" --target fuzzers || exit 1
fi
((BUILD_ONLY)) && exit 0

runs=$BUILD/fuzz-runs
findings=$BUILD/fuzz-findings

# run_target NAME MAX_LEN DICT: one run; its summary line goes to $runs/NAME/summary and its
# exit status to $runs/NAME/status (0: no finding).
run_target() {
  local name=$1 max_len=$2 dict=$3
  local work=$runs/$name
  rm -rf "$work" "$findings/$name"
  mkdir -p "$work/corpus" "$findings/$name"
  # The committed corpus is read through a copy: what the run finds stays in the build dir.
  [[ -d $FUZZ_DIR/corpus/$name ]] && cp -r "$FUZZ_DIR/corpus/$name/." "$work/corpus/"
  local args=(-max_total_time="$SECONDS_PER_TARGET" -max_len="$max_len" -timeout=10
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$name/")
  [[ $dict != - ]] && args+=(-dict="$FUZZ_DIR/dict/$dict.dict")
  # detect_leaks stays on (the default); halt_on_error makes UBSan reports fatal too.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    "$BUILD/tests/fuzz/${name}_fuzzer" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
  local rc=$?
  local execs speed last cov ft artifacts result status=0
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/log" | grep ' cov: ' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  artifacts=$(find "$findings/$name" -type f | sort)
  if ((rc != 0)) || [[ -n $artifacts ]]; then
    status=1
    result="FAILED (exit $rc): log $work/log"
  else
    result=ok
    rmdir "$findings/$name"
  fi
  {
    printf '%-24s %12s %8s %7s %7s  %s\n' "$name" "${execs:--}" "${speed:--}" "${cov:--}" \
      "${ft:--}" "$result"
    if [[ -n $artifacts ]]; then
      sed 's/^/    kept: /' <<<"$artifacts"
      grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*fuzz property failed)' "$work/log" |
        head -5 | sed 's/^/    /'
    fi
  } >"$work/summary"
  echo "$status" >"$work/status"
}

chosen=()
for line in "${TARGETS[@]}"; do
  read -r name _ <<<"$line"
  if ((${#selected[@]} > 0)) && ! printf '%s\n' "${selected[@]}" | grep -qx "$name"; then
    continue
  fi
  chosen+=("$line")
done
# FUZZ_JOBS runs at a time; each is bounded by -max_total_time, so the pool always drains.
for line in "${chosen[@]}"; do
  while (($(jobs -rp | wc -l) >= FUZZ_JOBS)); do wait -n; done
  read -r name max_len dict <<<"$line"
  run_target "$name" "$max_len" "$dict" &
done
wait

failed=()
printf '%-24s %12s %8s %7s %7s  %s\n' target executions exec/s cov ft result
for line in "${chosen[@]}"; do
  read -r name _ <<<"$line"
  cat "$runs/$name/summary"
  [[ $(cat "$runs/$name/status") == 0 ]] || failed+=("$name")
done

if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]} (inputs in $findings/)" >&2
  exit 1
fi
echo "fuzz.sh: every target ran ${SECONDS_PER_TARGET}s without a finding"
