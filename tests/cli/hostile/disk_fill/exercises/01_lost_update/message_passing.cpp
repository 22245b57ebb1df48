// A hostile submission (test data for the grading sandbox): the counter writes one file until the
// disk is full. The sandbox must stop it at its file-size limit without touching the real disk.
#include "scenario.hpp"

#include <cstdio>
#include <vector>

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  std::vector<char> block(1 << 20, 'x');
  if (std::FILE* f = std::fopen("fill.bin", "wb"))
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size())
      std::fflush(f);
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
