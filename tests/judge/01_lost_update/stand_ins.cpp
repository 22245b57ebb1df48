// Exercise 01's contract as the judge implements it: spawn_counter and worker make stand-ins, and
// the learner's counter and workers run in the subject process (subject.cpp). Linked into the
// judge's spec and program instead of message_passing.cpp, so no learner code is in the judge.
#include "scenario.hpp"

#include "dca/bridge/stand_in.hpp"

namespace lost_update {

caf::actor spawn_counter(caf::actor_system& system) {
  return dca::bridge::spawn_stand_in(system, "counter", caf::make_message());
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  return dca::bridge::become_stand_in(self, "worker",
                                      caf::make_message(std::move(counter), increments));
}

} // namespace lost_update
