// A wrong attempt at 01 (learner-journey test data), the one hint 3 invites: each worker asks the
// counter for its value and sends back value+1, splitting the read-modify-write across two
// messages. A free run may not tell (it is slow, and may not lose an update); `dca run` must say
// what the explorer finds instead of waiting silently.
#include "scenario.hpp"

namespace lost_update {

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return self->state.count; },
        [=](set_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}

caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i)
    self->request(counter, caf::infinite, get_atom::value).then([=](std::int64_t value) {
      self->send(counter, set_atom::value, value + 1);
    });
  return {
      [](const caf::exit_msg&) {},
  };
}

} // namespace lost_update
