// Exercise 11, last-writer-wins under clock skew: the contract both tracks implement. A shopping
// cart (a set of item ids) is replicated on three replicas, a, b and c; shoppers add items through
// any replica, and the replicas converge by anti-entropy (dca::crdt's delta replication). The naive
// design (shared_state.cpp) stores the cart as one whole value: a shopper reads it, adds its item
// and writes it back, and a conflict goes to the write whose accepting replica's wall clock says
// later, while c's clock runs behind. With message passing the cart is an OR-Set (dca::crdt): a
// shopper sends the add itself, and no clock decides anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_clock.hpp"
#include "caf/all.hpp"

#include "dca/crdt/replica.hpp"
#include "dca/harness/exercise.hpp"

namespace last_writer_wins {

/// An item id in the cart.
using item = int;

/// "What is in your cart?" -> std::vector<item> (ascending), asked of a replica of either track.
using get_atom = caf::atom_constant<caf::atom("get")>;

/// "The cart is now `items`" (std::vector<item>) -> bool once written: the naive replica's write.
using put_atom = caf::atom_constant<caf::atom("put")>;

/// "Add `x` to the cart" (item) -> bool once added: the OR-Set replica's add.
using add_atom = caf::atom_constant<caf::atom("add")>;

/// The three replicas of the cart. c's clock is the skewed one.
inline const dca::crdt::replica_set replica_names{"a", "b", "c"};

/// One replica: its name and its wall clock. The clock is the actor system's (virtual time under
/// the explorer and in `dca run 11`, so a run replays), moved by `skew` (negative: behind).
struct replica_node {
  dca::crdt::replica_id name;
  std::chrono::milliseconds skew{0};
  const caf::actor_clock* clock = nullptr;

  /// What this replica's wall clock says, in milliseconds.
  std::uint64_t now_ms() const;
};

/// What every replica accepts from its peers, and how often it resends what they lack.
dca::crdt::replication_options replication();
dca::crdt::replica_timing replication_timing();

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// Spawns a naive replica: it keeps the whole cart as one value stamped with the time of its last
/// write (a dca::crdt::lww_register), answers get_atom with it and takes put_atom as a new whole
/// cart stamped by its own clock. Replicas merge by keeping the later stamp. What the replicas
/// share is the cart itself, written whole.
caf::actor spawn_lww_replica(caf::actor_system& system, replica_node node);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// Spawns a replica of the cart as a CRDT: it answers get_atom with its cart and add_atom by adding
/// the item; dca::crdt replicates the deltas of its adds to the other replicas.
caf::actor spawn_cart_replica(caf::actor_system& system, replica_node node);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// Which design a run drives: the naive replicas, read-modify-written whole (shared_state.cpp), or
/// the CRDT replicas, sent adds (message_passing.cpp).
enum class design { last_writer_wins, or_set };

/// One seeded run in virtual time: `shoppers` shoppers each add `adds_each` items of their own,
/// one after another, each through a replica the seed picks, 0-200 ms apart. The links between the
/// replicas delay every message 5 ms; with `faults` they also drop, repeat, hold back and reorder
/// messages, and cut c off for a while (`partition`).
struct workload {
  int shoppers = 4;
  int adds_each = 50;
  std::chrono::milliseconds skew{0}; // c's clock: this far behind
  std::uint64_t seed = 1;
  bool faults = false;
  bool partition = false;
};

/// What a run ended with, counted Jepsen-style: lost = |acknowledged adds \ final cart|.
struct cart_outcome {
  std::size_t acknowledged = 0;
  std::size_t lost = 0;
  std::size_t unanswered = 0; // adds whose every attempt went unanswered (never acknowledged)
  bool converged = false;     // every replica holds the same cart
  bool quiet = false;         // the run ended with nothing left to deliver
  std::vector<item> final_cart;
  std::string example; // a lost item and the replica it went through, when one was lost
};

/// Runs `w` against the replicas of `d` on CAF's deterministic scheduler, in virtual time.
cart_outcome run_workload(design d, const workload& w);

/// How `dca run 11` and `dca explore 11` run this exercise.
dca::harness::exercise describe();

} // namespace last_writer_wins
