// A learner's submission (test data for `dca grade`): the get handler waits for the count to stop
// changing. While a handler runs, its actor handles nothing else, so the count never changes and
// the handler never returns.
#include "scenario.hpp"

#include <chrono>
#include <thread>

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t {
          auto before = self->state.count;
          while (self->state.count == before)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          return self->state.count;
        },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {};
}

} // namespace lost_update
