#!/usr/bin/env bash
# `dca play` at a real terminal (tmux, 80x24 as over SSH). Game 01: a terminal too small is one
# line, exit 2; exercise 01 played to corruption (a wrong key is asked again); 01's solution played
# to a clean end that the explorer confirms. Game 09 (nodes on a lossy link): the reply dropped on
# the way, the retry charges twice; 09's solution, offered drops and repeats, ends clean. Each key is
# sent once the screen asks for it (a deadline, never a sleep that makes it happen).
# play_test.sh DCA WORK [01|09]
set -euo pipefail
dca="$1" work="$2" game="${3:-01}"
sock="dca-play-$$-0"
mkdir -p "$work"
t() { tmux -L "$sock" "$@"; }
cleanup() { t kill-server 2>/dev/null || true; }
trap cleanup EXIT

fail() {
  echo "FAILED: $*" >&2
  t capture-pane -p -S -100 -t p >&2 || true
  exit 1
}
screen() { t capture-pane -p -J -S -100 -t p; }
# Waits (at most $2 s) until the screen shows /$1/.
wait_for() {
  for _ in $(seq 1 $(($2 * 10))); do
    screen | grep -qE -- "$1" && return 0
    sleep 0.1
  done
  fail "no /$1/ on the screen within $2 s"
}
# Starts `dca play ARGS` in a fresh WIDTHxHEIGHT terminal; the pane stays open after it exits.
# Each game gets a tmux server of its own: a new session on a server still shutting down can fail.
starts=0
start() {
  local size="$1"
  shift
  cleanup
  starts=$((starts + 1))
  sock="dca-play-$$-$starts"
  t new-session -d -s p -x "${size%x*}" -y "${size#*x}" \
    "env TERM=xterm $dca play $*; echo \"EXIT=\$?\"; exec cat"
}

# Plays the solution of exercise $1 choosing the last choice offered at every step ("Press 1-3":
# not the explorer's default order where there is a choice; on a lossy link, a fault) to the end.
play_solution_to_the_end() {
  start 80x24 "$1" --solution
  wait_for "Step 1: who runs next\?" 300
  screen | grep -q "Mailboxes now" && fail "mailboxes shown before any step ran"
  for step in $(seq 1 40); do
    wait_for "Step $step: who runs next\?|EXIT=" 60
    screen | grep -q "EXIT=" && break
    [ "$step" -eq 2 ] && { screen | grep -q "Mailboxes now" || fail "no mailboxes after a step"; }
    t send-keys -t p "$(screen | grep -oE 'Press 1(-[1-9])?' | tail -1 | grep -oE '[1-9]$')"
  done
  wait_for "EXIT=" 120
  screen | grep -q "CLEAN after" || fail "the solution's game did not end clean"
  screen | grep -q "No choice corrupts it: the explorer's search agrees" || fail "no proof"
  screen | grep -q "EXIT=0" || fail "a clean game did not exit 0"
}

# Answers the steps of the game on screen ("STEP:KEY ..."; at step $3, checks the screen shows /$4/),
# then checks it ended CORRUPTED after the last step, said so next to the explorer's own finding,
# and gave the replay $2 (exit 3).
play_to_corruption() {
  local keys="$1" replay="$2" check_at="$3" check="$4" step last=0
  for step in $keys; do
    wait_for "Step ${step%:*}: who runs next\?" 120
    [ "${step%:*}" = "$check_at" ] && { screen | grep -qE -- "$check" || fail "no /$check/"; }
    t send-keys -t p "${step#*:}"
    last="${step%:*}"
  done
  wait_for "EXIT=" 120
  screen | grep -q "CORRUPTED at step $last:" || fail "no verdict"
  screen | grep -qE "You corrupted it in $last steps; the explorer's search found it in $last" ||
    fail "no comparison with the explorer"
  screen | grep -q -- "--variant shared --replay $replay" || fail "no replay of the learner's run"
  screen | grep -q "EXIT=3" || fail "a corrupted game did not exit 3"
}

# 09, shared: payments charges, the link drops its reply (choice 2 at step 4), the checkout times
# out and sends the charge again, payments charges it again.
if [ "$game" = 09 ]; then
  start 80x24 09
  play_to_corruption "1:1 2:1 3:1 4:2 5:1 6:1 7:1 8:1" 0.1.0.d1.1.1.0.1 4 \
    "^  2  link +drop reply 1 from payments on its way to checkout"
  screen | grep -q "dropped reply 1 from payments on its way to checkout" || fail "no drop in the run"
  screen | grep -q "order 1 charged 2 times" || fail "no double charge"
  play_solution_to_the_end 09
  echo "play: 09 corrupted in 8 steps by a dropped reply, 09's solution clean"
  exit 0
fi

start 60x20 01
wait_for "EXIT=" 120
screen | grep -qE "the terminal is 60x20, dca play needs 80x24" || fail "no size refusal"
screen | grep -q "EXIT=2" || fail "a small terminal did not exit 2"

# 01, shared: T1 reads, T2 reads, T1 writes, T2 writes: one increment lost.
start 80x24 01
wait_for "Step 1: who runs next\?" 300
screen | grep -q "counter.load()" || fail "the choices do not show the line each would run"
t send-keys -t p x
wait_for "'x' is not a choice" 30
play_to_corruption "1:1 2:2 3:1 4:1" 0.1.0.1 4 "T1 +load counter = 0"

# 01's solution: whatever is chosen, the count ends right; the explorer's search agrees.
play_solution_to_the_end 01
echo "play: 01 corrupted in 4 steps, 01's solution clean"
