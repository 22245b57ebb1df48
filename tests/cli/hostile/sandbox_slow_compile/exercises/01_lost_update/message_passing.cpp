// A hostile submission (test data for the grader): a correct counter whose file takes the compiler
// minutes (constants evaluated in nested loops, each loop under GCC's limit of iterations).
// Over the compile limit it must get `timeout` (compile timeout), never `compile_error`.
#include "scenario.hpp"

namespace lost_update {

namespace {

// Each constant is evaluated on its own, under GCC's limit of 2^33 steps per evaluation (about
// 2.4e9 steps each here), and they differ, so none is cached: sixteen of them take minutes.
constexpr unsigned long long spin(unsigned long long seed) {
  unsigned long long x = seed;
  for (unsigned long long i = 0; i < 20000; ++i)
    for (unsigned long long j = 0; j < 20000; ++j)
      x += i ^ (x >> 3) ^ j;
  return x;
}
static_assert(spin(1) != 1, "evaluated at compile time");
static_assert(spin(2) != 1, "evaluated at compile time");
static_assert(spin(3) != 1, "evaluated at compile time");
static_assert(spin(4) != 1, "evaluated at compile time");
static_assert(spin(5) != 1, "evaluated at compile time");
static_assert(spin(6) != 1, "evaluated at compile time");
static_assert(spin(7) != 1, "evaluated at compile time");
static_assert(spin(8) != 1, "evaluated at compile time");
static_assert(spin(9) != 1, "evaluated at compile time");
static_assert(spin(10) != 1, "evaluated at compile time");
static_assert(spin(11) != 1, "evaluated at compile time");
static_assert(spin(12) != 1, "evaluated at compile time");
static_assert(spin(13) != 1, "evaluated at compile time");
static_assert(spin(14) != 1, "evaluated at compile time");
static_assert(spin(15) != 1, "evaluated at compile time");
static_assert(spin(16) != 1, "evaluated at compile time");

} // namespace

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
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
