// Exercise 01's spec, run against both tracks: the shared-state counter must lose updates under the
// explorer (the lesson), and the learner's counter actor must count every increment (the fix), on
// CAF's deterministic scheduler and on every explored delivery order: a seed (DCA_SEED) decides
// each verdict, and a failure prints the replay of its delivery order.
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "scenario.hpp"
#include "spec_levels.hpp"
#include "spec_search.hpp"

TEST_CASE("the shared-state counter loses an update on every exploration") {
  auto ex = lost_update::describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict.find("one increment lost") != std::string::npos);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

namespace {

/// `workers` workers of `increments` each on the deterministic scheduler: the count they leave.
std::int64_t count_of(deterministic_actors& fx, std::int64_t workers, std::int64_t increments) {
  auto counter = lost_update::spawn_counter(fx.sys);
  for (std::int64_t w = 0; w < workers; ++w)
    fx.sys.spawn(lost_update::worker, counter, increments);
  fx.run();
  return fx.ask<std::int64_t>(counter, -1, lost_update::get_atom::value);
}

} // namespace

TEST_CASE_FIXTURE(deterministic_actors, "the counter actor counts every increment of two workers") {
  auto count = count_of(*this, 2, 1'000);
  CHECK_MESSAGE(count == 2'000,
                "the count is " << dca::harness::with_commas(count) << ", expected 2,000");
}

TEST_CASE_FIXTURE(deterministic_actors,
                  "the counter actor counts every increment of eight workers") {
  auto count = count_of(*this, 8, 250);
  CHECK_MESSAGE(count == 2'000,
                "the count is " << dca::harness::with_commas(count) << ", expected 2,000");
}

TEST_CASE("every explored delivery order counts every increment") {
  auto r = lost_update::describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "01"));
  CHECK(r.schedules_explored > 1);
}

TEST_CASE("a seeded random search of delivery orders loses no increment") {
  auto r = lost_update::describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "01"));
}

TEST_CASE("the lost update corrupts as threads, actors and nodes on each of ten seeds") {
  dca::spec::check_every_level_corrupts_on_ten_seeds(lost_update::describe());
}

TEST_CASE("one inc message per client counts both increments as actors and as nodes") {
  dca::spec::check_fix_is_clean_at_actors_and_nodes(lost_update::describe());
}
