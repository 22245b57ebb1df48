// A hostile submission (test data for the grader's verdicts): the skeleton, plus a static
// constructor that ends the process with status 0 before any spec runs. It must not pass.
#include "scenario.hpp"

#include <cstdlib>

namespace lost_update {

namespace {
struct leave_early {
  leave_early() { std::exit(0); }
} leave_early_now;
} // namespace

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<std::int64_t>*) -> caf::behavior {
    return {
        [=](inc_atom) {},
        [=](get_atom) -> std::int64_t { return 0; },
        [=](set_atom, std::int64_t) {},
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t) {
  return {};
}

} // namespace lost_update
