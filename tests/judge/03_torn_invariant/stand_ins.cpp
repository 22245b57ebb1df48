// Exercise 03's contract as the judge implements it: spawn_ledger makes a stand-in, and the
// learner's ledger runs in the subject process (subject.cpp). Linked into the judge's spec and
// program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/stand_in.hpp"

namespace torn_invariant {

caf::actor spawn_ledger(caf::actor_system& system, std::vector<opening> accounts) {
  // The openings cross as name, balance, closed, name, ...: CAF's own types, no exercise type
  // to announce on both sides.
  caf::message rows;
  for (const auto& acc : accounts)
    rows = rows + caf::make_message(acc.name, acc.balance, acc.closed);
  return dca::bridge::spawn_stand_in(system, "ledger", rows);
}

} // namespace torn_invariant
