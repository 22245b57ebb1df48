// Exercise 09, shared-state track: the naive distributed design. The service keeps its own state,
// but what it shares with the checkout is the channel between them, and the checkout sends a
// charge again whenever the receipt does not come back in time. This service takes every charge
// that arrives for a new one: a retry after a lost reply charges the order twice.
// Run `dca explore 09` to see the lost reply and the second charge.
#include "scenario.hpp"

namespace at_least_once {

namespace {

struct naive_state {
  std::map<int, int> charges; // by order
  std::int64_t receipts = 0;
};

} // namespace

caf::actor spawn_naive_payments(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<naive_state>* self) -> caf::behavior {
    return {
        // [slide:naive]
        [=](charge_atom, int order, std::int64_t) -> std::int64_t {
          ++self->state.charges[order]; // every charge that arrives is new: a retry too
          return ++self->state.receipts;
        },
        // [/slide:naive]
        [=](charges_atom, int order) { return self->state.charges[order]; },
    };
  });
}

} // namespace at_least_once
