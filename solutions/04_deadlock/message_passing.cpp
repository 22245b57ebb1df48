// Exercise 04, message-passing track: actors have no locks, but they can still wait for each other.
// An account handles a transfer by asking the other account to credit the money. With `then` it
// keeps handling messages while the answer is on its way, so when the other account asks it for a
// credit at the same moment, both requests are answered and neither waits for the other.
// This is the reference solution; the exercise file has the same shape.
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
              .then( // keeps handling messages, `to`'s credit too, meanwhile
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
