// Dining philosophers (Dijkstra): three philosophers each take the fork on the left, then the one
// on the right. When every one holds a left fork they wait in a circle (the bug); taking the
// lower-numbered fork first breaks the circle (the fix: one global lock order, CP.21).
#include <memory>
#include <mutex>
#include <vector>

#include "classic.hpp"
#include "dca/mutex.hpp"

namespace {

using namespace classics;

thread_execution_factory philosophers(bool ordered) {
  return [=] {
    auto forks = std::make_shared<std::vector<std::unique_ptr<dca::mutex>>>();
    for (const char* name : {"fork0", "fork1", "fork2"})
      forks->push_back(std::make_unique<dca::mutex>(name));
    thread_execution exec;
    for (std::size_t p = 0; p < 3; ++p) {
      auto left = p;
      auto right = (p + 1) % 3;
      if (ordered && right < left)
        std::swap(left, right);
      exec.threads.push_back({"P" + std::to_string(p), [=] {
                                std::lock_guard<dca::mutex> first{*(*forks)[left]};
                                std::lock_guard<dca::mutex> second{*(*forks)[right]};
                              }});
    }
    return exec;
  };
}

} // namespace

TEST_CASE("philosophers who all take the left fork first deadlock in a circle") {
  require_found("dining philosophers, left first (systematic)", philosophers(false),
                strategy::systematic);
  require_found("dining philosophers, left first (dpor)", philosophers(false), strategy::dpor);
}

TEST_CASE("philosophers who take the lower fork first never deadlock") {
  require_proven("dining philosophers, lower first", philosophers(true));
}
