// A learner's submission (test data for `dca grade`): "messages are slow", so the workers add to a
// global atomic and the counter actor only reads it. The spec's counts come out right; the lesson
// (one owner, no shared state) is not learned. The hygiene analyzer must say so.
#include "scenario.hpp"

#include <atomic>

namespace lost_update {

std::atomic<std::int64_t> total{0};

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  total = 0;
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return total.load(); },
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t increments) {
  total.fetch_add(increments);
  return {};
}

} // namespace lost_update
