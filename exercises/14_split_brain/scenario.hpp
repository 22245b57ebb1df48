// Exercise 14, split brain: the contract both tracks implement. Node 1 owns account-42 and appends
// its withdrawals to a shared journal; node 2 stands by with a copy of the account that node 1's
// heartbeats carry, and takes the account over when no heartbeat comes in time. A partition (a lost
// heartbeat) or a long pause makes node 2 declare node 1 dead while node 1 still serves: both
// accept withdrawals, the journal gets two events with the same (key, seq), the account overdraws.
// With message passing a node takes ownership through a lease (etcd's compare-and-swap; here an
// actor that stands in for it), installs the lease's revision as the journal's fence and reads the
// journal before serving: the old owner's appends are then refused as a stale epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"

namespace split_brain {

/// "Withdraw `cents` from account-42" (std::int64_t): replies true once the withdrawal is in the
/// journal, false when it was refused (too little money, or this node no longer owns the account).
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;

/// "I own the account; its balance and last seq are ..." (std::int64_t, std::uint64_t), from the
/// owner to the standby.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

/// To the journal: "append (node, epoch, seq, cents)" (int, std::uint64_t, std::uint64_t,
/// std::int64_t) -> bool, false when `epoch` is below the fence.
using append_atom = caf::atom_constant<caf::atom("append")>;

/// To the journal: "raise the fence to `epoch`" (std::uint64_t) -> std::vector<entry>, every event
/// so far, read in the same step as the fence is raised.
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;

/// To the journal: "every event" -> std::vector<entry>.
using events_atom = caf::atom_constant<caf::atom("events")>;

/// To the journal: "how many appends did you refuse?" -> refusals.
using refused_atom = caf::atom_constant<caf::atom("refused")>;

/// To the lease table: "node `n` takes account-42" (int) -> std::uint64_t, the lease's revision.
using take_atom = caf::atom_constant<caf::atom("take")>;

/// To a node: "do you own the account?" -> bool.
using owns_atom = caf::atom_constant<caf::atom("owns")>;

/// The key every event of this exercise is about.
inline const std::string account_key = "account-42";

/// The balance account-42 opens with.
constexpr std::int64_t opening_cents = 100;

/// One event in the journal: a withdrawal of account-42, numbered `seq` by the node that wrote it.
struct entry {
  int node = 0;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  std::int64_t cents = 0; // negative: a withdrawal
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("entry"), x.node, x.epoch, x.seq, x.cents);
}

/// The appends a journal refused: for a stale epoch (the fence), and for any other reason (the
/// real journal's own check that an append continues the stream: a seq conflict).
struct refusals {
  std::uint64_t stale_epoch = 0;
  std::uint64_t other = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, refusals& x) {
  return f(caf::meta::type_name("refusals"), x.stale_epoch, x.other);
}

/// What a node knows when it starts serving the account: the fence epoch its appends carry (0: no
/// fence), and the balance and last seq it believes.
struct ownership {
  std::uint64_t epoch = 0;
  std::int64_t balance = opening_cents;
  std::uint64_t seq = 0;
};

struct node_state {
  int id = 0;
  caf::actor journal;
  caf::actor leases;
  ownership copy; // the standby's copy of the account, from the owner's heartbeats
  ownership own;  // valid while `active`
  bool active = false;
  bool heard = false;       // a heartbeat came before the standby's timeout
  bool decided = false;     // the standby's timeout fired: a withdrawal no longer waits for it
  bool taking_over = false; // asked for ownership, not answered yet
  // While standing by or taking over: a take-over's replies come as messages, and withdrawals
  // that arrive before it ends must wait for it, not be refused.
  std::vector<std::pair<std::int64_t, caf::response_promise>> waiting;
};

using node_actor = caf::stateful_actor<node_state>;

/// How a node takes the account over: calls `serve` with what it may serve the account with.
using take_over_fn = void (*)(node_actor* self, std::function<void(ownership)> serve);

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The naive take-over: the copy from the last heartbeat, appends without a fence.
void take_over_by_timeout(node_actor* self, std::function<void(ownership)> serve);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// The take-over through the lease: take it, raise the journal's fence to its revision, and serve
/// what the journal holds.
void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// Spawns the shared journal (a fence at 0: every epoch passes until a node adopts one).
caf::actor spawn_journal(caf::actor_system& system);

/// Spawns the lease table that stands in for etcd: every take gets the next revision (1, 2, ...).
/// The standby takes only after its heartbeat timeout, which is longer than the lease's time to
/// live, so the old owner's lease has expired by then.
caf::actor spawn_leases(caf::actor_system& system);

/// Spawns node `id`. The owner (`standby` empty) takes the account over at once and sends its
/// heartbeats to `standby_of_it`; the standby waits `heartbeat_timeout` for a heartbeat and takes
/// the account over when none came. Withdrawals sent to the standby wait for that decision.
caf::actor spawn_node(caf::actor_system& system, int id, caf::actor journal, caf::actor leases,
                      take_over_fn take_over, caf::actor standby_of_it, bool owner,
                      std::chrono::milliseconds heartbeat_timeout);

/// What a journal holds, judged: appends by an owner that had not seen the last event (a seq not
/// one past the one before), events sharing a seq, appends at an epoch below one written before
/// them (an owner that had been replaced), appends that claimed no epoch (no fence), and whether
/// the balance went below zero.
struct journal_verdict {
  int dual_owner_appends = 0;
  int duplicate_seqs = 0;
  int stale_epoch_appends = 0;
  int unfenced_appends = 0;
  std::int64_t lowest_balance = opening_cents;
};

journal_verdict judge_journal(const std::vector<entry>& events);

/// The journal and the lease table one seeded partition runs against: the stand-in actors, or
/// actors that speak the same messages to the real etcd and PostgreSQL journal (`run --real`).
struct partition_parts {
  caf::actor journal;
  caf::actor leases;
};

/// Spawns the parts of partition number `partition` (0, 1, ...) in `system`.
using parts_fn = std::function<partition_parts(caf::actor_system& system, std::uint64_t partition)>;

/// Runs the seeded partitions `in` asks for with `take_over`, `at_once` of them at a time (each in
/// an actor system of its own), against the parts `spawn_parts` makes, and reports what their
/// journals hold and what they refused.
dca::harness::run_result run_partitions(take_over_fn take_over, const dca::harness::arguments& in,
                                        const parts_fn& spawn_parts, int at_once);

/// `run --real`: the message-passing take-over against this checkout's etcd (leases, revision =
/// epoch) and PostgreSQL journal (the fence), started when they are not running (a server that
/// cannot start throws dca::services::unavailable, one line). Throws dca::harness::cannot_run
/// with one line when etcd has no quorum (real_parts.cpp; a build without the services says how
/// to build with them).
dca::harness::run_result run_real(take_over_fn take_over, const dca::harness::arguments& in);

/// How `dca run 14` and `dca explore 14` run this exercise.
dca::harness::exercise describe();

} // namespace split_brain
