// What the thread explorer says when an explored program goes wrong in itself rather than by
// losing an update: a thread throws while holding a lock, a thread sees a broken invariant, a
// deadlock involving a finished thread, an unlock of a mutex the thread does not hold.
#include "dca/explore/explorer.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "dca/explore/expect.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

using namespace dca::explore;

namespace {

/// Runs exactly `choices` over `make`.
report replayed(const thread_execution_factory& make, std::vector<int> choices) {
  options opts;
  opts.replay = schedule{std::move(choices)};
  return explore_threads(make, opts);
}

bool mentions(const std::vector<std::string>& lines, const std::string& start) {
  for (auto& line : lines)
    if (line.rfind(start, 0) == 0)
      return true;
  return false;
}

} // namespace

TEST_CASE("an exception thrown while holding a mutex is reported as that exception") {
  auto make = [] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1",
                     [=] {
                       m->lock();
                       throw std::runtime_error("boom");
                     }},
                    {"T2", [=] { std::lock_guard<dca::mutex> g{*m}; }}};
    return exec;
  };
  auto r = explore_threads(make);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "T1 threw: boom");
  CHECK(r.cycle.empty());
}

TEST_CASE("expect inside a thread ends the schedule as corrupted with its message") {
  auto make = [] {
    auto balance = std::make_shared<dca::shared<long>>("balance", 100);
    auto withdraw = [=] {
      if (balance->load() >= 80) {
        balance->store(balance->load() - 80);
        expect(balance->load() >= 0, "the balance went negative");
      }
    };
    thread_execution exec;
    exec.threads = {{"T1", withdraw}, {"T2", withdraw}};
    return exec;
  };
  auto r = explore_threads(make);
  REQUIRE(r.result == outcome::invariant_broken);
  CHECK(r.verdict.rfind("the balance went negative (seen by T", 0) == 0);
  auto again = replayed(make, r.failing_schedule.choices());
  CHECK(again.verdict == r.verdict);
}

TEST_CASE("expect outside an exploration throws an ordinary exception") {
  CHECK_NOTHROW(expect(true, "holds"));
  CHECK_THROWS_AS(expect(false, "broken"), invariant_failure);
}

TEST_CASE("a thread that finished holding a mutex is named as its holder, never as waiting") {
  auto make = [] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1", [=] { m->lock(); }}, {"T2", [=] { m->lock(); }}};
    return exec;
  };
  auto r = replayed(make, {0});
  REQUIRE(r.result == outcome::deadlock);
  REQUIRE(r.cycle.size() == 1);
  CHECK(r.cycle[0] == "T2 holds nothing, waits for m (held by T1, which has finished)");
  CHECK_FALSE(mentions(r.cycle, "T1"));
}

TEST_CASE("a deadlock report lists the cycle only, not the threads waiting on it") {
  auto make = [] {
    auto a = std::make_shared<dca::mutex>("A");
    auto b = std::make_shared<dca::mutex>("B");
    thread_execution exec;
    exec.threads = {{"T1 waits", [=] { std::lock_guard<dca::mutex> g{*a}; }},
                    {"T2 A->B",
                     [=] {
                       std::lock_guard<dca::mutex> ga{*a};
                       std::lock_guard<dca::mutex> gb{*b};
                     }},
                    {"T3 B->A", [=] {
                       std::lock_guard<dca::mutex> gb{*b};
                       std::lock_guard<dca::mutex> ga{*a};
                     }}};
    return exec;
  };
  auto r = replayed(make, {1, 2}); // T2 takes A, T3 takes B; T1 then waits for A outside the cycle
  REQUIRE(r.result == outcome::deadlock);
  REQUIRE(r.cycle.size() == 2);
  CHECK(r.cycle[0] == "T2 A->B holds A, waits for B (held by T3 B->A)");
  CHECK(r.cycle[1] == "T3 B->A holds B, waits for A (held by T2 A->B)");
}

TEST_CASE("locking a mutex the thread already holds is the deadlock it is") {
  auto make = [] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1", [=] {
                       m->lock();
                       m->lock();
                     }}};
    return exec;
  };
  auto r = explore_threads(make);
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle == std::vector<std::string>{"T1 holds m, waits for m (held by T1)"});
}

TEST_CASE("unlocking a free mutex is a program error naming the thread and the mutex") {
  auto make = [] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1", [=] { m->unlock(); }}};
    return exec;
  };
  auto r = explore_threads(make);
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "T1 unlocked m, which is not locked");
}

TEST_CASE("unlocking a mutex another thread holds is a program error naming both") {
  auto make = [] {
    auto m = std::make_shared<dca::mutex>("m");
    thread_execution exec;
    exec.threads = {{"T1",
                     [=] {
                       m->lock();
                       m->unlock();
                     }},
                    {"T2", [=] { m->unlock(); }}};
    return exec;
  };
  auto r = replayed(make, {0, 1});
  CHECK(r.result == outcome::crashed);
  CHECK(r.verdict == "T2 unlocked m, which it does not hold (T1 holds it)");
}
