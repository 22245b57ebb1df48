// A wrong attempt at 01 (learner-journey test data): the counter's handler never returns. The check
// must show it is still running, and Ctrl-C must stop it at once, leaving no spec running.
#include "scenario.hpp"

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) {
          volatile bool forever = true;
          while (forever)
            self->state.count += 0;
        },
        [=](get_atom) -> std::int64_t { return self->state.count; },
        [=](set_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
