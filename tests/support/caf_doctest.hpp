// CAF's deterministic test DSL (test_coordinator_fixture, expect, run, trigger_timeouts), reporting
// through doctest. Include this instead of caf/test/dsl.hpp in a doctest test.
#pragma once

#include <doctest/doctest.h>

#include <sstream>

#include "caf/test/unit_test.hpp"

#undef CAF_CHECK
#undef CAF_CHECK_EQUAL
#undef CAF_REQUIRE
#undef CAF_REQUIRE_EQUAL
#undef CAF_FAIL
#undef CAF_MESSAGE
#define CAF_CHECK(...) CHECK(__VA_ARGS__)
#define CAF_CHECK_EQUAL(x, y) CHECK((x) == (y))
#define CAF_REQUIRE(...) REQUIRE(__VA_ARGS__)
#define CAF_REQUIRE_EQUAL(x, y) REQUIRE((x) == (y))
#define CAF_FAIL(msg)                                                                              \
  do {                                                                                             \
    std::ostringstream os_;                                                                        \
    os_ << msg;                                                                                    \
    FAIL(os_.str());                                                                               \
  } while (false)
#define CAF_MESSAGE(msg)                                                                           \
  do {                                                                                             \
    std::ostringstream os_;                                                                        \
    os_ << msg;                                                                                    \
    MESSAGE(os_.str());                                                                            \
  } while (false)

#include "caf/test/dsl.hpp"

#include <memory>
#include <utility>

/// CAF's test_coordinator_fixture with two helpers for exercise specs, so that a spec's actors
/// run one message at a time in an order the test decides, never on real threads.
struct deterministic_actors : test_coordinator_fixture<> {
  /// Runs exactly one job of `whom`: its start-up or one message. Fails when it has none.
  void step(const caf::actor& whom) {
    REQUIRE(sched.prioritize(whom));
    sched.run_once();
  }

  /// Whether `whom` has a message (or its start-up) waiting.
  bool has_job(const caf::actor& whom) { return sched.prioritize(whom); }

  /// Virtual time: runs what can run, then fires the next timeout, until nothing is left (at most
  /// `rounds_max` rounds, so actors that keep rearming timers cannot hang the test).
  void run_with_timeouts(int rounds_max = 10'000) {
    for (int rounds = 0; rounds < rounds_max && (sched.has_job() || sched.has_pending_timeout());
         ++rounds) {
      run();
      if (sched.has_pending_timeout())
        sched.trigger_timeout();
    }
  }

  /// Sends `xs...` to `whom` as a request from a fresh actor, runs every actor until nothing is
  /// left, and returns the reply, or `fallback` when none came (its timeout then fires in virtual
  /// time, so an actor that never answers cannot hang the test).
  template <class T, class... Ts>
  T ask(const caf::actor& whom, T fallback, Ts... xs) {
    auto answer = std::make_shared<std::pair<bool, T>>(false, fallback);
    sys.spawn([=](caf::event_based_actor* asker) {
      asker->request(whom, std::chrono::seconds(10), xs...)
          .then(
              [=](T x) {
                *answer = {true, x};
              },
              [](caf::error&) {});
    });
    run();
    if (!answer->first) {
      sched.trigger_timeouts();
      run();
    }
    return answer->second;
  }
};
