// A learner's submission (test data for `dca grade`): the worker asks the counter for the count and
// sends back count+1. Every message is handled alone, but the read-modify-write is now split
// across two messages, so two workers can read the same count: updates are lost again.
#include "scenario.hpp"

namespace lost_update {

namespace {
using put_atom = caf::atom_constant<caf::atom("put")>;
} // namespace

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return self->state.count; },
        [=](put_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, get_atom::value);
  return {
      [=, left = increments](std::int64_t seen) mutable {
        self->send(counter, put_atom::value, seen + 1);
        if (--left == 0)
          self->quit();
      },
  };
}

} // namespace lost_update
