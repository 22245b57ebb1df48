// Exercise 02, shared-state track: ACIDRain's Figure 1. Every account method takes the lock, so
// each call is safe on its own; but withdraw() checks the balance with one call and acts with
// another, and in between another withdrawal can pass the same check. Run `dca explore 02`.
#include "scenario.hpp"

#include <mutex>

namespace check_then_act {
// [slide:account]
std::int64_t account::balance() const {
  std::lock_guard<dca::mutex> hold{lock_};
  return balance_.load();
}

void account::debit(std::int64_t amount) {
  std::lock_guard<dca::mutex> hold{lock_};
  balance_.store(balance_.load() - amount);
}
// [/slide:account]
// [slide:withdraw]
std::int64_t withdraw(account& acc, std::int64_t amount) {
  if (acc.balance() < amount) // check...
    return 0;                 // refused: nothing paid
  acc.debit(amount);          // ...then act: another thread may have checked
  return amount;              // paid
}
// [/slide:withdraw]

} // namespace check_then_act
