// Exercise 04's harness: how `dca run 04` and `dca explore 04` drive both tracks. Every wait here
// has a bound: a watchdog ends a run of real threads that stopped moving, and every request has a
// timeout, so a deadlock is reported (with its cycle) instead of hanging the program.
// Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/seeded_yields.hpp"

namespace deadlock {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

/// A real run whose transfers all stand still this long is deadlocked.
constexpr auto stall_limit = std::chrono::milliseconds(500);

/// How long the harness waits for an account's answer: longer than credit_timeout, so that an
/// account which waited in vain has answered with its own timeout first.
constexpr auto reply_timeout = std::chrono::seconds(10);

constexpr std::int64_t total = 2 * opening_balance;

/// The amount of each transfer, from the seed (1 without --seed): between 1 and 50.
std::vector<std::int64_t> amounts(const arguments& in, std::int64_t n) {
  std::mt19937_64 rng{in.seed().value_or(1)};
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < n; ++i)
    out.push_back(1 + static_cast<std::int64_t>(rng() % 50));
  return out;
}

/// What the transfer threads of a real run share. Owned by shared_ptr: when they deadlock we
/// cannot join them, so they must be able to outlive the run.
struct transfer_run {
  account a{"A", opening_balance};
  account b{"B", opening_balance};
  std::atomic<std::int64_t> done{0}; // transfers finished, both threads together
  std::atomic<int> finished{0};      // threads finished
  std::mutex m;
  std::condition_variable wake;
};

/// T1 moves money from A to B, T2 from B to A, `transfers` times each. A watchdog on this thread
/// declares a deadlock when no transfer finishes for stall_limit.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  const auto transfers = in.get("transfers");
  auto run = std::make_shared<transfer_run>();
  auto sizes = amounts(in, transfers);
  auto seed = in.seed();
  auto body = [run, sizes, seed](bool a_to_b) {
    {
      dca::harness::seeded_yields yields{seed, a_to_b ? 0U : 1U};
      for (auto amount : sizes) {
        a_to_b ? transfer(run->a, run->b, amount) : transfer(run->b, run->a, amount);
        run->done.fetch_add(1);
      }
    }
    std::lock_guard<std::mutex> guard{run->m};
    run->finished.fetch_add(1);
    run->wake.notify_one();
  };
  std::vector<std::thread> threads;
  threads.emplace_back(body, true);
  threads.emplace_back(body, false);
  auto seen = run->done.load();
  auto last_move = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> guard{run->m};
  while (run->finished.load() < 2) {
    run->wake.wait_for(guard, std::chrono::milliseconds(50));
    if (auto now = run->done.load(); now != seen) {
      seen = now;
      last_move = std::chrono::steady_clock::now();
      progress(static_cast<double>(now) / static_cast<double>(2 * transfers));
    } else if (std::chrono::steady_clock::now() - last_move > stall_limit) {
      break;
    }
  }
  guard.unlock();
  seen = run->done.load();
  run_result r;
  r.fields = {{"transfers", std::to_string(transfers)}, {"done", std::to_string(seen)}};
  if (run->finished.load() < 2) {
    for (auto& t : threads)
      t.detach(); // blocked in a lock for good: they end with the process
    r.corrupted = true;
    r.summary = "deadlock: T1 (A to B) and T2 (B to A) made no progress for " +
                std::to_string(stall_limit.count()) + " ms, stuck inside transfer() after " +
                with_commas(seen) + " transfers; `dca explore 04` shows who waits for whom";
    r.fields.emplace_back("deadlock", "1");
    return r;
  }
  for (auto& t : threads)
    t.join();
  auto books = run->a.balance.load() + run->b.balance.load();
  r.corrupted = books != total;
  r.summary = r.corrupted ? "the books end at " + with_commas(books) + ", not " + with_commas(total)
                          : "no deadlock this time: " + with_commas(seen) +
                                " transfers finished (lucky: run it again, or `dca explore 04`)";
  r.fields.emplace_back("deadlock", "0");
  return r;
}

