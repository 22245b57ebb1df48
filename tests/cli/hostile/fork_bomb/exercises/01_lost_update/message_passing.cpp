// A hostile submission (test data for the grading sandbox): the counter forks until it cannot, and
// every child does the same. The sandbox must cap the processes, end them all, and say why.
#include "scenario.hpp"

#include <unistd.h>

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  for (;;)
    fork();
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return self->state.count; },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
