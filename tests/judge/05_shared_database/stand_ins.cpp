// Exercise 05's contract as the judge implements it: the learner writes only the sku's and the
// username's decide and apply, pure functions, so the judge hosts the entities itself (their
// hosts, journal and state, on the spec's and the explorer's schedulers) and runs the learner's
// functions in the subject process (subject.cpp) on the state and command it chooses. Linked into
// the judge's spec and program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"

namespace shared_database {

caf::expected<std::vector<sku::event>> sku::decide(const state& s, const command& cmd) {
  return dca::bridge::decide_in_subject<sku>(s, cmd);
}

sku::state sku::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<sku>(s, ev);
}

caf::expected<std::vector<username::event>> username::decide(const state& s, const command& cmd) {
  return dca::bridge::decide_in_subject<username>(s, cmd);
}

username::state username::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<username>(s, ev);
}

} // namespace shared_database
