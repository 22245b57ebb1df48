// A wrong attempt at 01 (learner-journey test data): the workers count in a static global, and
// get returns it. Run one worker after another and every increment counts: the spec can pass, and
// the lesson (one owner) is not learned. `dca check` must say so, with the line.
#include "scenario.hpp"

namespace lost_update {

static std::int64_t g_count = 0;

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  g_count = 0;
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return g_count; },
        [=](set_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i) {
    auto seen = g_count;
    g_count = seen + 1;
  }
  return {};
}

} // namespace lost_update
