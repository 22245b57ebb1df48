// Exercise 04, deadlock: the contract both tracks implement. Two accounts, A and B, and two
// transfers at the same time, one from A to B and one from B to A. With shared state each transfer
// holds both accounts' locks; with message passing each account asks the other to take the money.
// Either way the transfers must finish: nothing may wait forever for the other.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace deadlock {

/// What A and B start with.
constexpr std::int64_t opening_balance = 100;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// An account whose lock guards its balance.
struct account {
  account(const std::string& id, std::int64_t initial)
      : name(id), balance_name(id + ".balance"), lock(name.c_str()),
        balance(balance_name.c_str(), initial) {}

  const std::string name;         // the lock's name in the explorer's trace: "A"
  const std::string balance_name; // the balance's: "A.balance"
  dca::mutex lock;                // guards balance
  dca::shared<std::int64_t> balance;
};

/// Moves `amount` from `from` to `to` while holding both accounts' locks, so that nobody sees the
/// money half way. Two threads run it at once, in opposite directions.
void transfer(account& from, account& to, std::int64_t amount);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// "Send this amount to that account" (a caf::actor and a std::int64_t). The account takes the
/// amount off its balance and asks `to` to credit it. It replies true once `to` has confirmed, or
/// with the error (after putting the money back) when `to` did not confirm within credit_timeout.
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;

/// "Add this amount to your balance" (a std::int64_t). The account replies true.
using credit_atom = caf::atom_constant<caf::atom("credit")>;

/// "What is your balance?" The account replies with a std::int64_t.
using balance_atom = caf::atom_constant<caf::atom("balance")>;

/// How long an account waits for the other account to confirm a credit.
constexpr auto credit_timeout = std::chrono::seconds(1);

/// Spawns an account actor holding `initial`.
caf::actor spawn_account(caf::actor_system& system, std::int64_t initial);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 04` and `dca explore 04` run this exercise.
dca::harness::exercise describe();

} // namespace deadlock
