// Exercise 03, message-passing track: one ledger actor owns every balance of the bank. A transfer
// is one message and an audit is another, and the ledger handles one message at a time: no audit
// can see half a transfer, and nothing can fail between a debit and its credit.
// Fill in the lines marked TODO, then run `dca check 03`.
#include "scenario.hpp"

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
          // TODO: if account `to` is closed, refuse: return false.
          // TODO: else move `amount` from balances[from] to balances[to].
          (void)from;
          (void)to;
          (void)amount;
          return false;
        },
        [=](audit_atom) -> std::int64_t {
          // TODO: return the sum of every balance.
          return 0;
        },
        // [/slide:ledger]
        [=](balance_atom, int n) -> std::int64_t { return self->state.balances[n]; },
    };
  });
}

} // namespace torn_invariant
