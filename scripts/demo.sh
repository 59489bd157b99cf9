#!/usr/bin/env bash
# The main job against the lab, on the example lab manifest: validate, plan, apply, plan
# again (which must show no changes). Runs what exists; says what does not yet.
set -uo pipefail
JLREC=${1:-build/jlrec}
MANIFEST=manifests/lab.yaml
export JLREC_MANIFEST=$MANIFEST

has_command() { "$JLREC" --help | grep -qE "^  $1 "; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
missing=()

step "$JLREC" --version || exit 1
if has_command validate && [[ -f $MANIFEST ]]; then
  step "$JLREC" validate -m "$MANIFEST" || exit 1
else
  missing+=("validate")
fi
if has_command plan && has_command apply; then
  step "$JLREC" plan product
  rc=$?
  [[ $rc -eq 0 ]] || { echo "demo: plan failed ($rc)"; exit 1; }
  step "$JLREC" apply product --auto-approve || { echo "demo: apply failed"; exit 1; }
  step "$JLREC" plan product --detailed-exitcode
  rc=$?
  [[ $rc -eq 0 ]] || { echo "demo: the plan after apply is not empty (exit $rc)"; exit 1; }
else
  for c in refresh show plan apply; do has_command "$c" || missing+=("$c"); done
  has_command refresh && step "$JLREC" refresh product
  has_command show && step "$JLREC" show product
fi
if ((${#missing[@]})); then
  printf '\ndemo: not built yet: %s (see the open issues); everything above ran for real.\n' "${missing[*]}"
fi
