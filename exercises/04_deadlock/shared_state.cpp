// Exercise 04, shared-state track: a transfer holds both accounts' locks, so no one can see the
// money half way (03's lesson). But T1 locks A then B while T2 locks B then A: each can take its
// first lock and wait forever for its second. Run `dca explore 04`.
#include "scenario.hpp"

#include <mutex>

namespace deadlock {

// [slide:transfer]
void transfer(account& from, account& to, std::int64_t amount) {
  std::lock_guard<dca::mutex> first{from.lock}; // T1 takes A, T2 takes B,
  std::lock_guard<dca::mutex> second{to.lock};  // then each waits for the other
  from.balance.store(from.balance.load() - amount);
  to.balance.store(to.balance.load() + amount);
}
// [/slide:transfer]

} // namespace deadlock
