// Exercise 02's spec, run against both tracks: the shared-state account must overdraw under the
// explorer (the lesson), and the learner's account actor must pay exactly what fits, on real
// threads and on every explored delivery order (the fix).
#include <doctest/doctest.h>

#include "scenario.hpp"

using dca::harness::arguments;

namespace {

dca::harness::run_result real_run(const char* variant, std::int64_t threads, std::int64_t rounds) {
  auto ex = check_then_act::describe();
  arguments in{{{"threads", threads}, {"rounds", rounds}}, std::nullopt};
  auto& run = std::string{variant} == "shared" ? ex.run_shared : ex.run_actors;
  return run(in, [](double) {});
}

/// One withdrawal of `amount` from a fresh account actor holding 100: what it paid, and the
/// balance afterwards (-1 for an answer that never came).
std::pair<std::int64_t, std::int64_t> withdraw_once(std::int64_t amount) {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  auto acc = check_then_act::spawn_account(system, check_then_act::initial_balance);
  std::int64_t paid = -1, balance = -1;
  const auto timeout = std::chrono::seconds(10);
  self->request(acc, timeout, check_then_act::withdraw_atom::value, amount)
      .receive([&](std::int64_t x) { paid = x; }, [](caf::error&) {});
  self->request(acc, timeout, check_then_act::balance_atom::value)
      .receive([&](std::int64_t x) { balance = x; }, [](caf::error&) {});
  self->send_exit(acc, caf::exit_reason::user_shutdown);
  return {paid, balance};
}

} // namespace

TEST_CASE("the shared-state account pays out more than it holds on every exploration") {
  auto ex = check_then_act::describe();
  auto found = ex.explore_shared({});
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
  CHECK_MESSAGE(balance == 0, "after paying 100 of 100 the balance is " << balance
                                                                        << ", expected 0");
}

TEST_CASE("a withdrawal the balance does not cover is refused and changes nothing") {
  auto [paid, balance] = withdraw_once(120);
  CHECK_MESSAGE(paid == 0, "paid " << paid << " of 120 requested from a balance of 100: "
                                   << "a withdrawal the balance does not cover must be refused");
  CHECK_MESSAGE(balance == 100,
                "after a refused withdrawal the balance is " << balance << ", expected 100");
}

TEST_CASE("two customers at once: one is paid and the balance never goes negative") {
  auto r = real_run("actors", 2, 2'000);
  CHECK_MESSAGE(!r.corrupted, r.summary);
}

TEST_CASE("eight customers at once: one is paid and the balance never goes negative") {
  auto r = real_run("actors", 8, 500);
  CHECK_MESSAGE(!r.corrupted, r.summary);
}

TEST_CASE("the account actor keeps its invariant on every explored delivery order") {
  auto ex = check_then_act::describe();
  auto r = ex.explore_actors({});
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean,
                "dca explore 02 --variant actors: " << r.verdict << " (schedule "
                                                    << r.failing_schedule.to_string() << ")");
}
