// Exercise 05's spec, run against both tracks: the shared-state workers must oversell (and give a
// username to two users) under the explorer against the real PostgreSQL, on every run; the
// learner's entities must sell exactly the stock and give each name once, for several loads, on
// CAF's deterministic scheduler (a seed decides every order) and on every explored order.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

#include "caf_doctest.hpp"
#include "dca/es/actor_owner.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

/// What the entities ended with after a load, judged as run_actors judges it.
struct entity_tally {
  std::int64_t sold = 0;
  std::int64_t stock = 0;
  std::int64_t name_owners = 0;

  std::int64_t drift() const { return stock - (shared_database::initial_stock - sold); }
  bool corrupted() const {
    return sold > shared_database::initial_stock || drift() != 0 || name_owners > 1;
  }
  std::string summary() const {
    return "sold " + dca::harness::with_commas(sold) + " of a stock of 100, stock left " +
           dca::harness::with_commas(stock) + "; 'alice' given to " +
           dca::harness::with_commas(name_owners) + " users";
  }
};

/// `workers` workers sharing `requests` buys, then each claiming the name, on CAF's deterministic
/// scheduler (DCA_SEED decides its order): every delivery is a step the spec runs, so a verdict
/// replays, and judged, the judge's scheduler decides when each decide and apply is asked.
entity_tally run_entities(deterministic_actors& fx, std::int64_t workers, std::int64_t requests) {
  using namespace shared_database;
  dca::es::entity_options quiet; // no idle timers: nothing here waits on the clock
  quiet.idle_timeout = std::chrono::milliseconds{0};
  quiet.hibernate_after = std::chrono::milliseconds{0};
  auto journal = std::make_shared<dca::es::memory_journal>();
  dca::es::actor_owner skus{dca::es::spawn_entity_host<sku>(fx.sys, journal, quiet)};
  dca::es::actor_owner names{dca::es::spawn_entity_host<username>(fx.sys, journal, quiet)};
  const std::string key = "sku-42";
  auto delivered =
      fx.ask<dca::es::ack>(skus.get(), dca::es::ack{}, dca::es::command_atom::value, key,
                           sku::command{receive_stock{initial_stock}}, std::string{"delivery-1"});
  REQUIRE_MESSAGE(delivered.seq == 1, "the sku entity did not take the delivery of 100 units");
  auto t = std::make_shared<entity_tally>();
  auto report = fx.sys.spawn([t](caf::event_based_actor*) -> caf::behavior {
    return {[t](std::int64_t sold, std::int64_t got_name) {
      t->sold += sold;
      t->name_owners += got_name;
    }};
  });
  spawn_entity_workers(fx.sys, skus.get(), names.get(), workers, requests, report);
  fx.run();
  t->stock = fx.ask<sku_state>(skus.get(), sku_state{-1, -1}, dca::es::get_atom::value, key).stock;
  return *t;
}

} // namespace

TEST_CASE("the shared-state workers sell the last unit twice on every exploration") {
  auto ex = shared_database::describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "T1 and T2 both read stock=1: 2 orders from a stock of 1 (oversold by "
                         "1), stock left 0");
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("the oversell is found on ten explorations in a row, each from a reset database") {
  auto ex = shared_database::describe();
  for (int run = 1; run <= 10; ++run) {
    CAPTURE(run);
    auto found = ex.explore_shared(dca::spec::every_order());
    // A miss says what the search ended with instead (seen once under grading load, not explained).
    CHECK_MESSAGE(found.result == dca::explore::outcome::invariant_broken,
                  found.verdict << " (" << found.schedules_explored << " schedules, stopped by '"
                                << found.stopped_by << "')");
  }
}

TEST_CASE("the shared-state signup gives one username to two users on every exploration") {
  auto found = shared_database::explore_signup(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "T1 and T2 both read count=0: 'alice' was given to 2 users");
}

TEST_CASE_FIXTURE(deterministic_actors, "the sku entity sells exactly its stock to eight workers") {
  auto t = run_entities(*this, 8, 150);
  CHECK_MESSAGE(t.sold == shared_database::initial_stock,
                "sold " << t.sold
                        << " of a stock of 100: sku::decide must refuse a buy when no "
                           "stock is left (does it still have a TODO?)");
  CHECK_MESSAGE(t.drift() == 0, t.summary());
}

TEST_CASE_FIXTURE(deterministic_actors,
                  "the username entity gives the name to exactly one of the workers") {
  auto t = run_entities(*this, 8, 1);
  CHECK_MESSAGE(t.name_owners == 1, "'alice' was given to "
                                        << t.name_owners
                                        << " users: username::decide must refuse a taken name");
}

TEST_CASE_FIXTURE(deterministic_actors,
                  "the entities stay exact for one, two and sixty-four workers") {
  for (std::int64_t workers : {1, 2, 64}) {
    auto t = run_entities(*this, workers, 120);
    CAPTURE(workers);
    CHECK_MESSAGE(!t.corrupted(), t.summary());
  }
}

TEST_CASE("the sku entity never sells a unit it does not have on any explored delivery order") {
  auto r = shared_database::describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "05"));
}

TEST_CASE("a seeded random search of delivery orders: the entity sells at most its stock") {
  auto r = shared_database::describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "05"));
}
