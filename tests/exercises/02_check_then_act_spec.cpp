// Exercise 02's spec, run against both tracks: the shared-state account must overdraw under the
// explorer (the lesson), and the learner's account actor must pay exactly what fits, on
// CAF's deterministic scheduler and on every explored delivery order (the fix): a seed (DCA_SEED)
// decides each verdict, and a failure prints the replay of its delivery order.
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "scenario.hpp"
#include "spec_levels.hpp"
#include "spec_search.hpp"

namespace {

/// One withdrawal of `amount` from a fresh account actor holding 100, on the deterministic
/// scheduler: what it paid, and the balance afterwards (-1 for an answer that never came).
std::pair<std::int64_t, std::int64_t> withdraw_once(std::int64_t amount) {
  deterministic_actors fx;
  auto acc = check_then_act::spawn_account(fx.sys, check_then_act::initial_balance);
  auto paid = fx.ask<std::int64_t>(acc, -1, check_then_act::withdraw_atom::value, amount);
  auto balance = fx.ask<std::int64_t>(acc, -1, check_then_act::balance_atom::value);
  return {paid, balance};
}

} // namespace

TEST_CASE("the shared-state account pays out more than it holds on every exploration") {
  auto ex = check_then_act::describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "T1 and T2 both saw balance 100 and both withdrew 80: paid 160 of 100, "
                         "balance -60");
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.verdict == found.verdict);
  CHECK(again.trace.size() == found.trace.size());
}

TEST_CASE("a withdrawal the balance covers is paid and taken off the balance") {
  auto [paid, balance] = withdraw_once(80);
  CHECK_MESSAGE(paid == 80, "paid " << paid << " of the 80 requested from a balance of 100: "
                                    << "the withdraw handler must pay what the balance covers "
                                       "(does it still have a TODO?)");
  CHECK_MESSAGE(balance == 20,
                "after paying 80 of 100 the balance is " << balance << ", expected 20");
}

TEST_CASE("a withdrawal of the whole balance is paid and leaves zero") {
  auto [paid, balance] = withdraw_once(100);
  CHECK_MESSAGE(paid == 100, "paid " << paid << " of the 100 requested from a balance of 100: "
                                     << "a balance that exactly covers the amount covers it");
  CHECK_MESSAGE(balance == 0,
                "after paying 100 of 100 the balance is " << balance << ", expected 0");
}

TEST_CASE("a withdrawal the balance does not cover is refused and changes nothing") {
  auto [paid, balance] = withdraw_once(120);
  CHECK_MESSAGE(paid == 0, "paid " << paid << " of 120 requested from a balance of 100: "
                                   << "a withdrawal the balance does not cover must be refused");
  CHECK_MESSAGE(balance == 100,
                "after a refused withdrawal the balance is " << balance << ", expected 100");
}

TEST_CASE("the account actor keeps its invariant on every explored delivery order") {
  auto r = check_then_act::describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "02"));
}

TEST_CASE("a seeded random search of delivery orders: one is paid, the balance never negative") {
  auto r = check_then_act::describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "02"));
}

TEST_CASE("the overdraft happens as threads, actors and nodes on each of ten seeds") {
  dca::spec::check_every_level_corrupts_on_ten_seeds(check_then_act::describe());
}

TEST_CASE("one withdraw message per customer never overdraws as actors or as nodes") {
  dca::spec::check_fix_is_clean_at_actors_and_nodes(check_then_act::describe());
}
