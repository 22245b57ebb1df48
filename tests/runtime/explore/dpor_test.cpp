// Partial-order reduction in the thread explorer: one schedule per class of reorderings of
// independent steps, every class covered (so a bug is still found), and the counts reported.
#include "dca/explore/explorer.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "dca/mutex.hpp"
#include "dca/shared.hpp"
#include "dca/thread.hpp"

using namespace dca::explore;

namespace {

options dpor() {
  options opts;
  opts.search = strategy::dpor;
  return opts;
}

/// Three threads that each write their own variable twice: nothing to reorder.
thread_execution own_variables() {
  thread_execution exec;
  for (int t = 0; t < 3; ++t) {
    auto mine = std::make_shared<dca::shared<int>>("x", 0);
    exec.threads.push_back({"T" + std::to_string(t + 1), [=] {
                              mine->store(1);
                              mine->store(2);
                            }});
  }
  return exec;
}

/// `threads` threads that each add one under a mutex (`locked`) or with a split load and store.
thread_execution_factory counter(int threads, bool locked) {
  return [=] {
    auto m = std::make_shared<dca::mutex>("m");
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    thread_execution exec;
    for (int t = 0; t < threads; ++t)
      exec.threads.push_back({"T" + std::to_string(t + 1), [=] {
                                std::unique_lock<dca::mutex> g{*m, std::defer_lock};
                                if (locked)
                                  g.lock();
                                total->store(total->load() + 1);
                              }});
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      if (total->load() == threads)
        return std::nullopt;
      return std::string{"an increment was lost"};
    };
    return exec;
  };
}

} // namespace

TEST_CASE("threads that share nothing have one schedule up to reordering") {
  auto r = explore_threads(own_variables, dpor());
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.schedules_explored == 1);
  CHECK(r.classes_explored == 1);
  CHECK(r.interleavings_naive == 90); // 6! / (2! 2! 2!)
  CHECK(proof_text(r) == "every schedule clean: 1 class, 90 interleavings");
}

TEST_CASE("DPOR still finds the lost update, and its schedule replays") {
  auto found = explore_threads(counter(2, false), dpor());
  REQUIRE(found.result == outcome::invariant_broken);
  options again;
  again.replay = found.failing_schedule;
  CHECK(explore_threads(counter(2, false), again).verdict == found.verdict);
}

TEST_CASE("a counter under a mutex is proven clean with one schedule per order of the locks") {
  auto r = explore_threads(counter(3, true), dpor());
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.classes_explored == 6);         // 3! orders of the critical sections
  CHECK(r.interleavings_naive == 34'650); // 12! / (4! 4! 4!)
  MESSAGE(proof_text(r) << " in " << r.schedules_explored << " schedules");
}

TEST_CASE("DPOR covers every outcome of the store-buffering litmus test") {
  auto outcomes = std::make_shared<std::set<std::pair<int, int>>>();
  auto make = [outcomes] {
    auto x = std::make_shared<dca::shared<int>>("x", 0);
    auto y = std::make_shared<dca::shared<int>>("y", 0);
    auto r1 = std::make_shared<int>(-1);
    auto r2 = std::make_shared<int>(-1);
    thread_execution exec;
    exec.threads = {{"T1",
                     [=] {
                       x->store(1);
                       *r1 = y->load();
                     }},
                    {"T2", [=] {
                       y->store(1);
                       *r2 = x->load();
                     }}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      outcomes->insert({*r1, *r2});
      return std::nullopt;
    };
    return exec;
  };
  auto r = explore_threads(make, dpor());
  CHECK(r.search_exhausted);
  CHECK(r.classes_explored == 3);
  CHECK(*outcomes == std::set<std::pair<int, int>>{{0, 1}, {1, 0}, {1, 1}});
}

namespace {

using final_states = std::set<std::vector<int>>;

/// Main starts `b`, writes the input, starts `a`, joins both and reads what they wrote; `a` and
/// `b` race on `x` meanwhile. The input is written before `a` exists and the outputs are read
/// after the joins: only the spawn and the join order those steps. Each run's final state (both
/// outputs and `x`) goes into `finals`.
thread_execution_factory hand_off(std::shared_ptr<final_states> finals) {
  return [finals] {
    auto input = std::make_shared<dca::shared<int>>("input", 0);
    auto x = std::make_shared<dca::shared<int>>("x", 0);
    auto out_a = std::make_shared<dca::shared<int>>("out a", 0);
    auto out_b = std::make_shared<dca::shared<int>>("out b", 0);
    auto seen = std::make_shared<std::vector<int>>();
    thread_execution exec;
    exec.threads = {{"T0 main", [=] {
                       dca::thread b{"b", [=] {
                                       out_b->store(x->load());
                                       x->store(2);
                                     }};
                       input->store(10);
                       dca::thread a{"a", [=] {
                                       out_a->store(input->load() + x->load());
                                       x->store(1);
                                     }};
                       a.join();
                       b.join();
                       *seen = {out_a->load(), out_b->load(), x->load()};
                     }}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      finals->insert(*seen);
      return std::nullopt;
    };
    return exec;
  };
}

} // namespace

TEST_CASE("DPOR orders a spawned thread after its spawn and a join after the joined thread") {
  auto all = std::make_shared<final_states>();
  options unbounded;
  unbounded.search = strategy::systematic;
  unbounded.preemptions_max = -1;
  auto every = explore_threads(hand_off(all), unbounded);
  REQUIRE(every.search_exhausted);
  auto reduced_finals = std::make_shared<final_states>();
  auto reduced = explore_threads(hand_off(reduced_finals), dpor());
  CHECK(reduced.result == outcome::clean);
  CHECK(reduced.search_exhausted);
  CHECK(*reduced_finals == *all); // every final state of the unbounded search, none other
  CHECK(reduced.classes_explored == all->size()); // one class per final state here
  // Without the spawn and join edges the same search ran 7 schedules: 3 stopped as redundant,
  // spent on orders that the spawn or the join rules out.
  CHECK(reduced.schedules_explored == 4);
  MESSAGE("final states: " << all->size() << "; unbounded search " << every.schedules_explored
                           << " schedules; DPOR " << reduced.classes_explored << " classes in "
                           << reduced.schedules_explored << " schedules");
}
