#!/bin/sh
# Grading a class of 30 submissions of exercise 01 twice in one run: in process (the baseline: the
# learner's file linked into the spec) and judged (--judge: the learner's actors in a subject
# process, every message delivered by the judge). Prints each total and whether every verdict
# agrees. The class: the sample submissions of tests/cli/submissions, as a class mixes them.
# bench/grade_class.sh BUILD_DIR [WORK] [ROUNDS]
set -eu
build=$(cd "$1" && pwd)
work=${2:-/var/tmp/dca-grade-class}
rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work" && mkdir -p "$work/class"
i=0
for kind in correct correct correct correct correct correct correct correct correct correct \
            correct correct correct correct wrong wrong wrong wrong wrong wrong crash crash crash \
            infinite_loop infinite_loop compile_error compile_error incomplete incomplete cheating; do
  i=$((i + 1))
  mkdir -p "$work/class/s$i"
  cp -r "$here/tests/cli/submissions/$kind/exercises" "$work/class/s$i/"
done
for mode in in-process judged; do
  flag=""
  [ "$mode" = judged ] && flag=--judge
  start=$(date +%s.%N)
  "$build/runtime/cli/dca" grade "$work"/class/s* --exercise 01 --jobs 2 --rounds "$rounds" --time-limit 30 $flag \
    --scratch "$work/scratch-$mode" --format csv --out "$work/$mode.csv" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$mode: 30 submissions, $rounds seed(s) each: $(echo "$end - $start" | bc) s"
  cut -d, -f1,4 "$work/$mode.csv" | sort >"$work/$mode.verdicts"
done
if cmp -s "$work/in-process.verdicts" "$work/judged.verdicts"; then
  echo "verdicts: the same for all 30"
else
  echo "verdicts that differ (in-process < > judged):"
  diff "$work/in-process.verdicts" "$work/judged.verdicts" || true
fi
