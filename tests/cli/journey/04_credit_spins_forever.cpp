// A wrong attempt at 04 (learner-journey test data): the credit handler never returns. `dca run 04
// --variant actors` and `dca explore 04 --variant actors` must stop at their time limit and name
// this line: the README promises that nothing here can hang.
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
          auto done = self->make_response_promise<bool>();
          self->state.balance -= amount;
          self->request(to, credit_timeout, credit_atom::value, amount)
              .then([=](bool) mutable { done.deliver(true); },
                    [=](caf::error& err) mutable {
                      self->state.balance += amount;
                      done.deliver(std::move(err));
                    });
          return done;
        },
        [=](credit_atom, std::int64_t amount) {
          volatile bool forever = true;
          while (forever)
            self->state.balance += amount * 0;
          return true;
        },
        [=](balance_atom) { return self->state.balance; },
    };
  });
}

} // namespace deadlock
