// Exercise 03, message-passing track: one ledger actor owns every balance of the bank. A transfer
// is one message and an audit is another, and the ledger handles one message at a time: no audit
// can see half a transfer, and nothing can fail between a debit and its credit.
// This is the reference solution; the exercise file has the same shape.
#include "scenario.hpp"

#include <numeric>

namespace torn_invariant {

/// The ledger's private state: only the ledger's own handlers ever touch it.
struct ledger_state {
  std::vector<std::int64_t> balances; // by account number
  std::vector<bool> closed;           // a closed account refuses credits
};

caf::actor spawn_ledger(caf::actor_system& system, std::vector<opening> accounts) {
  return system.spawn([accounts](caf::stateful_actor<ledger_state>* self) -> caf::behavior {
    for (const auto& acc : accounts) {
      self->state.balances.push_back(acc.balance);
      self->state.closed.push_back(acc.closed);
    }
    return {
        // [slide:ledger]
        [=](transfer_atom, int from, int to, std::int64_t amount) -> bool {
          // Decide first, then change both sides in one handler: no audit
          // and no failure can come in between.
          if (self->state.closed[to])
            return false; // refused: nothing moved
          self->state.balances[from] -= amount;
          self->state.balances[to] += amount;
          return true;
        },
        [=](audit_atom) -> std::int64_t { // sees transfers whole or not at all
          const auto& b = self->state.balances;
          return std::accumulate(b.begin(), b.end(), std::int64_t{0});
        },
        // [/slide:ledger]
        [=](balance_atom, int n) -> std::int64_t { return self->state.balances[n]; },
    };
  });
}

} // namespace torn_invariant
