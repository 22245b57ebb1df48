// Exercise 04's contract as the judge implements it: spawn_account makes a stand-in, and the
// learner's accounts run in the subject process (subject.cpp). The credit requests one account
// makes of another, and their timeouts, are made by the stand-ins on the judge's side.
#include "scenario.hpp"

#include "dca/bridge/stand_in.hpp"

namespace deadlock {

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return dca::bridge::spawn_stand_in(system, "account", caf::make_message(initial));
}

} // namespace deadlock
