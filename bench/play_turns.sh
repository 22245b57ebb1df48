#!/bin/sh
# What one turn of `dca play` costs, per exercise: the exercise program's `explore --turn PREFIX`
# (PREFIX: the first half of the explorer's own failing schedule), run ROUNDS times in one run of
# this script. Prints the median wall time of a turn, the part spent in the explorer's runs (the
# prefix once, then once per choice offered), and the rest: the program's start-up (for 05-08, 12,
# 13 the throwaway database it creates and the connections it opens). 01 (threads in memory) and
# 09 (nodes in memory) are the baselines measured in the same run. The services must be running
# (scripts/services start) for 05, 06 and 13.
# bench/play_turns.sh BUILD_DIR [ROUNDS]
set -eu
build=$(cd "$1" && pwd)
rounds=${2:-5}
python3 - "$build/exercises" "$rounds" <<'PY'
import json, statistics, subprocess, sys, time
programs, rounds = sys.argv[1], int(sys.argv[2])

def report(argv):
    out = subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()
    return json.loads(out[-1])

print(f"{'exercise':<14}{'turn at':>8}{'runs':>6}{'turn s':>9}{'in runs s':>11}{'start-up s':>12}")
for number, variant in [("01", "shared"), ("09", "shared"), ("05", "shared"), ("06", "shared"),
                        ("13", "shared")]:
    program = f"{programs}/ex{number}"
    found = report([program, "explore", "--variant", variant, "--format", "json"])
    steps = found["schedule"].split(".")
    prefix = ".".join(steps[: len(steps) // 2])
    walls, inside, runs = [], [], 0
    for _ in range(rounds):
        began = time.monotonic()
        turn = report([program, "explore", "--variant", variant, "--turn", prefix, "--format", "json"])
        walls.append(time.monotonic() - began)
        inside.append(turn["elapsed_us"] / 1e6)
        runs = 1 + len(turn["choices"])
    wall, runs_s = statistics.median(walls), statistics.median(inside)
    print(f"{number + ' ' + variant:<14}{len(steps) // 2 + 1:>8}{runs:>6}{wall:>9.2f}{runs_s:>11.2f}"
          f"{wall - runs_s:>12.2f}")
PY
uptime
