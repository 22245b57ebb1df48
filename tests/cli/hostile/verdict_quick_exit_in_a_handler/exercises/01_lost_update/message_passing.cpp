// A hostile submission (test data for the grader's verdicts): the counter's first message ends
// the whole process with quick_exit(0), in the middle of the specs. It must not pass.
#include "scenario.hpp"

#include <cstdlib>

namespace lost_update {

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<std::int64_t>*) -> caf::behavior {
    return {
        [=](inc_atom) { std::quick_exit(0); },
        [=](get_atom) -> std::int64_t { std::quick_exit(0); },
        [=](set_atom, std::int64_t) {},
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t) {
  self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
