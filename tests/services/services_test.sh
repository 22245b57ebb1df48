#!/usr/bin/env bash
# scripts/services end to end, in throwaway checkouts that hold nothing but a copy of scripts/: the
# primary replicates to the replica (and, with an apply delay, visibly late), Redis answers, etcd's
# three members elect one leader, a kill -9ed primary comes back on `start`, `stop` leaves no
# process, two checkouts (one too deep for a Unix socket) get two servers. Prints the timings the
# issue asks for.
#   tests/services/services_test.sh <the kit's scripts folder>
set -euo pipefail

scripts=$(realpath "${1:-$(dirname "${BASH_SOURCE[0]}")/../../scripts}")
work=$(mktemp -d /tmp/dca-services-test.XXXXXX)
chmod 755 "$work" # as root the servers run as postgres, which must reach the checkouts
test_start_us=${EPOCHREALTIME/./}
failures=0
checkouts=()

cleanup() {
  local c
  for c in "${checkouts[@]}"; do "$c/scripts/services" destroy || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ms_since() { echo $(((${EPOCHREALTIME/./} - $1) / 1000)); }

expect() { # SENTENCE CMD...: one line per check, the suite fails at the end if any did
  local sentence=$1
  shift
  if "$@"; then
    echo "ok: $sentence"
  else
    echo "FAILED: $sentence"
    failures=$((failures + 1))
  fi
}

new_checkout() { # PATH: a checkout with nothing but scripts/
  mkdir -p "$1"
  cp -r "$scripts" "$1/scripts"
  checkouts+=("$1")
}

services() { "$checkout/scripts/services" "$@"; }

# q primary|replica SQL [psql options]: one query against the current checkout's servers.
q() {
  local conninfo=$DCA_PG_PRIMARY
  [ "$1" = replica ] && conninfo=$DCA_PG_REPLICA
  timeout 10 psql "$conninfo" -XAtq -v ON_ERROR_STOP=1 -c "$2" "${@:3}"
}

r() { timeout 10 redis-cli -s "$DCA_REDIS_SOCKET" "$@"; }

# The replica has replayed the primary's WAL up to LSN: polled, with a deadline (no fixed sleep).
wait_replayed() {
  local deadline=$((SECONDS + 20))
  until [ "$(q replica "SELECT pg_last_wal_replay_lsn() >= '$1'::pg_lsn")" = t ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}

# The processes of our servers that still run with a working folder in PATH (zombies have none).
server_pids_under() {
  local p comm
  for p in /proc/[0-9]*; do
    { read -r comm <"$p/comm"; } 2>/dev/null || continue
    case "$comm" in postgres | redis-server | etcd) ;; *) continue ;; esac
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$1"/*) echo "${p#/proc/} $comm" ;; esac
  done
}

# status_says REGEX [--only SERVER]: grep -q on a pipe would stop status early (SIGPIPE, pipefail).
status_says() { services status "${@:2}" >"$work/status" || true; grep -q "$1" "$work/status"; }

all_running() { services status >"$work/status" && [ "$(grep -c ' running ' "$work/status")" = 6 ]; }

one_etcd_leader() { [ "$(grep -cE '^etcd[123] +running .* leader ' "$work/status")" = 1 ]; }

value_is() { [ "$(q "$1" "$2")" = "$3" ]; } # primary|replica SQL VALUE

primary_pid() { head -1 "$checkout/.dca/services/pg-primary/data/postmaster.pid"; }

# -- one checkout: start, replicate, lag, Redis, crash, reuse ---------------------------------

checkout=$work/a
new_checkout "$checkout"
t=${EPOCHREALTIME/./}
services start
cold_ms=$(ms_since "$t")
eval "$(services env)"
expect "status shows the primary, the replica, redis and three etcd members running" all_running
expect "status names exactly one etcd member as the leader" one_etcd_leader
cat "$work/status"

t=${EPOCHREALTIME/./}
services start
warm_ms=$(ms_since "$t")

q primary "CREATE TABLE stock (sku int PRIMARY KEY, units int)"
q primary "INSERT INTO stock VALUES (1, 100)"
lsn=$(q primary "SELECT pg_current_wal_lsn()")
expect "a row written on the primary is replayed by the replica" wait_replayed "$lsn"
expect "the replica reads the primary's row" value_is replica "SELECT units FROM stock WHERE sku = 1" 100

DCA_REPLICA_DELAY_MS=1500 services start
expect "status shows the new apply delay of 1500 ms" status_says "apply delay 1500 ms"
# Write, then read the replica from the same psql (no second process start between the two).
mapfile -t out < <(timeout 10 psql "$DCA_PG_PRIMARY" -XAtq -v ON_ERROR_STOP=1 <<SQL
INSERT INTO stock VALUES (2, 50);
SELECT pg_current_wal_lsn();
\connect '$DCA_PG_REPLICA'
SELECT count(*) FROM stock WHERE sku = 2;
SQL
)
t=${EPOCHREALTIME/./}
expect "with a 1500 ms apply delay a fresh write is not yet on the replica" test "${out[1]}" = 0
expect "it is there once the replica has replayed the write's LSN" wait_replayed "${out[0]}"
delay_seen_ms=$(ms_since "$t")
expect "the replica reads the fresh write after the wait" \
  value_is replica "SELECT units FROM stock WHERE sku = 2" 50

expect "redis answers PING" test "$(r ping)" = PONG
r set cart:1 3 >/dev/null
expect "redis returns what was SET" test "$(r get cart:1)" = 3

old_pid=$(primary_pid)
kill -9 "$old_pid"
t=${EPOCHREALTIME/./}
services start
recover_ms=$(ms_since "$t")
expect "start after kill -9 of the primary's postmaster has all six running" all_running
expect "the restarted primary is a new process" test "$(primary_pid)" != "$old_pid"
expect "the restarted primary kept its rows" value_is primary "SELECT sum(units) FROM stock" 150
q primary "UPDATE stock SET units = 99 WHERE sku = 1"
lsn=$(q primary "SELECT pg_current_wal_lsn()")
expect "the replica follows the restarted primary" wait_replayed "$lsn"

# -- a second checkout, too deep for a socket beside its data: its own servers ------------------

a_primary=$DCA_PG_PRIMARY a_redis=$DCA_REDIS_SOCKET a_pid=$(primary_pid)
checkout=$work/$(printf 'deep%.0s' {1..20})/b
new_checkout "$checkout"
DCA_REPLICA_DELAY_MS=0 services start --only postgres
services start --only redis
eval "$(services env)"
expect "a deep checkout puts its sockets under /tmp and status says so" \
  status_says "^sockets are under /tmp/dca-services-" --only postgres
expect "two checkouts get two primaries" test "$(primary_pid)" != "$a_pid"
expect "two checkouts get two connection strings" test "$DCA_PG_PRIMARY" != "$a_primary"
expect "the second checkout's database has no table of the first" \
  test -z "$(q primary "SELECT to_regclass('stock')")"
expect "the second checkout's redis has no key of the first" test -z "$(r get cart:1)"
expect "the first checkout's redis still has its key" \
  test "$(redis-cli -s "$a_redis" get cart:1)" = 3

# -- stop -------------------------------------------------------------------------------------

t=${EPOCHREALTIME/./}
for checkout in "${checkouts[@]}"; do services stop; done
stop_ms=$(ms_since "$t")
expect "stop leaves no server process in either checkout" test -z "$(server_pids_under "$work")"
checkout=${checkouts[0]}
all_stopped() {
  local rc=0
  services status >"$work/status" || rc=$?
  [ "$rc" -eq 3 ] && [ "$(grep -c ' stopped ' "$work/status")" = 6 ]
}
expect "status after stop shows all six stopped and exits 3" all_stopped

# -- bad input: one line, exit 2 ----------------------------------------------------------------

usage_error() { ! services "$@" 2>"$work/err" && [ "$(wc -l <"$work/err")" -eq 1 ]; }
expect "an unknown command is a one-line usage error" usage_error frobnicate
expect "an unknown service is a one-line usage error" usage_error start --only mysql
expect "a delay that is not a number is a one-line error" \
  eval 'DCA_REPLICA_DELAY_MS=soon usage_error start'
expect "an etcd port base that is not a port is a one-line error" \
  eval 'DCA_ETCD_PORT_BASE=99999 usage_error start --only etcd'

echo "timing: start of all six (three etcd members) from cold: $cold_ms ms"
echo "timing: start when already up: $warm_ms ms"
echo "timing: start after kill -9 of the primary: $recover_ms ms"
echo "timing: wait for replay with a 1500 ms apply delay: $delay_seen_ms ms"
echo "timing: stop of two checkouts: $stop_ms ms"
echo "timing: whole test: $(ms_since "$test_start_us") ms"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
