// A correct but slow answer (test data for dca grade): the reference solution's counter, plus a
// fixed amount of busy work in every handler (no sleep: the work is counted in loop steps, so it
// slows down with the machine exactly as the reference solution does). It must pass under the
// run limit calibrated from the reference solution, whatever the machine's load.
#include "scenario.hpp"

#include <cstdint>

namespace lost_update {

namespace {

/// Some 50 us of arithmetic the compiler cannot drop (the result is kept in the state).
std::uint64_t busy_work(std::uint64_t seed) {
  volatile std::uint64_t x = seed | 1;
  for (int i = 0; i < 30'000; ++i)
    x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x;
}

} // namespace

struct counter_state {
  std::int64_t count = 0;
  std::uint64_t noise = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) {
          self->state.noise ^= busy_work(self->state.noise);
          self->state.count += 1;
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
