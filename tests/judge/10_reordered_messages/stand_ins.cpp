// Exercise 10's contract as the judge implements it: the judge holds the profiles' entity host,
// its journal and every profile's state (and so the order each sender's changes are applied in),
// with the learner's decide and apply run in the subject (entity_functions.hpp); the learner's
// profile service runs in the subject behind a stand-in, and its commands, with the sender stamp
// or key it gave each, reach the judge's host through a relay (entity_host_relay.hpp), whose
// options (the gap policy) are the ones the learner's spawn_profiles chose.
#include "scenario.hpp"

#include "dca/bridge/entity_host_relay.hpp"
#include "dca/bridge/exercise_types.hpp"
#include "wire_types.hpp"

namespace reordered_messages {

namespace {

const bool announced = (dca::bridge::add_exercise_types(announce_wire_types), true);

} // namespace

caf::expected<std::vector<profile::event>> profile::decide(const state& s, const command& cmd) {
  return dca::bridge::decide_in_subject<profile>(s, cmd);
}

profile::state profile::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<profile>(s, ev);
}

caf::actor spawn_profiles(caf::actor_system& system) {
  DCA_ASSERT(announced);
  return dca::bridge::spawn_stand_in_over_host<profile>(system, "profiles");
}

} // namespace reordered_messages
