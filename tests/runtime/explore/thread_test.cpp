// dca::thread and dca::yield under the explorer: threads the program starts and joins itself are
// explored like the ones it starts with, and a spin loop that yields costs one step per change of
// what it reads, so the search stays small and a spin nobody ends is reported as such.
#include "dca/thread.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "dca/explore/expect.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/shared.hpp"
#include "search_options.hpp"

using namespace dca::explore;
using dca::explore::test::replaying;
using dca::explore::test::with;

namespace {

/// One main thread that starts two workers adding to `total`, joins them and checks the sum.
thread_execution_factory spawning(bool atomic) {
  return [atomic] {
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    thread_execution exec;
    exec.threads = {{"T0 main", [total, atomic] {
                       auto add = [total, atomic] {
                         if (atomic)
                           total->fetch_add(1);
                         else
                           total->store(total->load() + 1);
                       };
                       dca::thread a{"worker a", add};
                       dca::thread b{"worker b", add};
                       a.join();
                       b.join();
                       expect(total->load() == 2, "an increment was lost");
                     }}};
    return exec;
  };
}

} // namespace

TEST_CASE("threads started inside the program are explored, and the lost update is found") {
  auto r = explore_threads(spawning(false), with(strategy::systematic, 2));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict == "an increment was lost (seen by T0 main)");
  CHECK(r.actors == std::vector<std::string>{"T0 main", "worker a", "worker b"});
  auto again = explore_threads(spawning(false), replaying(r.failing_schedule));
  CHECK(again.result == outcome::invariant_broken);
  CHECK(again.trace.size() == r.trace.size());
}

TEST_CASE("threads started inside the program and joined are proven clean with fetch_add") {
  auto r = explore_threads(spawning(true), with(strategy::dpor));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  auto all = explore_threads(spawning(true), with(strategy::systematic));
  CHECK(all.result == outcome::clean);
  CHECK(r.classes_explored <= all.schedules_explored);
  MESSAGE("DPOR " << r.classes_explored << " classes, unbounded search " << all.schedules_explored
                  << " schedules");
}

TEST_CASE("a join waits for its thread: what the thread wrote is seen after the join") {
  auto make = [] {
    auto x = std::make_shared<dca::shared<int>>("x", 0);
    thread_execution exec;
    exec.threads = {{"T0", [x] {
                       dca::thread t{"writer", [x] { x->store(1); }};
                       t.join();
                       expect(x->load() == 1, "the join returned before the write");
                     }}};
    return exec;
  };
  auto r = explore_threads(make, with(strategy::systematic));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
}

TEST_CASE("a spin loop that yields does not blow up the search") {
  auto make = [] {
    auto flag = std::make_shared<dca::shared<bool>>("flag", false);
    auto data = std::make_shared<dca::shared<int>>("data", 0);
    thread_execution exec;
    exec.threads = {{"T1 spinner",
                     [flag, data] {
                       while (!flag->load())
                         dca::yield();
                       expect(data->load() == 42, "the flag came before the data");
                     }},
                    {"T2 writer", [flag, data] {
                       data->store(42);
                       flag->store(true);
                     }}};
    return exec;
  };
  auto r = explore_threads(make, with(strategy::systematic));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.schedules_explored <= 10);
  auto reduced = explore_threads(make, with(strategy::dpor));
  CHECK(reduced.result == outcome::clean);
  CHECK(reduced.search_exhausted);
  MESSAGE("spin loop: " << r.schedules_explored << " schedules unbounded, "
                        << reduced.classes_explored << " DPOR classes");
}

TEST_CASE("a spin loop nothing will end is reported with what it spins on") {
  auto make = [] {
    auto flag = std::make_shared<dca::shared<bool>>("flag", false);
    thread_execution exec;
    exec.threads = {{"T1", [flag] {
                       while (!flag->load())
                         dca::yield();
                     }}};
    return exec;
  };
  auto r = explore_threads(make, with(strategy::systematic));
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle ==
        std::vector<std::string>{"T1 spins, and nothing it read (flag) can change any more"});
}
