// A wrong attempt at 01 (learner-journey test data): the increment handler writes through a pointer
// that is null at run time. `dca check 01` must name this line, and `dca run` one line instead of
// the shell's "Segmentation fault".
#include "scenario.hpp"

#include <cstdint>

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) {
          auto* where = reinterpret_cast<volatile std::int64_t*>(
              static_cast<std::uintptr_t>(self->state.count) * sizeof(std::int64_t));
          *where += 1;
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
