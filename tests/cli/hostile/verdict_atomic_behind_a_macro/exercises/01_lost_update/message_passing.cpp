// A hostile submission (test data for the grader's verdicts): the workers add to a global atomic
// declared through a macro, so no text scan sees the word "atomic" where it is used. The specs
// pass; the report must flag the shared state, at the line that declares it.
#include "scenario.hpp"

#include <atomic>

#define DCA_SHARED(name) std::atomic<std::int64_t> name { 0 }

namespace lost_update {

DCA_SHARED(total);

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  total = 0;
  return system.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
        [=](inc_atom) { self->state.count += 1; },
        [=](get_atom) -> std::int64_t { return total.load(); },
        [=](set_atom, std::int64_t value) { total = value; },
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t increments) {
  total.fetch_add(increments);
  return {};
}

} // namespace lost_update
