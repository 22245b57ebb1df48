// Exercise 02, message-passing track: the balance lives inside one account actor, and a withdrawal
// is one message to it. The actor handles one message at a time, so no other withdrawal can come
// between the check and the act of this one. Fill in the lines marked TODO, then run `dca check
// 02`.
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
          // TODO: if the balance covers `amount`, take it off, return it.
          // TODO: otherwise refuse: leave the balance alone, return 0.
          (void)amount;
          return 0;
        },
        [=](balance_atom) -> std::int64_t { return self->state.balance; },
        // [/slide:account]
    };
  });
}

} // namespace check_then_act
