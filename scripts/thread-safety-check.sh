#!/usr/bin/env bash
# Holds the lock contracts (GUARDED_BY, REQUIRES, EXCLUDES: model/thread_annotations.h) with
# clang's -Wthread-safety. The build is g++, which has no such analysis, so this runs clang
# on the side, syntax only: over every production source (model, manifests, providers,
# state, engine, serve, cli) and tests/support/, with the include paths and defines the real
# build used, read from BUILD_DIR/compile_commands.json. Exits non-zero with clang's
# diagnostics when a contract is broken (or a file does not compile under clang).
#
#   scripts/thread-safety-check.sh BUILD_DIR          check the tree
#   scripts/thread-safety-check.sh --probe BUILD_DIR  prove the check bites: clang must reject
#                                                     tests/thread_safety_probe.cpp, exactly
#                                                     on the lines it marks
#
# Environment: CLANGXX (default clang++-15, installed by scripts/install-deps.sh; this script
# installs nothing), JOBS (parallel clang runs, default 2).
set -euo pipefail

usage() {
  echo "usage: $0 [--probe] BUILD_DIR" >&2
  exit 2
}
probe=0
if [[ ${1:-} == --probe ]]; then
  probe=1
  shift
fi
(($# == 1)) || usage
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
clangxx=${CLANGXX:-clang++-15}
jobs=${JOBS:-2}
db=$build/compile_commands.json

command -v "$clangxx" >/dev/null ||
  { echo "thread-safety-check: $clangxx not found (run scripts/install-deps.sh)" >&2; exit 2; }
[[ -f $db ]] ||
  { echo "thread-safety-check: no $db (configure BUILD_DIR with CMake first)" >&2; exit 2; }

# Sources clang cannot compile at all, for a reason that is not a lock contract; each is
# named on every run. (None today.)
declare -A skip_reason=()

# Syntax only; nothing but the thread-safety analysis is reported (clang's other warnings
# are not this check's business, and g++ -Werror already holds the build's), as errors.
check_flags=(-fsyntax-only -Wno-everything -Wthread-safety -Werror=thread-safety)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CMake writes one "command" and one "file" line per entry (a JSON string each, on its own
# line), which is all this reads: no JSON tool is needed on a fresh machine.
json_string() {  # the value of a `"key": "value",` line, unescaped
  local s=${1#*\": \"}
  s=${s%,}
  s=${s%\"}
  s=${s//\\\\/$'\x01'}
  s=${s//\\\"/\"}
  printf '%s' "${s//$'\x01'/\\}"
}

# The g++ command line of one source -> clang's: the compiler, outputs, optimisation and
# warning flags are dropped; defines, include paths, forced includes and the language
# standard are kept. The precompiled header CMake forces in (-include .../cmake_pch.hxx)
# stays forced in, but as a copy: the .gch beside the original is g++'s, and clang would try
# to load it. Each copy (one per set of flags) gets a clang PCH of its own before the run
# (build_pchs), which clang then picks up the same way: it halves the check's time.
translate() {
  local words=() out=() i=1 pch="" key
  mapfile -d '' -t words < <(printf '%s' "$1" | xargs printf '%s\0')
  while ((i < ${#words[@]})); do
    local w=${words[i]}
    case $w in
      -D?* | -I?* | -std=* | -isystem?*) out+=("$w") ;;
      -D | -I | -isystem) out+=("$w" "${words[i + 1]}") && ((i += 1)) ;;
      -include)
        if [[ ${words[i + 1]} == */cmake_pch.hxx ]]; then
          pch=${words[i + 1]}
        else
          out+=(-include "${words[i + 1]}")
        fi
        ((i += 1))
        ;;
      -o | -x | -MF | -MT | -MQ) ((i += 1)) ;;  # their argument goes too
      *) ;;                                       # -O2, -W..., -c, the source itself
    esac
    ((i += 1))
  done
  if [[ -n $pch ]]; then
    key=$(printf '%s\0' "$pch" "${out[@]}" | cksum | cut -d' ' -f1)
    if [[ ! -f $tmp/pch-$key.hxx ]]; then
      cp "$pch" "$tmp/pch-$key.hxx"
      printf '%s\0' "${out[@]}" >"$tmp/pch-$key.flags"
    fi
    out+=(-include "$tmp/pch-$key.hxx")
  fi
  printf '%s\0' "${out[@]}"
}

# Builds the clang PCH of each copied CMake PCH header. One that fails is left out: the
# sources using it then parse the header itself, slower but the same.
build_pchs() {
  # shellcheck disable=SC2016 # the inner bash expands them
  find "$tmp" -name 'pch-*.flags' -print0 |
    xargs -0 -r -P "$jobs" -I{} bash -c 'mapfile -d "" -t a <"$1"; h=${1%.flags}.hxx
      "$CLANGXX" "${a[@]}" -Wno-everything -x c++-header "$h" -o "$h.pch" >/dev/null 2>&1 ||
        rm -f "$h.pch"' _ {}
}

# Writes $tmp/N.args (clang's arguments, NUL-separated) for each source to check.
count=0
model_command=""
declare -A seen=()
command="" file=""
while IFS= read -r line; do
  case $line in
    *'"command": "'*) command=$(json_string "$line") ;;
    *'"file": "'*) file=$(json_string "$line") ;;
    *'}'*)
      if [[ -n $file && -n $command && -z ${seen[$file]:-} ]]; then
        seen[$file]=1
        case ${file#"$src"/} in
          model/*.cpp | manifests/*.cpp | providers/*.cpp | state/*.cpp | engine/*.cpp | \
            serve/*.cpp | cli/*.cpp | tests/support/*.cpp)
            [[ -z $model_command && $file == "$src"/model/*.cpp ]] && model_command=$command
            if [[ -n ${skip_reason[${file#"$src"/}]:-} ]]; then
              ((probe)) || echo "thread-safety-check: skipped ${file#"$src"/}:" \
                "${skip_reason[${file#"$src"/}]}"
            elif ((!probe)); then
              count=$((count + 1))
              { translate "$command" && printf '%s\0' "${check_flags[@]}" "$file"; } \
                >"$tmp/$count.args"
            fi
            ;;
        esac
      fi
      command="" file=""
      ;;
  esac
done <"$db"

if ((probe)); then
  [[ -n $model_command ]] ||
    { echo "thread-safety-check: no model/ source of $src in $db" >&2; exit 2; }
  mapfile -d '' -t flags < <(translate "$model_command")
  probe_file=$src/tests/thread_safety_probe.cpp
  echo "thread-safety-check: the probe, with the tree's flags (clang must reject it):"
  if "$clangxx" "${flags[@]}" "${check_flags[@]}" "$probe_file"; then
    echo "thread-safety-check: FAILED: clang accepted the probe; the check would not bite" >&2
    exit 1
  fi
  # -verify: every expected-error line rejected, with that message, and nothing else.
  if ! "$clangxx" "${flags[@]}" "${check_flags[@]}" -Xclang -verify "$probe_file"; then
    echo "thread-safety-check: FAILED: clang's errors are not exactly the probe's marked lines" >&2
    exit 1
  fi
  echo "thread-safety-check: probe OK: clang rejects each of its" \
    "$(grep -c 'expected-error@' "$probe_file") broken contracts, and only those"
  exit 0
fi

((count > 0)) ||
  { echo "thread-safety-check: no sources of $src in $db (configured from another tree?)" >&2
    exit 2; }

start=$SECONDS
export CLANGXX=$clangxx
cd "$build"  # where CMake ran the commands (it writes absolute paths, but to be sure)
build_pchs
# shellcheck disable=SC2016 # the inner bash expands them
find "$tmp" -name '*.args' -print0 |
  xargs -0 -P "$jobs" -I{} bash -c \
    'mapfile -d "" -t a <"$1"; "$CLANGXX" "${a[@]}" >"$1.log" 2>&1 || touch "$1.failed"' _ {}

failed=$(find "$tmp" -name '*.failed' | wc -l)
if ((failed > 0)); then
  # A header's broken contract shows in every source that includes it.
  for f in "$tmp"/*.failed; do cat "${f%.failed}.log"; done
  echo "thread-safety-check: FAILED: $failed of $count sources break a lock contract" \
    "(or do not compile under $clangxx); $((SECONDS - start))s" >&2
  exit 1
fi
echo "thread-safety-check: $count sources, no thread-safety warnings ($((SECONDS - start))s," \
  "$jobs jobs, $clangxx)"