/// The verdict when a transfer of a round timed out. B answers a credit in microseconds unless it
/// is waiting itself, for A's answer to its own transfer: a cycle. The first account to give up
/// (after credit_timeout) breaks it, so the other's transfer may then go through.
std::string explain_deadlock(bool a_gave_up, bool b_gave_up, caf::actor a, caf::actor b,
                             caf::scoped_actor& self) {
  // The account that gave up took its money back, and then handled the credit that had waited in
  // its mailbox: ask what the books say now.
  std::int64_t books = 0;
  for (const auto& acc : {a, b})
    self->request(acc, reply_timeout, balance_atom::value)
        .receive([&](std::int64_t x) { books += x; }, [](caf::error&) {});
  auto timeout = " after " + std::to_string(credit_timeout.count()) + " s and took ";
  auto what = a_gave_up && b_gave_up
                  ? "both gave up" + timeout +
                        "their money back, but the credits they had asked "
                        "for were made anyway"
                  : std::string{a_gave_up ? "A" : "B"} + " gave up" + timeout +
                        "its money back, but the credit it had asked for was made anyway";
  return "deadlock: A waits for a reply from B, B waits for a reply from A (" + what +
         ": A + B = " + with_commas(books) + ", not " + with_commas(total) + ")";
}

/// Every round: A sends B an amount and B sends A one, at the same moment. Stops at the first
/// transfer that does not go through. (Rounds are capped at 20,000: in CAF 0.17 every request of a
/// scoped actor leaves its timeout behind, and once those arrive, reply_timeout later, they slow
/// down its every receive.)
run_result run_actors(const arguments& in, const progress_fn& progress) {
  const auto rounds = in.get("rounds");
  auto sizes = amounts(in, 2 * rounds);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  auto a = spawn_account(system, opening_balance);
  auto b = spawn_account(system, opening_balance);
  std::int64_t expected_a = opening_balance;
  std::string failure;
  std::int64_t round = 0;
  for (; round < rounds && failure.empty(); ++round) {
    auto x = sizes[static_cast<std::size_t>(2 * round)];
    auto y = sizes[static_cast<std::size_t>(2 * round + 1)];
    auto to_b = self->request(a, reply_timeout, transfer_atom::value, b, x);
    auto to_a = self->request(b, reply_timeout, transfer_atom::value, a, y);
    std::optional<caf::error> error_a_to_b, error_b_to_a; // each transfer's, if it failed
    to_b.receive([](bool) {}, [&](caf::error& e) { error_a_to_b = e; });
    to_a.receive([](bool) {}, [&](caf::error& e) { error_b_to_a = e; });
    auto timed_out = [](const std::optional<caf::error>& e) {
      return e && *e == caf::sec::request_timeout;
    };
    if (timed_out(error_a_to_b) || timed_out(error_b_to_a))
      failure = explain_deadlock(timed_out(error_a_to_b), timed_out(error_b_to_a), a, b, self);
    else if (error_a_to_b)
      failure = "the transfer from A to B failed: " + system.render(*error_a_to_b);
    else if (error_b_to_a)
      failure = "the transfer from B to A failed: " + system.render(*error_b_to_a);
    expected_a += y - x;
    if (round % 100 == 99)
      progress(static_cast<double>(round + 1) / static_cast<double>(rounds));
  }
  std::int64_t balance_a = -1, balance_b = -1;
  if (failure.empty()) {
    self->request(a, reply_timeout, balance_atom::value)
        .receive([&](std::int64_t v) { balance_a = v; }, [](caf::error&) {});
    self->request(b, reply_timeout, balance_atom::value)
        .receive([&](std::int64_t v) { balance_b = v; }, [](caf::error&) {});
    if (balance_a != expected_a || balance_a + balance_b != total)
      failure = "after " + with_commas(rounds) + " rounds A is " + with_commas(balance_a) +
                " and B is " + with_commas(balance_b) + ", expected " + with_commas(expected_a) +
                " and " + with_commas(total - expected_a);
  }
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
  run_result r;
  r.corrupted = !failure.empty();
  r.summary = r.corrupted
                  ? failure + " (round " + with_commas(round) + ")"
                  : with_commas(rounds) + " rounds of opposite transfers, none stuck: A + B = " +
                        with_commas(balance_a + balance_b);
  r.fields = {{"rounds", std::to_string(rounds)},
              {"rounds_done", std::to_string(round)},
              {"deadlock", failure.rfind("deadlock", 0) == 0 ? "1" : "0"}};
  return r;
}

// -- exploring ------------------------------------------------------------------------------------

constexpr std::int64_t explored_a_to_b = 30;
constexpr std::int64_t explored_b_to_a = 20;
// Different amounts, so that a statement taken before the debit (100, or 100 plus the other
// transfer) never equals one taken after it (less the amount, perhaps plus the other transfer).
static_assert(explored_a_to_b != explored_b_to_a);

