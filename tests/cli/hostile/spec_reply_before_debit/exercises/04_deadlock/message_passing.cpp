// A wrong submission of exercise 04 (a test fixture, never a solution): the account confirms a
// transfer at once and takes the money off only when the credit is confirmed. It never deadlocks,
// and the books end right, so only a spec that looks between the reply and the debit fails it:
// tests/exercises/04_deadlock_spec.cpp must, every time (target wrong04_spec, and `dca grade`).
#include "scenario.hpp"

namespace deadlock {

struct account_state {
  std::int64_t balance = 0;
};

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return system.spawn([initial](caf::stateful_actor<account_state>* self) -> caf::behavior {
    self->state.balance = initial;
    return {
        [=](transfer_atom, caf::actor to, std::int64_t amount) {
          self->request(to, credit_timeout, credit_atom::value, amount)
              .then([=](bool) { self->state.balance -= amount; }, [](caf::error&) {});
          return true; // wrong: confirmed before the money has left this account
        },
        [=](credit_atom, std::int64_t amount) {
          self->state.balance += amount;
          return true;
        },
        [=](balance_atom) { return self->state.balance; },
    };
  });
}

} // namespace deadlock
