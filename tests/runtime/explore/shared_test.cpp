// The read-modify-writes of dca::shared (exchange, compare_exchange) and dca::mutex's try_lock
// under the explorer: each is one indivisible step, so a lock built on exchange or an increment
// built on compare_exchange is proven clean, and try_lock's two outcomes are both explored.
#include "dca/shared.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>

#include "dca/explore/expect.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/mutex.hpp"
#include "dca/thread.hpp"
#include "search_options.hpp"

using namespace dca::explore;
using dca::explore::test::replaying;
using dca::explore::test::with;

namespace {

/// Two threads incrementing under a spin lock on `locked`: test-and-set with exchange, or the
/// mistake of testing and then setting in two steps.
thread_execution_factory spin_locked(bool exchange) {
  return [exchange] {
    auto locked = std::make_shared<dca::shared<bool>>("locked", false);
    auto total = std::make_shared<dca::shared<int>>("total", 0);
    thread_execution exec;
    for (auto name : {"T1", "T2"})
      exec.threads.push_back({name, [=] {
                                if (exchange) {
                                  while (locked->exchange(true))
                                    dca::yield();
                                } else {
                                  while (locked->load())
                                    dca::yield();
                                  locked->store(true);
                                }
                                total->store(total->load() + 1);
                                locked->store(false);
                              }});
    exec.check = [total](const std::vector<step>&) -> std::optional<std::string> {
      if (total->load() == 2)
        return std::nullopt;
      return std::string{"an increment was lost"};
    };
    return exec;
  };
}

} // namespace

TEST_CASE("a spin lock built on exchange is proven clean, one built on load then store is not") {
  auto good = explore_threads(spin_locked(true), with(strategy::dpor));
  CHECK(good.result == outcome::clean);
  CHECK(good.search_exhausted);
  auto bad = explore_threads(spin_locked(false), with(strategy::dpor));
  CHECK(bad.result == outcome::invariant_broken);
  auto exchanges = 0;
  auto r = explore_threads(spin_locked(true), replaying(schedule{{0, 1}}));
  for (auto& s : r.trace)
    exchanges += s.operation == "exchange" ? 1 : 0;
  CHECK(exchanges >= 2);
}

TEST_CASE("an increment by compare_exchange retries and never loses an update") {
  auto make = [] {
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    thread_execution exec;
    for (auto name : {"T1", "T2", "T3"})
      exec.threads.push_back({name, [total] {
                                long seen = total->load();
                                while (!total->compare_exchange(seen, seen + 1)) {
                                  // `seen` now holds the newer value: try again from it
                                }
                              }});
    exec.check = [total](const std::vector<step>&) -> std::optional<std::string> {
      if (total->load() == 3)
        return std::nullopt;
      return "total is " + std::to_string(total->load()) + ", expected 3";
    };
    return exec;
  };
  auto r = explore_threads(make, with(strategy::dpor));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  auto all = explore_threads(make, with(strategy::systematic));
  CHECK(all.result == outcome::clean);
  MESSAGE("compare_exchange increments: DPOR " << r.classes_explored << " classes, unbounded "
                                               << all.schedules_explored << " schedules");
}

TEST_CASE("try_lock is one step whose both outcomes are explored") {
  auto outcomes = std::make_shared<std::set<std::string>>();
  auto make = [outcomes] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1",
                     [m] {
                       m->lock();
                       m->unlock();
                     }},
                    {"T2", [m] {
                       if (m->try_lock())
                         m->unlock();
                     }}};
    exec.check = [outcomes](const std::vector<step>& trace) -> std::optional<std::string> {
      for (auto& s : trace)
        if (s.operation == "try_lock")
          outcomes->insert(s.value);
      return std::nullopt;
    };
    return exec;
  };
  auto r = explore_threads(make, with(strategy::dpor));
  CHECK(r.result == outcome::clean);
  CHECK(*outcomes == std::set<std::string>{"acquired", "busy"});
}
