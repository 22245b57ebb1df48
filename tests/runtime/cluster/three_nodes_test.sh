#!/usr/bin/env bash
# The real three-node test: three bank_node processes on the services' PostgreSQL (a fresh
# database), client load through all three, then kill -9 of one node and SIGSTOP of another while
# the load runs. Afterwards: every command ended and no attempt outlived its bound, every
# acknowledged command's event is in the journal exactly once (idempotency keys: retries on
# another node applied nothing twice), every event carries the (shard, epoch) it was appended
# under and its owner's node id, some streams moved owner (events of two epochs), and `dca journal
# verify` passes: along every stream one shard and epochs that never go back (no old owner writing
# after a newer one), one node id per (shard, epoch) (no two owners at one epoch), and no epoch
# beyond what its shard's lease granted. Every step waits for
# something it can observe (the member table, the journal's count), each with a deadline.
#   three_nodes_test.sh BANK_NODE DCA SERVICES_SCRIPT WORK_DIR
set -euo pipefail
bank_node=$1 dca=$2 services=$3 work=$4
commands=1500 attempt_bound_ms=3500 # the load's request timeout (3000 ms) and scheduling slack
rm -rf "$work" && mkdir -p "$work"
eval "$("$services" env)"
db_name=dca_three_nodes_$$
psql -q "$DCA_PG_PRIMARY" -c "CREATE DATABASE $db_name"
db="$DCA_PG_PRIMARY dbname=$db_name"
pids=()
load=
cleanup() {
  [ -z "$load" ] || kill -9 "$load" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done
  psql -q "$DCA_PG_PRIMARY" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  "$bank_node" status --db "$db" >&2 || true
  tail -n 5 "$work"/n*.log >&2 || true
  exit 1
}
trap 'fail "line $LINENO: a command failed"' ERR
sql() { psql -Atq "$db" -c "$1"; }
# wait_for WHAT SECONDS COMMAND...: polls COMMAND until it succeeds, or fails the test.
wait_for() {
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what: not within $limit s"
    sleep 0.05 # the polling period, not a wait for the event
  done
}
for k in 1 2 3; do
  "$bank_node" serve --id n$k --port $((7200 + k)) --db "$db" > "$work/n$k.log" 2>&1 &
  pids+=($!)
done
live() { [ "$("$bank_node" status --db "$db" | grep -c ' live$')" -eq "$1" ]; }
wait_for "three live members" 30 live 3
events_at_least() { [ "$(sql 'SELECT count(*) FROM dca_events')" -ge "$1" ]; }
"$bank_node" load --to 127.0.0.1:7201,127.0.0.1:7202,127.0.0.1:7203 --out "$work/load.tsv" \
  --commands $commands --accounts 40 --in-flight 12 --timeout-ms 3000 --attempts 40 --run t \
  > "$work/load.out" 2>&1 &
load=$!
wait_for "the first 300 events" 30 events_at_least 300
kill -9 "${pids[2]}"  # n3
wait_for "300 more events after the kill" 30 events_at_least 600
kill -STOP "${pids[1]}"  # n2 hangs
n1_owns_all() { [ "$(sql "SELECT count(*) FROM dca_shard_leases WHERE owner = 'n1'")" -eq 16 ]; }
wait_for "n1 taking every shard" 30 n1_owns_all
wait_for "300 more events with n2 hung" 30 events_at_least 900
kill -CONT "${pids[1]}"
wait "$load" || fail "the load client failed: $(cat "$work/load.out")"
cat "$work/load.out"
[ "$(wc -l < "$work/load.tsv")" -eq $commands ] || fail "not every command ended"
slowest=$(cut -f7 "$work/load.tsv" | sort -n | tail -1)
[ "$slowest" -le $attempt_bound_ms ] || fail "an attempt took $slowest ms (bound $attempt_bound_ms)"
awk -F'\t' '$4 == "ack" { print $2 }' "$work/load.tsv" | sort > "$work/acked"
sql "SELECT idempotency_key FROM dca_events WHERE idempotency_key LIKE 't-%'" | sort > "$work/journal"
dups=$(uniq -d "$work/journal" | wc -l)
[ "$dups" -eq 0 ] || fail "$dups commands applied twice: $(uniq -d "$work/journal" | head -3)"
missing=$(comm -23 "$work/acked" "$work/journal" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged commands missing from the journal"
echo "acknowledged $(wc -l < "$work/acked") of $commands, each in the journal once; slowest attempt $slowest ms"
unfenced=$(sql "SELECT count(*) FROM dca_events WHERE epoch IS NULL OR owner IS NULL")
[ "$unfenced" -eq 0 ] || fail "$unfenced events were appended without a fence and its owner"
strangers=$(sql "SELECT count(*) FROM dca_events WHERE owner NOT IN ('n1', 'n2', 'n3')")
[ "$strangers" -eq 0 ] || fail "$strangers events name an owner that is not one of the nodes"
moved=$(sql "SELECT count(*) FROM (SELECT stream FROM dca_events GROUP BY stream
                                   HAVING count(DISTINCT epoch) > 1) s")
[ "$moved" -gt 0 ] || fail "no stream was written at two epochs: the faults moved no shard"
echo "every event fenced and owned; $moved streams written by more than one owner (epoch)"
"$dca" journal verify "$db" || fail "dca journal verify"
