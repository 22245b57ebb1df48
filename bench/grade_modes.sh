#!/bin/sh
# Grading time per submission, in process (the baseline, --in-process: the learner's file linked
# into the spec) and judged (the default: the learner's code in a subject process), for exercises
# 01-04, in one run: the reference solutions as one submission, graded both ways with the same seed. Prints,
# per exercise and mode, the verdict, the seconds of the whole grading (compile, spec, program)
# and of the compile alone, from dca grade's JSON report. EXERCISES names others (05 is judged
# too; it needs the services: configure with -DDCA_WITH_SERVICES=ON, run scripts/services start).
# [EXERCISES="05_shared_database"] bench/grade_modes.sh BUILD_DIR [WORK] [ROUNDS]
set -eu
build=$(cd "$1" && pwd)
work=${2:-/var/tmp/dca-grade-modes}
rounds=${3:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work" && mkdir -p "$work/reference/exercises"
exercises=${EXERCISES:-01_lost_update 02_check_then_act 03_torn_invariant 04_deadlock}
chosen=""
for id in $exercises; do
  mkdir -p "$work/reference/exercises/$id"
  cp "$here/solutions/$id/message_passing.cpp" "$work/reference/exercises/$id/"
  chosen="$chosen --exercise $(echo "$id" | cut -c1-2)"
done
for mode in in-process judged; do
  flag=--in-process
  [ "$mode" = judged ] && flag=--judge
  # shellcheck disable=SC2086 # $chosen is a list of words
  "$build/runtime/cli/dca" grade "$work/reference" $chosen --jobs 2 --rounds "$rounds" \
    --time-limit 60 $flag --scratch "$work/scratch-$mode" --format json --out "$work/$mode.json" >/dev/null 2>&1
  python3 - "$work/$mode.json" "$mode" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for e in report["submissions"][0]["exercises"]:
    run = e["elapsed_s"] - e["build_s"]
    print(f'{sys.argv[2]:>10} {e["id"]:<18} {e["verdict"]:<5} {e["elapsed_s"]:7.1f} s '
          f'(compile {e["build_s"]:5.1f} s, runs {run:5.1f} s)')
PY
done
