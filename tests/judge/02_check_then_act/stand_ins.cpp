// Exercise 02's contract as the judge implements it: spawn_account makes a stand-in, and the
// learner's account runs in the subject process (subject.cpp). Linked into the judge's spec and
// program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/stand_in.hpp"

namespace check_then_act {

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return dca::bridge::spawn_stand_in(system, "account", caf::make_message(initial));
}

} // namespace check_then_act
