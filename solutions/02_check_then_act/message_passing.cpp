// Exercise 02, message-passing track: the balance lives inside one account actor, and a withdrawal
// is one message to it. The actor handles one message at a time, so no other withdrawal can come
// between the check and the act of this one.
// This is the reference solution; the exercise file has the same shape.
#include "scenario.hpp"

namespace check_then_act {

/// The account's private state: only the account's own handlers ever touch it.
struct account_state {
  std::int64_t balance = 0;
};

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return system.spawn([initial](caf::stateful_actor<account_state>* self) -> caf::behavior {
    self->state.balance = initial;
    return {
        // [slide:account]
        [=](withdraw_atom, std::int64_t amount) -> std::int64_t {
          // Check and act in one handler: no other message runs in
          // this actor between the two.
          if (self->state.balance < amount)
            return 0; // refused: the balance stays as it is
          self->state.balance -= amount;
          return amount; // paid
        },
        [=](balance_atom) -> std::int64_t { return self->state.balance; },
        // [/slide:account]
    };
  });
}

} // namespace check_then_act
