// A wrong attempt at 02 (learner-journey test data): the check and the act are right, but a global
// tally of what was paid is shared by every account. `dca check` must say so, with the line.
#include "scenario.hpp"

namespace check_then_act {

std::int64_t g_paid = 0;

struct account_state {
  std::int64_t balance = 0;
};

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return system.spawn([initial](caf::stateful_actor<account_state>* self) -> caf::behavior {
    self->state.balance = initial;
    return {
        [=](withdraw_atom, std::int64_t amount) -> std::int64_t {
          if (self->state.balance < amount)
            return 0;
          self->state.balance -= amount;
          g_paid += amount;
          return amount;
        },
        [=](balance_atom) -> std::int64_t { return self->state.balance; },
    };
  });
}

} // namespace check_then_act
