#!/bin/sh
# A class of 30 submissions of exercise 01 graded RUNS times (default 3) with dca grade's defaults
# (judged, run limits calibrated from the reference solution on this machine), 2 jobs, ROUNDS seeds
# each: prints each run's total time and the machine's load around it, then whether every verdict
# and every score is the same in all runs. With BASELINE=1 it also grades the class once
# --in-process first (the learner's file linked into the spec), as the figure to compare with.
# The class mixes the sample submissions (tests/cli/submissions) with hostile ones
# (tests/cli/hostile): correct, slow but correct, wrong, incomplete, cheating, crashing, endless,
# not compiling, tampered, and four that forge a pass by ending the process early.
# A benchmark and a check to re-run by hand (30-60 minutes on 2 cores), not a CI test.
# bench/grade_class.sh BUILD_DIR [WORK] [RUNS] [ROUNDS]; exits 1 when the verdicts differ.
set -eu
build=$(cd "$1" && pwd)
work=${2:-/var/tmp/dca-grade-class}
runs=${3:-3}
rounds=${4:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work" && mkdir -p "$work/class"
i=0
add() { # add KIND_FOLDER COUNT
  n=0
  while [ "$n" -lt "$2" ]; do
    i=$((i + 1)) n=$((n + 1))
    mkdir -p "$work/class/s$(printf %02d $i)"
    cp -r "$1/exercises" "$work/class/s$(printf %02d $i)/"
  done
}
samples=$here/tests/cli/submissions hostile=$here/tests/cli/hostile
add "$samples/correct" 10
add "$samples/slow_correct" 2
add "$samples/wrong" 4
add "$samples/incomplete" 2
add "$samples/cheating" 2
add "$samples/crash" 2
add "$samples/infinite_loop" 2
add "$samples/compile_error" 1
add "$samples/tampered" 1
for h in verdict_exit_in_static_constructor verdict_quick_exit_in_a_handler \
         verdict_crash_turned_into_exit_zero judge_forged_evidence; do
  add "$hostile/$h" 1
done
[ "$i" -eq 30 ] || { echo "grade_class.sh: the class has $i submissions, not 30" >&2; exit 2; }

grade() { # grade NAME [FLAGS...]: one graded pass over the class, its time and verdicts
  name=$1
  shift
  echo "$name: load before: $(uptime | sed 's/.*load average/load average/')"
  start=$(date +%s.%N)
  "$build/runtime/cli/dca" grade "$work"/class/s* --exercise 01 --jobs 2 --rounds "$rounds" "$@" \
    --scratch "$work/scratch-$name" --format csv --out "$work/$name.csv" \
    --also "json=$work/$name.json" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  echo "$name: 30 submissions, $rounds seed(s) each: $(echo "$end - $start" | bc) s" \
       "(load after: $(uptime | sed 's/.*load average: //'))"
  grep -E '^  (calibration|run limit|evidence)' "$work/$name.log" | sed "s/^/$name: /" || true
  cut -d, -f1,3,4 "$work/$name.csv" | tail -n +2 | sort >"$work/$name.verdicts"
  rm -rf "$work/scratch-$name"
}

[ "${BASELINE:-0}" = 1 ] && grade in-process --in-process
run=1
while [ "$run" -le "$runs" ]; do
  grade "run$run"
  run=$((run + 1))
done
echo "verdicts of run1: $(cut -d, -f3 "$work/run1.verdicts" | sort | uniq -c | tr -s ' \n' ' ')"
same=yes
run=2
while [ "$run" -le "$runs" ]; do
  if ! cmp -s "$work/run1.verdicts" "$work/run$run.verdicts"; then
    same=no
    echo "run1 and run$run differ (submission,points,verdict):"
    diff "$work/run1.verdicts" "$work/run$run.verdicts" || true
  fi
  run=$((run + 1))
done
if [ "$same" = yes ]; then
  echo "verdicts: each of the 30 the same in all $runs runs"
else
  exit 1
fi
