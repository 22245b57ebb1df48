// Exercise 01, message-passing track: the count lives inside one actor, and the workers only send
// it messages. Nobody else can read or write the count, so no increment can be lost.
// This is the reference solution; the exercise file has the same shape.
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
          // The read and the write happen inside one handler, and an actor runs one handler at a
          // time: no other increment can come in between.
          self->state.count += 1;
        },
        [=](get_atom) -> std::int64_t {
          // Replies see every increment that reached the mailbox before this request.
          return self->state.count;
        },
        [=](set_atom, std::int64_t value) { self->state.count = value; },
    };
  });
}
// [/slide:counter]

// [slide:worker]
caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments) {
  // Sending never waits and never touches the count: the counter applies increments in the order
  // its mailbox received them.
  for (std::int64_t i = 0; i < increments; ++i)
    self->send(counter, inc_atom::value);
  return {}; // an empty behavior: the worker quits once it has sent its messages
}
// [/slide:worker]

} // namespace lost_update
