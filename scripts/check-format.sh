#!/usr/bin/env bash
# Checks that C++ sources are clang-format clean (.clang-format at the root).
#
#   scripts/check-format.sh          every tracked *.cpp / *.h (what CI runs: the tree is
#                                    kept formatted, so this is the changed files and more)
#   scripts/check-format.sh BASE     only the files changed since the git revision BASE
#                                    (e.g. origin/main), committed or not
#
# Prints each file that differs with the diff clang-format would make; exit 1 if any.
# `make format` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: another clang-format version formats some constructs differently.
FORMAT=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$FORMAT" >/dev/null; then
  echo "check-format: $FORMAT not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

if [ $# -ge 1 ]; then
  # Committed or not since BASE, and new files not yet added.
  mapfile -t files < <({ git diff --name-only --diff-filter=ACMR "$1" -- '*.cpp' '*.h'
                         git ls-files --others --exclude-standard -- '*.cpp' '*.h'; } | sort -u)
else
  mapfile -t files < <(git ls-files '*.cpp' '*.h')
fi

bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! diff -u --label "$f" --label "$f (clang-format)" "$f" <("$FORMAT" --style=file "$f"); then
    bad=$((bad + 1))
  fi
done

if [ "$bad" -ne 0 ]; then
  echo "check-format: $bad of ${#files[@]} file(s) are not clang-format clean ($("$FORMAT" --version)); run: make format" >&2
  exit 1
fi
echo "check-format: ${#files[@]} file(s) clang-format clean"
