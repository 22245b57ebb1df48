#!/usr/bin/env bash
# A learner's journey at a real terminal (tmux): in a fresh clone with its build folder given by
# DCA_BUILD_DIR, the wrong attempts of 01 and 02 first (a smuggled global: check says why, with the
# line), a handler that never returns (check shows it still running; Ctrl-C brings the prompt back
# within 2 s and leaves no spec running), then the solutions, ending with PASS.
# learner_journey_test.sh setup|run DCA SOURCE WORK (setup clones and builds: a ctest fixture, so
# the journey's own time limit does not depend on how loaded the machine is while building)
set -euo pipefail
mode="$1" dca="$2" source="$3" work="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sock="dca-journey-$$"
src="$work/src"
if [ "$mode" = setup ]; then
  rm -rf "$work"
  mkdir -p "$work"
  git clone --quiet "$source" "$src"
  # build/dev inside the clone: the same layout as the kit's, so ccache serves the objects.
  (cd "$src" && cmake --preset dev -DDCA_BUILD_SLIDES=OFF >"$work/configure.log" 2>&1)
  cmake --build "$src/build/dev" --target ex01_spec ex02_spec >"$work/build.log" 2>&1
  exit 0
fi
git -C "$src" checkout --quiet -- exercises

t() { tmux -L "$sock" "$@"; }
cleanup() { t kill-server 2>/dev/null || true; }
trap cleanup EXIT
t new-session -d -s j -x 160 -y 50 "env -i HOME=$HOME PATH=$PATH TERM=xterm bash --norc --noprofile"
t send-keys -t j "export DCA_SOURCE_DIR='$src' DCA_BUILD_DIR='$src/build/dev' PS1='PROMPT> '" Enter
t send-keys -t j "cd '$src'" Enter

fail() {
  echo "FAILED: $*" >&2
  t capture-pane -p -S -200 -t j >&2
  exit 1
}
screen() { t capture-pane -p -S -500 -t j; }
prompts() { screen | grep -c '^PROMPT>' || true; }
# Runs a command at the prompt and waits (at most $2 s) for the prompt to come back.
type_and_wait() {
  local before
  before="$(prompts)"
  t send-keys -t j "$1" Enter
  for _ in $(seq 1 $(($2 * 10))); do
    [ "$(prompts)" -gt "$before" ] && return 0
    sleep 0.1
  done
  fail "'$1' did not return to the prompt within $2 s"
}
expect() { screen | grep -qE -- "$1" || fail "expected /$1/ on the screen"; }
# Clears the screen and its history, and waits until that has happened: counting prompts before the
# shell has run `clear` would count the old ones, and the next command's prompt would not be seen.
clears=0
clear_screen() {
  clears=$((clears + 1))
  t send-keys -t j "clear # $clears" Enter
  for _ in $(seq 1 300); do
    t clear-history -t j
    if ! screen | grep -q "clear # $clears" && [ "$(prompts)" -eq 1 ]; then return 0; fi
    sleep 0.1
  done
  fail "the screen did not clear within 30 s"
}
use() { cp "$1" "$src/exercises/$2/message_passing.cpp"; }

clear_screen
type_and_wait "$dca check 01" 180
expect "FAIL 01_lost_update"

use "$here/journey/01_smuggled_global.cpp" 01_lost_update
clear_screen
type_and_wait "$dca check 01" 180
expect "FAIL 01_lost_update: your actors share state"
expect "message_passing.cpp:8: 'g_count' is a global"

use "$here/journey/01_spins_forever.cpp" 01_lost_update
clear_screen
sleep 0.3
t send-keys -t j "$dca check 01" Enter
spec="$src/build/dev/exercises/ex01_spec"
for _ in $(seq 1 900); do
  pgrep -f "^$spec" >/dev/null && break
  sleep 0.1
done
pgrep -f "^$spec" >/dev/null || fail "the spec never started"
for _ in $(seq 1 100); do
  screen | grep -q "still running the spec of 01_lost_update" && break
  sleep 0.1
done
expect "still running the spec of 01_lost_update: [0-9]+ s of at most 120 s"
before="$(prompts)"
t send-keys -t j C-c
for _ in $(seq 1 20); do
  [ "$(prompts)" -gt "$before" ] && break
  sleep 0.1
done
[ "$(prompts)" -gt "$before" ] || fail "Ctrl-C did not bring the prompt back within 2 s"
expect "stopped \(Ctrl-C\)"
! pgrep -f "^$spec" >/dev/null || fail "Ctrl-C left $spec running"

use "$src/solutions/01_lost_update/message_passing.cpp" 01_lost_update
clear_screen
type_and_wait "$dca check 01" 180
expect "PASS 01_lost_update"

use "$here/journey/02_smuggled_global.cpp" 02_check_then_act
clear_screen
type_and_wait "$dca check 02" 180
expect "FAIL 02_check_then_act: your actors share state"
expect "message_passing.cpp:7: 'g_paid' is a global"

use "$src/solutions/02_check_then_act/message_passing.cpp" 02_check_then_act
clear_screen
type_and_wait "$dca check 02" 180
expect "PASS 02_check_then_act"
screen | grep -q "RESULT" && fail "a RESULT line reached the learner"
echo "the learner's journey: ok"
