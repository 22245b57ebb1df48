// Lazy initialisation with double-checked locking: check a flag, take the lock, and initialise.
// Without checking again under the lock two threads that both saw "not ready" both initialise
// (the bug); checking again under the lock initialises once (the fix, with a sequentially
// consistent flag as dca::shared is under the explorer).
#include <memory>
#include <mutex>

#include "classic.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace {

using namespace classics;

thread_execution_factory lazy_init(bool check_again) {
  return [=] {
    auto m = std::make_shared<dca::mutex>("init_lock");
    auto ready = std::make_shared<dca::shared<bool>>("ready", false);
    auto inits = std::make_shared<dca::shared<int>>("inits", 0);
    auto get = [=] {
      if (ready->load())
        return;
      std::lock_guard<dca::mutex> g{*m};
      if (check_again && ready->load())
        return;
      inits->store(inits->load() + 1);
      ready->store(true);
    };
    thread_execution exec;
    exec.threads = {{"T1 get", get}, {"T2 get", get}, {"T3 get", get}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      if (inits->load() == 1)
        return std::nullopt;
      return "initialised " + std::to_string(inits->load()) + " times";
    };
    return exec;
  };
}

} // namespace

TEST_CASE("double-checked locking without the second check initialises twice") {
  require_found("lazy init, one check (systematic)", lazy_init(false), strategy::systematic);
  require_found("lazy init, one check (dpor)", lazy_init(false), strategy::dpor);
  require_found("lazy init, one check (random)", lazy_init(false), strategy::random);
}

TEST_CASE("double-checked locking with the second check initialises once") {
  require_proven("lazy init, checked again", lazy_init(true));
}
