// A learner's submission (test data for `dca grade`): the counter increments through a pointer to
// its count that it never sets. The first increment dereferences null.
#include "scenario.hpp"

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
  std::int64_t* target = nullptr; // meant to point at count
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { *self->state.target += 1; },
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
