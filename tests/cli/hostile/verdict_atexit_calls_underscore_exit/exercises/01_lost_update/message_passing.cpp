// A hostile submission (test data for the grader's verdicts): the skeleton, plus an atexit
// handler that turns the failing specs' exit status into 0 with _Exit(0). It must not pass.
#include "scenario.hpp"

#include <cstdlib>

namespace lost_update {

namespace {
const int registered = std::atexit([] { std::_Exit(0); });
} // namespace

caf::actor spawn_counter(caf::actor_system& system) {
  (void)registered;
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
