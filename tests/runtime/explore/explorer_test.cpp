// The thread explorer finds the classic bugs, proves their fixes within the bound, and replays.
#include "dca/explore/explorer.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <sstream>

#include "dca/mutex.hpp"
#include "dca/shared.hpp"

using namespace dca::explore;

namespace {

/// Two threads each add one `increments` times: with split load/store (`atomic_rmw` false) or
/// with one indivisible fetch_add.
thread_execution_factory counter_scenario(int increments, bool atomic_rmw) {
  return [=] {
    auto counter = std::make_shared<dca::shared<long>>("counter", 0);
    auto body = [=] {
      for (int i = 0; i < increments; ++i) {
        if (atomic_rmw) {
          counter->fetch_add(1);
        } else {
          long seen = counter->load();
          counter->store(seen + 1);
        }
      }
    };
    thread_execution exec;
    exec.threads = {{"T1", body}, {"T2", body}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      long expected = 2L * increments;
      long got = counter->load();
      if (got == expected)
        return std::nullopt;
      return "lost " + std::to_string(expected - got) + " increments";
    };
    return exec;
  };
}

/// transfer(A, B) and transfer(B, A) with locks taken in argument order (or in a global order).
thread_execution_factory transfer_scenario(bool ordered) {
  return [=] {
    auto a = std::make_shared<dca::mutex>("A");
    auto b = std::make_shared<dca::mutex>("B");
    auto transfer = [=](std::shared_ptr<dca::mutex> from, std::shared_ptr<dca::mutex> to) {
      return [=] {
        auto first = ordered && std::string{to->name()} < from->name() ? to : from;
        auto second = first == from ? to : from;
        std::lock_guard<dca::mutex> g1{*first};
        std::lock_guard<dca::mutex> g2{*second};
      };
    };
    thread_execution exec;
    exec.threads = {{"T1 A->B", transfer(a, b)}, {"T2 B->A", transfer(b, a)}};
    return exec;
  };
}

} // namespace

TEST_CASE("a split load and store loses an update, and the explorer finds it at once") {
  auto r = explore_threads(counter_scenario(2, false));
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict == "lost 2 increments");
  CHECK(r.schedules_explored <= 5);
  CHECK(r.actors == std::vector<std::string>{"T1", "T2"});
  REQUIRE(!r.trace.empty());
  CHECK(r.trace.front().operation == "load");
  CHECK(r.trace.front().object == "counter");
  CHECK(r.trace.front().where.line > 0);
}

TEST_CASE("a failing schedule replays to the identical trace") {
  auto found = explore_threads(counter_scenario(3, false));
  REQUIRE(found.failed());
  options replay;
  replay.replay = found.failing_schedule;
  auto again = explore_threads(counter_scenario(3, false), replay);
  REQUIRE(again.result == found.result);
  CHECK(again.verdict == found.verdict);
  CHECK(again.schedules_explored == 1);
  REQUIRE(again.trace.size() == found.trace.size());
  for (std::size_t i = 0; i < found.trace.size(); ++i) {
    CHECK(again.trace[i].actor == found.trace[i].actor);
    CHECK(again.trace[i].operation == found.trace[i].operation);
    CHECK(again.trace[i].value == found.trace[i].value);
  }
}

TEST_CASE("a turn runs the schedule so far and offers the step each thread would take next") {
  options at_start;
  at_start.turn_after = schedule{};
  auto first = explore_threads(counter_scenario(1, false), at_start);
  CHECK(first.result == outcome::clean);
  CHECK(first.trace.empty());
  REQUIRE(first.choices.size() == 2);
  CHECK(first.choices[0].actor == 0);
  CHECK(first.choices[1].actor == 1);
  CHECK(first.choices[1].operation == "load");
  options after_both_loads;
  after_both_loads.turn_after = schedule{{0, 1, 0}};
  auto third = explore_threads(counter_scenario(1, false), after_both_loads);
  REQUIRE(third.trace.size() == 3);
  CHECK(third.trace[1].value == "0"); // T2 read 0 before T1 wrote
  REQUIRE(third.choices.size() == 1); // T1 finished: only T2's store is left
  CHECK(third.choices[0].actor == 1);
  CHECK(third.choices[0].operation == "store");
  CHECK(third.choices[0].value == "1");
  options whole_run;
  whole_run.turn_after = schedule{{0, 1, 0, 1}};
  auto end = explore_threads(counter_scenario(1, false), whole_run);
  CHECK(end.result == outcome::invariant_broken); // a finished run: its outcome, as a replay
  CHECK(end.choices.empty());
}

TEST_CASE("fetch_add keeps every increment on every schedule within the bound") {
  auto r = explore_threads(counter_scenario(3, true));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.schedules_explored > 1);
}

TEST_CASE("a bound of zero preemptions cannot see the lost update, a bound of one can") {
  options none;
  none.preemptions_max = 0;
  auto r0 = explore_threads(counter_scenario(2, false), none);
  CHECK(r0.result == outcome::clean);
  CHECK(r0.search_exhausted);
  options one;
  one.preemptions_max = 1;
  CHECK(explore_threads(counter_scenario(2, false), one).result == outcome::invariant_broken);
}

TEST_CASE("locks taken in opposite orders deadlock, and the report names the cycle") {
  auto r = explore_threads(transfer_scenario(false));
  REQUIRE(r.result == outcome::deadlock);
  REQUIRE(r.cycle.size() == 2);
  CHECK(r.cycle[0] == "T1 A->B holds A, waits for B (held by T2 B->A)");
  CHECK(r.cycle[1] == "T2 B->A holds B, waits for A (held by T1 A->B)");
}

