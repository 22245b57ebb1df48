// Check-then-act on an account: two withdrawals each check the balance, then take the money. When
// both check before either takes, the balance goes negative, seen at once by expect inside the
// thread (the bug); checking and taking under one lock keeps it (the fix).
#include <memory>
#include <mutex>

#include "classic.hpp"
#include "dca/explore/expect.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace {

using namespace classics;

thread_execution_factory withdrawals(bool locked) {
  return [=] {
    auto m = std::make_shared<dca::mutex>("account");
    auto balance = std::make_shared<dca::shared<long>>("balance", 100);
    auto withdraw = [=] {
      std::unique_lock<dca::mutex> g{*m, std::defer_lock};
      if (locked)
        g.lock();
      if (balance->load() >= 60) {
        balance->store(balance->load() - 60);
        expect(balance->load() >= 0, "the balance went negative");
      }
    };
    thread_execution exec;
    exec.threads = {{"T1 withdraw(60)", withdraw}, {"T2 withdraw(60)", withdraw}};
    return exec;
  };
}

} // namespace

TEST_CASE("two withdrawals that check before they act overdraw the account") {
  require_found("check-then-act, unlocked (systematic)", withdrawals(false), strategy::systematic);
  require_found("check-then-act, unlocked (delay)", withdrawals(false), strategy::delay);
  require_found("check-then-act, unlocked (dpor)", withdrawals(false), strategy::dpor);
}

TEST_CASE("two withdrawals that check and act under one lock never overdraw") {
  require_proven("check-then-act, locked", withdrawals(true));
}
