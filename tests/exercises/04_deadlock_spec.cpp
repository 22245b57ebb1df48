// Exercise 04's spec, run against both tracks: two transfers in opposite lock order must deadlock
// under the explorer, which names the wait-for cycle (the lesson); the learner's account actors
// must never wait for each other, on real threads or on any explored delivery order (the fix).
// Nothing here can hang: the explorers model waiting, and every real request has a timeout.
#include <doctest/doctest.h>

#include <mutex>

#include "scenario.hpp"

#include "dca/explore/explorer.hpp"

using dca::harness::arguments;

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
  auto found = ex.explore_shared({});
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
  auto r = dca::explore::explore_threads(make);
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean, r.verdict << " " << join(r.cycle));
  CHECK(r.search_exhausted);
}

TEST_CASE("a transfer between two account actors moves the money") {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  auto a = deadlock::spawn_account(system, 100);
  auto b = deadlock::spawn_account(system, 100);
  std::string error;
  self->request(a, std::chrono::seconds(10), deadlock::transfer_atom::value, b, std::int64_t{30})
      .receive([](bool) {}, [&](caf::error& e) { error = system.render(e); });
  CHECK_MESSAGE(error.empty(), "the transfer of 30 from A to B failed: " << error);
  std::int64_t balance_a = -1, balance_b = -1;
  self->request(a, std::chrono::seconds(10), deadlock::balance_atom::value)
      .receive([&](std::int64_t x) { balance_a = x; }, [](caf::error&) {});
  self->request(b, std::chrono::seconds(10), deadlock::balance_atom::value)
      .receive([&](std::int64_t x) { balance_b = x; }, [](caf::error&) {});
  CHECK_MESSAGE((balance_a == 70 && balance_b == 130), "after moving 30 from A to B: A is "
                                                           << balance_a << " and B is " << balance_b
                                                           << ", expected 70 and 130");
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("no explored delivery order leaves the two accounts waiting for each other") {
  auto r = deadlock::describe().explore_actors({});
  auto what =
      r.result == dca::explore::outcome::deadlock ? "deadlock: " + join(r.cycle) : r.verdict;
  CHECK_MESSAGE(r.result == dca::explore::outcome::clean,
                what << " (dca explore 04 --variant actors --replay "
                     << r.failing_schedule.to_string() << ")");
}

TEST_CASE("opposite transfers between real account actors all go through") {
  auto ex = deadlock::describe();
  arguments in{{{"transfers", 1}, {"rounds", 500}}, std::nullopt};
  auto r = ex.run_actors(in, [](double) {});
  CHECK_MESSAGE(!r.corrupted, r.summary);
}
