// Exercise 04, message-passing track: actors have no locks, but they can still wait for each other.
// An account handles a transfer by asking the other account to credit the money. If it waits for
// the answer (`await`) it handles nothing else meanwhile, and when the other account is doing the
// same towards it, both wait until their requests time out. Change the line marked TODO, then run
// `dca check 04`.
#include "scenario.hpp"

namespace deadlock {

/// The account's private state: only the account's own handlers ever touch it.
struct account_state {
  std::int64_t balance = 0;
};

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return system.spawn([initial](caf::stateful_actor<account_state>* self) -> caf::behavior {
    self->state.balance = initial;
    return {
        // [slide:transfer]
        [=](transfer_atom, caf::actor to, std::int64_t amount) {
          auto done = self->make_response_promise<bool>();
          self->state.balance -= amount; // in flight until `to` confirms
          self->request(to, credit_timeout, credit_atom::value, amount)
              .await( // TODO: handles nothing else till `to` replies: use then
                  [=](bool) mutable { done.deliver(true); },
                  [=](caf::error& err) mutable {
                    self->state.balance += amount; // not credited: take it back
                    done.deliver(std::move(err));
                  });
          return done;
        },
        // [/slide:transfer]
        [=](credit_atom, std::int64_t amount) {
          self->state.balance += amount;
          return true;
        },
        [=](balance_atom) { return self->state.balance; },
    };
  });
}

} // namespace deadlock
