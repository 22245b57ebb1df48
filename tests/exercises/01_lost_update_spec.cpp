// Exercise 01's spec, run against both tracks: the shared-state counter must lose updates under the
// explorer (the lesson), and the learner's counter actor must count every increment (the fix).
#include <doctest/doctest.h>

#include "scenario.hpp"

using dca::harness::arguments;

namespace {

dca::harness::run_result real_run(const char* variant, std::int64_t threads,
                                  std::int64_t increments) {
  auto ex = lost_update::describe();
  arguments in{{{"threads", threads}, {"increments", increments}}, std::nullopt};
  auto& run = std::string{variant} == "shared" ? ex.run_shared : ex.run_actors;
  return run(in, [](double) {});
}

} // namespace

TEST_CASE("the shared-state counter loses an update on every exploration") {
  auto ex = lost_update::describe();
  auto found = ex.explore_shared({});
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict.find("one increment lost") != std::string::npos);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("the counter actor counts every increment of two workers") {
  auto r = real_run("actors", 2, 1'000'000);
  INFO(r.summary);
  CHECK_MESSAGE(!r.corrupted, r.summary);
}

TEST_CASE("the counter actor counts every increment of eight workers") {
  auto r = real_run("actors", 8, 10'000);
  CHECK_MESSAGE(!r.corrupted, r.summary);
}

TEST_CASE("every explored delivery order counts every increment") {
  auto r = lost_update::describe().explore_actors({});
  INFO(r.verdict);
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict);
  CHECK(r.schedules_explored > 1);
}
