// Exercise 01, message-passing track: the count lives inside one actor, and the workers only send
// it messages. Nobody else can read or write the count, so no increment can be lost.
// Fill in the lines marked TODO, then run `dca check 01`.
#include "scenario.hpp"

namespace lost_update {

/// The counter's private state: only the counter's own handlers ever touch it.
struct counter_state {
  std::int64_t count = 0;
};

// [slide:counter]
caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) {
          // TODO: add one to the count this actor owns (self->state.count).
          (void)self;
        },
        [=](get_atom) -> std::int64_t {
          // TODO: reply with the count instead of 0.
          return 0;
        },
        [=](set_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}
// [/slide:counter]

// [slide:worker]
caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  // TODO: send `increments` inc_atom messages to `counter` (self->send(counter, inc_atom::value)).
  (void)self;
  (void)counter;
  (void)increments;
  return {}; // an empty behavior: the worker quits once it has sent its messages
}
// [/slide:worker]

} // namespace lost_update
