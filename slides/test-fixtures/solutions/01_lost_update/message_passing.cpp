// FIXTURE, not the solution: a stand-in for solutions/01_lost_update/message_passing.cpp with the
// regions the deck includes. The count lives in one actor; workers only send it messages.
#include <caf/all.hpp>

namespace lost_update {

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using get_atom = caf::atom_constant<caf::atom("get")>;

struct counter_state {
  std::int64_t count = 0;
};

// [slide:counter]
caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
      [=](inc_atom) { self->state.count += 1; }, // FIXTURE
      [=](get_atom) -> std::int64_t { return self->state.count; },
    };
  });
}
// [/slide:counter]

// [slide:worker]
caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i) // FIXTURE
    self->send(counter, inc_atom::value);
  return {};
}
// [/slide:worker]

} // namespace lost_update
