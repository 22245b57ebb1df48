// Exercise 09's spec, run against both tracks: the naive service must charge an order twice on
// every exploration once the explorer loses a receipt (the lesson); the learner's payment service
// must charge a repeated charge once and answer it with the first receipt, stay clean on every
// explored schedule with lost and repeated messages on both links, and under seeded fault plans
// of the fault link (drop, duplicate, delay, reorder) on CAF's deterministic scheduler (the fix).
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "dca/cluster/fault_link.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

namespace {

using namespace at_least_once;

/// Fault plans per track in the spec: each a different seed of faults_of.
constexpr std::uint64_t fault_plans = 8;
constexpr int orders_per_plan = 20;

/// The orders charged more than once when a checkout charges through a fault link under `plan`,
/// and whether every order was answered.
struct under_faults : deterministic_actors {
  int charged_twice = 0;
  int unanswered = 0;

  under_faults(caf::actor (*spawn)(caf::actor_system&), dca::cluster::fault_plan plan) {
    auto payments = spawn(sys);
    auto link = dca::cluster::spawn_fault_link(sys, payments, plan);
    auto buyer = spawn_checkout(sys, link, orders_per_plan, checkout_timeout);
    run_with_timeouts();
    unanswered = ask<checkout_report>(buyer, checkout_report{}, report_atom::value).unanswered;
    for (int order = 1; order <= orders_per_plan; ++order)
      charged_twice += ask<int>(payments, 0, charges_atom::value, order) > 1 ? 1 : 0;
  }
};

} // namespace

TEST_CASE("the naive service charges an order twice on every exploration once a receipt is lost") {
  auto ex = describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "order 1 charged 2 times (100 cents too much): the checkout sent it "
                         "again after lose reply 1 from payments");
  CHECK(found.failing_schedule.to_string().find('d') != std::string::npos);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("the naive service charges orders twice under the seeded fault plans") {
  int charged_twice = 0;
  for (std::uint64_t seed = 1; seed <= fault_plans; ++seed)
    charged_twice += under_faults(spawn_naive_payments, faults_of(seed)).charged_twice;
  CHECK(charged_twice > 0);
}

TEST_CASE("the payment service charges a repeated charge once and answers it with the first "
          "receipt") {
  deterministic_actors world;
  auto payments = spawn_payments(world.sys);
  auto first = world.ask<std::int64_t>(payments, std::int64_t{-1}, charge_atom::value, 17,
                                       std::int64_t{100});
  auto second = world.ask<std::int64_t>(payments, std::int64_t{-2}, charge_atom::value, 17,
                                        std::int64_t{100});
  auto charges = world.ask<int>(payments, -1, charges_atom::value, 17);
  CHECK_MESSAGE(charges == 1, "order 17 charged " << charges << " times for one charge sent "
                                                  << "twice: a retry must carry the same "
                                                  << "idempotency key as the first attempt");
  CHECK_MESSAGE(first == second, "the repeated charge got receipt " << second << ", the first "
                                                                    << first
                                                                    << ": a duplicate gets the "
                                                                       "recorded answer");
  auto other = world.ask<std::int64_t>(payments, std::int64_t{-1}, charge_atom::value, 18,
                                       std::int64_t{100});
  CHECK_MESSAGE(world.ask<int>(payments, -1, charges_atom::value, 18) == 1,
                "order 18 was not charged: two orders must never share a key");
  CHECK(other != first);
}

TEST_CASE("the payment service charges once on every explored schedule with lost and repeated "
          "messages") {
  auto r = describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "09"));
}

TEST_CASE("a seeded random search with lost and repeated messages: every order charged once") {
  auto r = describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "09"));
}

TEST_CASE("the payment service charges every order once under the seeded fault plans") {
  for (std::uint64_t seed = 1; seed <= fault_plans; ++seed) {
    under_faults run{spawn_payments, faults_of(seed)};
    CHECK_MESSAGE(run.charged_twice == 0, "fault plan seed " << seed << ": " << run.charged_twice
                                                             << " orders charged twice");
    CHECK_MESSAGE(run.unanswered == 0,
                  "fault plan seed " << seed << ": " << run.unanswered << " orders never answered");
  }
}
