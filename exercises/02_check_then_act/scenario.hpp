// Exercise 02, check-then-act: the contract both tracks implement. An account holds 100 and two
// customers each withdraw 80 at the same time. At most one of them may be paid: the balance must
// never go below zero, and what was paid out plus what is left must be what the account started
// with. With shared state the account is an object whose every method takes its lock; with message
// passing it is an actor that decides each withdrawal in one handler.
#pragma once

#include <cstdint>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace check_then_act {

/// What every account starts with, and what every customer asks for: two withdrawals do not fit.
constexpr std::int64_t initial_balance = 100;
constexpr std::int64_t withdrawal_amount = 80;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// An account whose every method takes the account's lock: each call, on its own, is safe.
class account {
public:
  explicit account(std::int64_t initial) : balance_("balance", initial) {}

  /// The balance now. Another thread may change it as soon as this returns.
  std::int64_t balance() const;

  /// Takes `amount` off the balance (a read and a write, both under the lock).
  void debit(std::int64_t amount);

private:
  mutable dca::mutex lock_{"account"};
  dca::shared<std::int64_t> balance_;
};

/// Pays out `amount` if the balance covers it. Returns what was paid: `amount`, or 0 when refused.
/// Several threads run this on the same account at once.
std::int64_t withdraw(account& acc, std::int64_t amount);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// "Pay me this amount" (a std::int64_t). The account replies with what it paid, as a
/// std::int64_t: the amount, or 0 when the balance does not cover it.
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;

/// "What is the balance?" The account replies with its balance as a std::int64_t.
using balance_atom = caf::atom_constant<caf::atom("balance")>;

/// Spawns the actor that owns one account's balance, starting at `initial`.
caf::actor spawn_account(caf::actor_system& system, std::int64_t initial);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 02` and `dca explore 02` run this exercise.
dca::harness::exercise describe();

} // namespace check_then_act
