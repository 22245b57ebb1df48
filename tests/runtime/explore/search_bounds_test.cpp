// How the bounded searches stop and what they say when they do: bounds raised one at a time,
// delay bounding, PCT's depth, the budget and the clock, each failure replayable from its string.
#include "dca/explore/explorer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "dca/shared.hpp"

using namespace dca::explore;

namespace {

/// `threads` threads that each add one `increments` times, split (load, store) or with fetch_add.
/// Every clean run appends the preemptions of its trace to `seen`, when given.
thread_execution_factory adders(int threads, int increments, bool split,
                                std::shared_ptr<std::vector<int>> seen = nullptr) {
  return [=] {
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    thread_execution exec;
    for (int t = 0; t < threads; ++t)
      exec.threads.push_back({"T" + std::to_string(t + 1), [=] {
                                for (int i = 0; i < increments; ++i)
                                  if (split)
                                    total->store(total->load() + 1);
                                  else
                                    total->fetch_add(1);
                              }});
    exec.check = [=](const std::vector<step>& trace) -> std::optional<std::string> {
      if (seen) {
        // Without locks a thread can go on exactly when it has steps left.
        int preemptions = 0;
        for (std::size_t i = 1; i < trace.size(); ++i)
          if (trace[i].actor != trace[i - 1].actor &&
              std::any_of(trace.begin() + static_cast<long>(i), trace.end(),
                          [&](const step& s) { return s.actor == trace[i - 1].actor; }))
            ++preemptions;
        seen->push_back(preemptions);
      }
      if (total->load() == long{threads} * increments)
        return std::nullopt;
      return std::string{"an increment was lost"};
    };
    return exec;
  };
}

report replay_of(const thread_execution_factory& make, const report& found) {
  auto printed = schedule::parse(found.failing_schedule.to_string());
  REQUIRE(printed);
  options again;
  again.replay = *printed;
  return explore_threads(make, again);
}

} // namespace

TEST_CASE("a systematic search tries every schedule of a bound before any of the next") {
  auto seen = std::make_shared<std::vector<int>>();
  options opts;
  opts.preemptions_max = 2;
  auto r = explore_threads(adders(2, 3, false, seen), opts);
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.bound_cut);
  REQUIRE(seen->size() == r.schedules_explored);
  CHECK(std::is_sorted(seen->begin(), seen->end()));
  CHECK(seen->back() == 2);
  CHECK(proof_text(r) ==
        "every schedule within the bound clean: " + with_commas(r.schedules_explored) +
            " schedules (a larger bound has more)");
}

TEST_CASE("a bug one preemption deep is found with one preemption under a larger bound") {
  options opts;
  opts.preemptions_max = 3;
  auto r = explore_threads(adders(2, 2, true), opts);
  REQUIRE(r.result == outcome::invariant_broken);
  options one;
  one.preemptions_max = 1;
  auto at_one = explore_threads(adders(2, 2, true), one);
  CHECK(r.failing_schedule == at_one.failing_schedule);
  CHECK(r.schedules_explored == at_one.schedules_explored);
}

TEST_CASE("a search stopped by its budget says it proved nothing") {
  options opts;
  opts.schedules_max = 3;
  auto r = explore_threads(adders(3, 2, false), opts);
  CHECK_FALSE(r.failed());
  CHECK(r.schedules_explored == 3);
  std::ostringstream out;
  print_table(out, r);
  CHECK(out.str().find("not proven: budget reached after 3 schedules") != std::string::npos);
}

TEST_CASE("delay bounding with no delay runs the round-robin schedule alone") {
  options opts;
  opts.search = strategy::delay;
  opts.preemptions_max = 0;
  auto r = explore_threads(adders(3, 2, false), opts);
  CHECK(r.result == outcome::clean);
  CHECK(r.schedules_explored == 1);
  CHECK(r.bound_cut);
}

TEST_CASE("delay bounding finds the lost update, and its schedule replays from the string") {
  options opts;
  opts.search = strategy::delay;
  opts.preemptions_max = 2;
  auto found = explore_threads(adders(3, 2, true), opts);
  REQUIRE(found.result == outcome::invariant_broken);
  auto again = replay_of(adders(3, 2, true), found);
  CHECK(again.result == found.result);
  CHECK(again.failing_schedule == found.failing_schedule);
}

TEST_CASE("delay bounding without a bound tries every schedule, as preemption bounding does") {
  auto every = [](strategy s) {
    options opts;
    opts.search = s;
    opts.preemptions_max = -1;
    auto r = explore_threads(adders(2, 2, false), opts);
    CHECK(r.search_exhausted);
    CHECK_FALSE(r.bound_cut);
    return r.schedules_explored;
  };
  CHECK(every(strategy::delay) == 6);
  CHECK(every(strategy::systematic) == 6);
}

TEST_CASE("PCT of depth 1 never preempts, depth 2 finds the lost update and it replays") {
  options opts;
  opts.search = strategy::random;
  opts.seed = 5;
  opts.schedules_max = 50;
  opts.pct_depth = 1;
  MESSAGE("seed " << opts.seed);
  auto shallow = explore_threads(adders(2, 2, true), opts);
  CHECK_FALSE(shallow.failed());
  CHECK(proof_text(shallow) == "not proven: budget reached after 50 schedules");
  opts.pct_depth = 2;
  auto deep = explore_threads(adders(2, 2, true), opts);
  REQUIRE(deep.result == outcome::invariant_broken);
  auto again = replay_of(adders(2, 2, true), deep);
  CHECK(again.failing_schedule == deep.failing_schedule);
  CHECK(again.verdict == deep.verdict);
}
