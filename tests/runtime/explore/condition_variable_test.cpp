// dca::condition_variable under the explorer: a wait nobody notifies is the deadlock it is, a
// notification sent before the wait is lost as it is on real threads, notify_one's choice of
// waiter is explored, and spurious wakeups (when asked for) catch a wait that does not re-check.
#include "dca/condition_variable.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "dca/explore/expect.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"
#include "search_options.hpp"

using namespace dca::explore;
using dca::explore::test::replaying;
using dca::explore::test::with;

namespace {

/// The state one waiter and one notifier share.
struct handshake {
  dca::mutex m{"m"};
  dca::condition_variable cv{"cv"};
  dca::shared<bool> ready{"ready", false};
};

/// A notifier that sets `ready` under the lock, then notifies.
std::function<void()> notifier(std::shared_ptr<handshake> h) {
  return [h] {
    {
      std::lock_guard<dca::mutex> g{h->m};
      h->ready.store(true);
    }
    h->cv.notify_one();
  };
}

/// A waiter that runs `waits` while holding the lock, and a notifier.
thread_execution_factory
waiter_and_notifier(std::function<void(handshake&, std::unique_lock<dca::mutex>&)> waits) {
  return [waits] {
    auto h = std::make_shared<handshake>();
    thread_execution exec;
    exec.threads = {{"T1 waiter",
                     [h, waits] {
                       std::unique_lock<dca::mutex> lock{h->m};
                       waits(*h, lock);
                     }},
                    {"T2 notifier", notifier(h)}};
    return exec;
  };
}

} // namespace

TEST_CASE("a wait that nobody notifies is reported as a deadlock naming the condition") {
  auto make = [] {
    auto h = std::make_shared<handshake>();
    thread_execution exec;
    exec.threads = {{"T1", [h] {
                       std::unique_lock<dca::mutex> lock{h->m};
                       h->cv.wait(lock, [&] { return h->ready.load(); });
                     }}};
    return exec;
  };
  auto r = explore_threads(make, with(strategy::systematic));
  REQUIRE(r.result == outcome::deadlock);
  CHECK(r.cycle == std::vector<std::string>{"T1 waits on cv for a notification that never comes"});
}

TEST_CASE("a notification sent before the wait is lost, and the explorer finds that schedule") {
  // The waiter's mistake: it waits without checking whether `ready` is already set.
  auto make = waiter_and_notifier([](handshake& h, auto& lock) { h.cv.wait(lock); });
  auto r = explore_threads(make, with(strategy::systematic, 2));
  REQUIRE(r.result == outcome::deadlock);
  auto again = explore_threads(make, replaying(r.failing_schedule));
  CHECK(again.result == outcome::deadlock);
}

TEST_CASE("waiting for a predicate under the lock is proven clean by DPOR") {
  auto make = waiter_and_notifier([](handshake& h, auto& lock) {
    h.cv.wait(lock, [&] { return h.ready.load(); });
    expect(h.ready.load(), "woke up before ready");
  });
  auto r = explore_threads(make, with(strategy::dpor));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.classes_explored >= 2); // the notifier before the wait, and after it
}

TEST_CASE("notify_one wakes either waiter, and each choice is explored") {
  auto woken_first = std::make_shared<std::set<std::string>>();
  auto make = [woken_first] {
    auto h = std::make_shared<handshake>();
    auto tokens = std::make_shared<dca::shared<int>>("tokens", 0);
    thread_execution exec;
    for (auto name : {"W1", "W2"})
      exec.threads.push_back({name, [h, tokens] {
                                std::unique_lock<dca::mutex> lock{h->m};
                                h->cv.wait(lock, [&] { return tokens->load() > 0; });
                                tokens->store(tokens->load() - 1);
                              }});
    exec.threads.push_back({"N", [h, tokens] {
                              for (int i = 0; i < 2; ++i) {
                                {
                                  std::lock_guard<dca::mutex> g{h->m};
                                  tokens->store(tokens->load() + 1);
                                }
                                h->cv.notify_one();
                              }
                            }});
    exec.check = [woken_first](const std::vector<step>& trace) -> std::optional<std::string> {
      for (auto& s : trace)
        if (s.operation == "wake" && s.value == "notified") {
          woken_first->insert(std::to_string(s.actor));
          break;
        }
      return std::nullopt;
    };
    return exec;
  };
  auto r = explore_threads(make, with(strategy::dpor));
  CHECK(r.result == outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(*woken_first == std::set<std::string>{"0", "1"});
}

TEST_CASE("notify_all wakes every waiter; notify_one instead leaves one waiting") {
  auto make_with = [](bool all) {
    return [all] {
      auto h = std::make_shared<handshake>();
      thread_execution exec;
      for (auto name : {"W1", "W2"})
        exec.threads.push_back({name, [h] {
                                  std::unique_lock<dca::mutex> lock{h->m};
                                  h->cv.wait(lock, [&] { return h->ready.load(); });
                                }});
      exec.threads.push_back({"N", [h, all] {
                                {
                                  std::lock_guard<dca::mutex> g{h->m};
                                  h->ready.store(true);
                                }
                                if (all)
                                  h->cv.notify_all();
                                else
                                  h->cv.notify_one();
                              }});
      return exec;
    };
  };
  auto broadcast = explore_threads(make_with(true), with(strategy::dpor));
  CHECK(broadcast.result == outcome::clean);
  CHECK(broadcast.search_exhausted);
  auto one = explore_threads(make_with(false), with(strategy::dpor));
  REQUIRE(one.result == outcome::deadlock);
  CHECK(one.cycle.size() == 1);
}

TEST_CASE("a wait that does not re-check its condition is caught only with spurious wakeups") {
  auto make = [] {
    auto h = std::make_shared<handshake>();
    thread_execution exec;
    exec.threads = {{"T1 waiter",
                     [h] {
                       std::unique_lock<dca::mutex> lock{h->m};
                       if (!h->ready.load())
                         h->cv.wait(
                             lock); // an `if`, not a `while`: wrong once wakeups are spurious
                       expect(h->ready.load(), "woke up before ready");
                     }},
                    {"T2 notifier", notifier(h)}};
    return exec;
  };
  auto plain = explore_threads(make, with(strategy::dpor));
  CHECK(plain.result == outcome::clean);
  auto opts = with(strategy::dpor);
  opts.spurious_wakeups = true;
  auto spurious = explore_threads(make, opts);
  REQUIRE(spurious.result == outcome::invariant_broken);
  CHECK(spurious.verdict == "woke up before ready (seen by T1 waiter)");
}

TEST_CASE("waiting without holding the mutex is a program error naming the thread") {
  auto make = [] {
    auto h = std::make_shared<handshake>();
    thread_execution exec;
    exec.threads = {{"T1", [h] {
                       std::unique_lock<dca::mutex> lock{h->m, std::defer_lock};
                       h->cv.wait(lock);
                     }}};
    return exec;
  };
  auto r = explore_threads(make, with(strategy::systematic));
  REQUIRE(r.result == outcome::crashed);
  CHECK(r.verdict == "T1 waited on cv without holding its mutex");
}