TEST_CASE("locks taken in one global order never deadlock") {
  auto r = explore_threads(transfer_scenario(true));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
}

TEST_CASE("std::scoped_lock over dca::mutex never deadlocks") {
  auto make = [] {
    auto a = std::make_shared<dca::mutex>("A");
    auto b = std::make_shared<dca::mutex>("B");
    thread_execution exec;
    exec.threads = {{"T1",
                     [=] {
                       std::scoped_lock both{*a, *b};
                     }},
                    {"T2", [=] {
                       std::scoped_lock both{*b, *a};
                     }}};
    return exec;
  };
  options opts;
  opts.steps_max = 200; // std::lock may retry: a bound keeps a livelock from running forever
  auto r = explore_threads(make, opts);
  CHECK(r.result != outcome::deadlock);
}

TEST_CASE("random search with a fixed seed explores the same schedules every time") {
  options opts;
  opts.search = strategy::random;
  opts.seed = 7;
  auto first = explore_threads(counter_scenario(3, false), opts);
  auto second = explore_threads(counter_scenario(3, false), opts);
  MESSAGE("seed " << opts.seed);
  REQUIRE(first.failed());
  CHECK(first.seed == std::optional<std::uint64_t>{7});
  CHECK(first.schedules_explored == second.schedules_explored);
  CHECK(first.failing_schedule == second.failing_schedule);
}

/// One thread that waits for a flag nobody sets.
thread_execution spinner() {
  auto flag = std::make_shared<dca::shared<bool>>("flag", false);
  thread_execution exec;
  exec.threads = {{"spinner", [=] {
                     while (!flag->load()) {
                     }
                   }}};
  return exec;
}

TEST_CASE("a livelocking schedule stops at the time limit and says it proved nothing") {
  options opts;
  opts.steps_max = 1'000'000'000'000;
  opts.time_limit = std::chrono::milliseconds{100};
  auto r = explore_threads(spinner, opts);
  CHECK_FALSE(r.failed());
  CHECK_FALSE(r.search_exhausted);
  CHECK(r.elapsed < std::chrono::seconds{1});
  CHECK(proof_text(r) == "not proven: time limit reached after 1 schedule");
}

TEST_CASE("a thread that spins forever is stopped at the step limit") {
  options opts;
  opts.steps_max = 50;
  auto r = explore_threads(spinner, opts);
  CHECK(r.result == outcome::step_limit);
  CHECK(r.trace.size() == 50);
}

TEST_CASE("an exception in a thread is reported as a crash, not lost") {
  auto make = [] {
    auto x = std::make_shared<dca::shared<int>>("x", 0);
    thread_execution exec;
    exec.threads = {{"T1", [=] {
                       x->store(1);
                       throw std::runtime_error("boom");
                     }}};
    return exec;
  };
  auto r = explore_threads(make);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "T1 threw: boom");
}

TEST_CASE("a schedule that does not fit the scenario is refused with the step that failed") {
  options opts;
  opts.replay = dca::explore::schedule{{0, 5}};
  auto r = explore_threads(counter_scenario(1, false), opts);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict ==
        "the schedule does not match this scenario: at step 2, thread 5 has nothing to do");
}

TEST_CASE("the table shows each step in its thread's column, the verdict and the replay line") {
  auto r = explore_threads(counter_scenario(1, false));
  REQUIRE(r.failed());
  std::ostringstream out;
  print_table(out, r, "dca explore 01 --replay");
  auto text = out.str();
  CHECK(text.find("load counter = 0") != std::string::npos);
  CHECK(text.find("store counter := 1") != std::string::npos);
  CHECK(text.find("CORRUPTED: lost 1 increments") != std::string::npos);
  CHECK(text.find("replay:   dca explore 01 --replay " + r.failing_schedule.to_string()) !=
        std::string::npos);
  std::ostringstream json;
  print_json(json, r);
  CHECK(json.str().find("\"outcome\":\"invariant_broken\"") != std::string::npos);
}

// The rules both explorers share (see search.cpp); actor_explorer_test.cpp states the same ones.

TEST_CASE("a negative bound means no bound: the thread explorer tries every schedule") {
  auto explored = [](int bound) {
    options opts;
    opts.preemptions_max = bound;
    auto r = explore_threads(counter_scenario(2, true), opts);
    CHECK(r.result == outcome::clean);
    CHECK(r.search_exhausted);
    return r.schedules_explored;
  };
  auto unbounded = explored(-1);
  CHECK(unbounded == 6); // two threads of two operations each: 4! / (2! * 2!) orders
  CHECK(explored(-7) == unbounded);
  CHECK(explored(100) == unbounded);
  CHECK(explored(0) < unbounded);
}

TEST_CASE("a random schedule of the thread explorer replays alone from its printed replay") {
  options opts;
  opts.search = strategy::random;
  opts.seed = 11;
  auto found = explore_threads(counter_scenario(3, false), opts);
  MESSAGE("seed " << opts.seed);
  REQUIRE(found.failed());
  auto printed = dca::explore::schedule::parse(found.failing_schedule.to_string());
  REQUIRE(printed);
  options again;
  again.replay = *printed;
  auto replayed = explore_threads(counter_scenario(3, false), again);
  CHECK(replayed.result == found.result);
  CHECK(replayed.verdict == found.verdict);
  CHECK(replayed.failing_schedule == found.failing_schedule);
  CHECK(replayed.trace.size() == found.trace.size());
}
