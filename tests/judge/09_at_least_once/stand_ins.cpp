// Exercise 09's contract as the judge implements it: the judge holds the payment ledger's entity
// host, its journal and its state, and runs the learner's decide and apply in the subject
// (entity_functions.hpp); the learner's payment service runs in the subject behind a stand-in,
// and its requests of the host come back here through a relay (entity_host_relay.hpp). What was
// charged, and how often, is the judge's own count. Linked instead of message_passing.cpp.
#include "scenario.hpp"

#include "dca/bridge/entity_host_relay.hpp"
#include "dca/bridge/exercise_types.hpp"
#include "wire_types.hpp"

namespace at_least_once {

namespace {

const bool announced = (dca::bridge::add_exercise_types(announce_wire_types), true);

} // namespace

caf::expected<std::vector<payment_ledger::event>> payment_ledger::decide(const state& s,
                                                                         const command& cmd) {
  return dca::bridge::decide_in_subject<payment_ledger>(s, cmd);
}

payment_ledger::state payment_ledger::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<payment_ledger>(s, ev);
}

caf::actor spawn_payments(caf::actor_system& system) {
  DCA_ASSERT(announced);
  return dca::bridge::spawn_stand_in_over_host<payment_ledger>(system, "payments");
}

} // namespace at_least_once