/// T1 moves 30 from A to B while T2 moves 20 from B to A.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto make = [] {
    auto a = std::make_shared<account>("A", opening_balance);
    auto b = std::make_shared<account>("B", opening_balance);
    dca::explore::thread_execution exec;
    exec.threads.push_back({"T1", [a, b] { transfer(*a, *b, explored_a_to_b); }});
    exec.threads.push_back({"T2", [a, b] { transfer(*b, *a, explored_b_to_a); }});
    exec.check = [a, b](const std::vector<dca::explore::step>&) -> std::optional<std::string> {
      auto books = a->balance.load() + b->balance.load();
      if (books == total)
        return std::nullopt;
      return "the books end at " + with_commas(books) + ", not " + with_commas(total);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// What a client saw: whether its transfer went through, and the payer's balance it asked for as
/// soon as the payer had confirmed (its statement). -1: not yet.
struct client_view {
  int went_through = -1;
  std::int64_t statement = -1;
};

/// A client asks one account for one transfer; once it is confirmed, it asks the same account for
/// its balance: the money must have left it by then (the explorer runs one actor at a time, on one
/// thread, so the shared view is safe here).
caf::behavior explored_client(caf::event_based_actor* self, caf::actor from, caf::actor to,
                              std::int64_t amount, std::shared_ptr<client_view> view) {
  self->request(from, reply_timeout, transfer_atom::value, to, amount)
      .then(
          [=](bool) {
            view->went_through = 1;
            self->request(from, reply_timeout, balance_atom::value)
                .then([=](std::int64_t x) { view->statement = x; }, [](caf::error&) {});
          },
          [=](caf::error&) { view->went_through = 0; });
  return {};
}

/// A confirmed transfer of `amount` out of `payer` must have taken it off: the statement is the
/// opening balance less `amount`, plus `incoming` if the other transfer had arrived by then.
std::optional<std::string> check_statement(const char* payer, const client_view& view,
                                           std::int64_t amount, std::int64_t incoming) {
  auto debited = opening_balance - amount;
  if (view.statement == debited || view.statement == debited + incoming)
    return std::nullopt;
  return std::string{payer} + " confirmed its transfer of " + with_commas(amount) +
         ", but its balance right after was " + with_commas(view.statement) + ", expected " +
         with_commas(debited) + " (or " + with_commas(debited + incoming) +
         " with the other transfer in): it replied before it took the money off";
}

/// The same two transfers between two account actors: every order of their messages. Each client
/// asks for the payer's balance as soon as its transfer is confirmed, so that an account which
/// confirms before it takes the money off is caught.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto make = [] {
    auto a = std::make_shared<caf::actor>();
    auto b = std::make_shared<caf::actor>();
    auto a_to_b = std::make_shared<client_view>();
    auto b_to_a = std::make_shared<client_view>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      auto& sys = world.system();
      *a = spawn_account(sys, opening_balance);
      *b = spawn_account(sys, opening_balance);
      world.name(*a, "A");
      world.name(*b, "B");
      world.name(sys.spawn(explored_client, *a, *b, explored_a_to_b, a_to_b), "client 1");
      world.name(sys.spawn(explored_client, *b, *a, explored_b_to_a, b_to_a), "client 2");
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      if (a_to_b->went_through != 1 || b_to_a->went_through != 1)
        return std::string{"a transfer did not go through: "} +
               (a_to_b->went_through != 1 ? "A to B" : "B to A");
      if (auto wrong = check_statement("A", *a_to_b, explored_a_to_b, explored_b_to_a))
        return wrong;
      if (auto wrong = check_statement("B", *b_to_a, explored_b_to_a, explored_a_to_b))
        return wrong;
      auto balance_a = world.ask<std::int64_t>(*a, balance_atom::value);
      auto balance_b = world.ask<std::int64_t>(*b, balance_atom::value);
      if (!balance_a || !balance_b)
        return "an account did not answer balance";
      auto expected_a = opening_balance - explored_a_to_b + explored_b_to_a;
      if (*balance_a != expected_a || *balance_a + *balance_b != total)
        return "A is " + with_commas(*balance_a) + " and B is " + with_commas(*balance_b) +
               ", expected " + with_commas(expected_a) + " and " + with_commas(total - expected_a);
      return std::nullopt;
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"transfers", 1'000'000, 1, 100'000'000, "threads: how many transfers each direction makes"},
      {"rounds", 1'000, 1, 20'000, "actors: how many rounds of two opposite transfers"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace deadlock
