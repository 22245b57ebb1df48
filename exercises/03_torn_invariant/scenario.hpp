// Exercise 03, an invariant across objects: the contract both tracks implement. A bank moves money
// between accounts while an auditor sums the balances. Money is neither made nor destroyed, so
// every audit must see the same total, and so must the books at the end, even when a transfer
// fails half-way (here: its credit goes to a closed account). With shared state each account has
// its own lock; with message passing one ledger actor owns every balance.
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace torn_invariant {

/// How an account starts. A closed account refuses every credit.
struct opening {
  std::string name;
  std::int64_t balance = 0;
  bool closed = false;
};

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// What credit() throws on a closed account: a failure between a transfer's debit and its credit.
struct account_closed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An account with its own lock: each method, on its own, is safe.
class account {
public:
  explicit account(const opening& how)
      : name_(how.name), balance_name_(how.name + ".balance"), closed_(how.closed),
        lock_(name_.c_str()), balance_(balance_name_.c_str(), how.balance) {}

  std::int64_t balance() const;
  void debit(std::int64_t amount);
  /// Throws account_closed if the account is closed.
  void credit(std::int64_t amount);

private:
  std::string name_;         // the lock's name in the explorer's trace: "A"
  std::string balance_name_; // the balance's: "A.balance"
  bool closed_;
  mutable dca::mutex lock_;
  dca::shared<std::int64_t> balance_;
};

/// The accounts of one bank. A deque, because an account (with its lock) cannot move.
using bank = std::deque<account>;

/// Moves `amount` from `from` to `to`, one account at a time, as a service would. Returns false
/// when the credit failed. Several threads run transfers at once.
bool transfer(account& from, account& to, std::int64_t amount);

/// What the end-of-day report does: sums every balance, locking one account at a time.
std::int64_t audit(const bank& accounts);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// "Move this amount from account `from` to account `to`" (int, int, std::int64_t; accounts are
/// numbered from 0 in the order they were opened). The ledger replies true when the money moved,
/// false when it refused the transfer and changed nothing.
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;

/// "What is the total of every balance?" The ledger replies with a std::int64_t.
using audit_atom = caf::atom_constant<caf::atom("audit")>;

/// "What is the balance of account `n`?" (an int). The ledger replies with a std::int64_t.
using balance_atom = caf::atom_constant<caf::atom("balance")>;

/// Spawns the one actor that owns every balance of the bank.
caf::actor spawn_ledger(caf::actor_system& system, std::vector<opening> accounts);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 03` and `dca explore 03` run this exercise.
dca::harness::exercise describe();

} // namespace torn_invariant
