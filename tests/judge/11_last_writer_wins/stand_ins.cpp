// Exercise 11's contract as the judge implements it: spawn_cart_replica makes a stand-in, and the
// learner's replica runs in the subject process (subject.cpp). A replica's clock cannot cross as a
// pointer: the node crosses as its name and its skew, and the subject's clock reads the judge's
// virtual time whenever a replica runs (dca::bridge's (now, ...)). What the replicas send each
// other (deltas, acknowledgements) goes through the judge's fault links and stand-ins, and their
// sync timers run on the judge's clock.
#include "scenario.hpp"

#include "dca/assert.hpp"
#include "dca/bridge/stand_in.hpp"

namespace last_writer_wins {

caf::actor spawn_cart_replica(caf::actor_system& system, replica_node node) {
  // The subject's replica reads the subject's clock, set to this system's: any other clock would
  // not be the one the judge's scheduler moves.
  DCA_ASSERT(node.clock == nullptr || node.clock == &system.clock());
  return dca::bridge::spawn_stand_in(
      system, "cart_replica",
      caf::make_message(node.name, static_cast<std::int64_t>(node.skew.count())));
}

} // namespace last_writer_wins
