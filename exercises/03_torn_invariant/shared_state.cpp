// Exercise 03, shared-state track: every account has its own lock, so each debit and each credit is
// safe. The bank's invariant, the total, spans every account and no lock covers it: an auditor can
// read a transfer half done, and a transfer that fails half way loses the money for good.
// Run `dca explore 03` for the audit and `dca run 03` for the money.
#include "scenario.hpp"

#include <mutex>

namespace torn_invariant {
// [slide:account]
std::int64_t account::balance() const {
  std::lock_guard<dca::mutex> hold{lock_};
  return balance_.load();
}

void account::debit(std::int64_t amount) {
  std::lock_guard<dca::mutex> hold{lock_};
  balance_.store(balance_.load() - amount);
}

void account::credit(std::int64_t amount) {
  std::lock_guard<dca::mutex> hold{lock_};
  if (closed_)
    throw account_closed{name_ + " is closed"};
  balance_.store(balance_.load() + amount);
}
// [/slide:account]
// [slide:transfer]
bool transfer(account& from, account& to, std::int64_t amount) {
  from.debit(amount); // done, and visible: the money is now nowhere
  try {
    to.credit(amount);
  } catch (const account_closed&) {
    return false; // the service reports the failure... and the debit stays
  }
  return true;
}
// [/slide:transfer]

// [slide:audit]
std::int64_t audit(const bank& accounts) {
  std::int64_t total = 0;
  for (const auto& acc : accounts)
    total += acc.balance(); // one lock at a time: transfers go on meanwhile
  return total;
}
// [/slide:audit]

} // namespace torn_invariant
