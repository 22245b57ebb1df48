// Exercise 04's spec, run against both tracks: two transfers in opposite lock order must deadlock
// under the explorer, which names the wait-for cycle (the lesson); the learner's account actors
// must never wait for each other, and confirm a transfer only once the money has left, on every
// explored delivery order (the fix). Every actor runs on CAF's deterministic scheduler: a seed
// (DCA_SEED) decides each verdict, and a failure prints the replay of its delivery order.
#include <doctest/doctest.h>

#include "caf_doctest.hpp"
#include "scenario.hpp"
#include "spec_search.hpp"

#include "dca/explore/explorer.hpp"

namespace {

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += (out.empty() ? "" : ", ") + line;
  return out;
}

} // namespace

TEST_CASE(
    "transfers in opposite lock order deadlock on every exploration, and the cycle is named") {
  auto ex = deadlock::describe();
  auto found = ex.explore_shared(dca::spec::every_order());
  REQUIRE(found.result == dca::explore::outcome::deadlock);
  CHECK(found.cycle == std::vector<std::string>{"T1 holds A, waits for B (held by T2)",
                                                "T2 holds B, waits for A (held by T1)"});
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = ex.explore_shared(replay);
  CHECK(again.result == dca::explore::outcome::deadlock);
  CHECK(again.cycle == found.cycle);
}

TEST_CASE("taking both locks at once with std::scoped_lock never deadlocks (the README's fix)") {
  auto make = [] {
    auto a = std::make_shared<deadlock::account>("A", 100);
    auto b = std::make_shared<deadlock::account>("B", 100);
    auto move = [](deadlock::account& from, deadlock::account& to, std::int64_t amount) {
      std::scoped_lock both{from.lock, to.lock};
      from.balance.store(from.balance.load() - amount);
      to.balance.store(to.balance.load() + amount);
    };
    dca::explore::thread_execution exec;
    exec.threads.push_back({"T1", [=] { move(*a, *b, 30); }});
    exec.threads.push_back({"T2", [=] { move(*b, *a, 20); }});
    exec.check = [=](const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      if (a->balance.load() == 90 && b->balance.load() == 110)
        return std::nullopt;
      return std::string{"the balances are wrong"};
    };
    return exec;
  };
  auto r = dca::explore::explore_threads(make, dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict << " " << join(r.cycle));
  CHECK(r.search_exhausted);
}

TEST_CASE_FIXTURE(deterministic_actors, "a transfer between two account actors moves the money") {
  auto a = deadlock::spawn_account(sys, 100);
  auto b = deadlock::spawn_account(sys, 100);
  run();
  auto moved = ask<bool>(a, false, deadlock::transfer_atom::value, b, std::int64_t{30});
  CHECK_MESSAGE(moved, "the transfer of 30 from A to B was not confirmed");
  auto balance_a = ask<std::int64_t>(a, -1, deadlock::balance_atom::value);
  auto balance_b = ask<std::int64_t>(b, -1, deadlock::balance_atom::value);
  CHECK_MESSAGE((balance_a == 70 && balance_b == 130), "after moving 30 from A to B: A is "
                                                           << balance_a << " and B is " << balance_b
                                                           << ", expected 70 and 130");
}

TEST_CASE_FIXTURE(deterministic_actors,
                  "an account confirms a transfer only once the money has left it") {
  auto a = deadlock::spawn_account(sys, 100);
  auto b = deadlock::spawn_account(sys, 100);
  run();
  auto confirmed = std::make_shared<bool>(false);
  auto client = sys.spawn([=](caf::event_based_actor* actor) {
    actor->request(a, std::chrono::seconds(10), deadlock::transfer_atom::value, b, std::int64_t{30})
        .then([=](bool ok) { *confirmed = ok; }, [](caf::error&) {});
  });
  step(client); // asks A for the transfer
  step(a);      // A handles it; B has not seen the credit yet
  if (has_job(client)) {
    step(client); // A confirmed already: then the money must be gone
    auto shown = std::make_shared<std::int64_t>(-1);
    auto asker = sys.spawn([=](caf::event_based_actor* actor) {
      actor->request(a, std::chrono::seconds(10), deadlock::balance_atom::value)
          .then([=](std::int64_t x) { *shown = x; }, [](caf::error&) {});
    });
    step(asker);
    step(a); // answers its balance while B has still not handled the credit
    step(asker);
    CHECK_MESSAGE(*shown == 70, "A confirmed the transfer of 30 to B while its balance was still "
                                    << *shown
                                    << ", expected 70: it replied before it took the money off");
  }
  run();
  CHECK_MESSAGE(*confirmed, "the transfer of 30 from A to B was not confirmed");
}

TEST_CASE("on every explored delivery order both transfers go through, each confirmed after "
          "its debit") {
  auto r = deadlock::describe().explore_actors(dca::spec::every_order());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "04"));
}

TEST_CASE("a seeded random search of delivery orders finds no stuck or early-confirmed transfer") {
  auto r = deadlock::describe().explore_actors(dca::spec::random_search());
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, dca::spec::replay_words(r, "04"));
  if (!r.failed())
    CHECK(r.schedules_explored == dca::spec::random_schedules_max);
}
