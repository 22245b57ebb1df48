// Exercise 02's harness: how `dca run 02` and `dca explore 02` drive both tracks and judge every
// round against the account's invariant. Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/levels.hpp"
#include "dca/harness/seeded_yields.hpp"
#include "dca/harness/start_gate.hpp"

namespace check_then_act {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

/// How long a customer waits for the account's answer, and the harness for a customer's report.
constexpr auto reply_timeout = std::chrono::seconds(10);

/// Harness messages: a customer reports what it was paid, or why it got no answer.
using paid_atom = caf::atom_constant<caf::atom("paid")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;

/// What one round ended with: `threads` customers against one fresh account.
struct round_outcome {
  std::int64_t paid = 0;
  std::int64_t balance = initial_balance;
};

/// What a correct account pays in one round: as many withdrawals as fit, no more.
std::int64_t fair_payout(std::int64_t customers) {
  return std::min(customers, initial_balance / withdrawal_amount) * withdrawal_amount;
}

bool overdrawn(const round_outcome& r) {
  return r.balance < 0 || r.paid + r.balance != initial_balance;
}

std::string paid_words(const round_outcome& r) {
  return "paid " + with_commas(r.paid) + " of " + with_commas(initial_balance) + ", balance " +
         with_commas(r.balance);
}

/// The invariant of one round, in words: nullopt when it holds.
std::optional<std::string> round_verdict(const round_outcome& r, std::int64_t customers) {
  if (overdrawn(r))
    return paid_words(r);
  if (r.paid < fair_payout(customers))
    return "paid " + with_commas(r.paid) + " of the " + with_commas(withdrawal_amount) +
           " requested from a balance of " + with_commas(initial_balance) +
           ": a withdrawal the balance covers was refused";
  return std::nullopt;
}

run_result judge(const std::vector<round_outcome>& rounds, const arguments& in) {
  const auto threads = in.get("threads");
  std::int64_t overdrawn_rounds = 0, refused_rounds = 0;
  round_outcome worst = rounds.front(), first_refused;
  for (const auto& r : rounds) {
    overdrawn_rounds += overdrawn(r) ? 1 : 0;
    if (!overdrawn(r) && r.paid < fair_payout(threads) && refused_rounds++ == 0)
      first_refused = r;
    if (r.paid > worst.paid || (r.paid == worst.paid && r.balance < worst.balance))
      worst = r;
  }
  const auto total = with_commas(static_cast<std::int64_t>(rounds.size()));
  run_result out;
  out.corrupted = overdrawn_rounds + refused_rounds > 0;
  if (overdrawn_rounds > 0)
    out.summary = "overdrawn in " + with_commas(overdrawn_rounds) + " of " + total +
                  " rounds; the worst " + paid_words(worst);
  else if (refused_rounds > 0)
    out.summary = *round_verdict(first_refused, threads) + " (in " + with_commas(refused_rounds) +
                  " of " + total + " rounds)";
  else
    out.summary = "every round paid " + with_commas(fair_payout(threads)) + " of " +
                  with_commas(initial_balance) + ": never overdrawn in " + total + " rounds";
  out.fields = {{"threads", std::to_string(threads)},
                {"rounds", std::to_string(rounds.size())},
                {"overdrawn_rounds", std::to_string(overdrawn_rounds)},
                {"refused_rounds", std::to_string(refused_rounds)},
                {"worst_paid", std::to_string(worst.paid)},
                {"worst_balance", std::to_string(worst.balance)}};
  return out;
}

/// Every round, `threads` threads withdraw from a fresh account at the same moment: a barrier
/// holds each thread until all have arrived at the round.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  const auto threads = in.get("threads");
  const auto rounds = in.get("rounds");
  std::deque<account> accounts; // one per round; a deque, because an account cannot move
  for (std::int64_t r = 0; r < rounds; ++r)
    accounts.emplace_back(initial_balance);
  std::vector<std::vector<std::int64_t>> paid(static_cast<std::size_t>(threads),
                                              std::vector<std::int64_t>(accounts.size(), 0));
  dca::harness::start_gate gate{threads}; // passed once per round
  std::vector<std::thread> pool;
  for (std::int64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      dca::harness::seeded_yields yields{in.seed(), static_cast<std::uint64_t>(t)};
      auto& mine = paid[static_cast<std::size_t>(t)];
      for (std::int64_t r = 0; r < rounds; ++r) {
        gate.pass();
        mine[static_cast<std::size_t>(r)] =
            withdraw(accounts[static_cast<std::size_t>(r)], withdrawal_amount);
        if (t == 0 && r % 1000 == 999)
          progress(static_cast<double>(r + 1) / static_cast<double>(rounds));
      }
    });
  }
  for (auto& worker_thread : pool)
    worker_thread.join();
  std::vector<round_outcome> outcomes(accounts.size());
  for (std::size_t r = 0; r < accounts.size(); ++r) {
    outcomes[r].balance = accounts[r].balance();
    for (const auto& mine : paid)
      outcomes[r].paid += mine[r];
  }
  return judge(outcomes, in);
}

/// A customer asks the account for its withdrawal, reports what it was paid, and quits.
caf::behavior customer(caf::event_based_actor* self, caf::actor acc, caf::actor report_to) {
  self->request(acc, reply_timeout, withdraw_atom::value, withdrawal_amount)
      .then([=](std::int64_t paid) { self->send(report_to, paid_atom::value, paid); },
            [=](caf::error& err) {
              self->send(report_to, failed_atom::value, self->system().render(err));
            });
  return {}; // no handlers of its own: the customer quits once the reply has come
}

run_result no_answer(const std::string& why, const arguments& in) {
  run_result r;
  r.corrupted = true;
  r.summary = why;
  r.fields = {{"threads", std::to_string(in.get("threads"))},
              {"rounds", std::to_string(in.get("rounds"))},
              {"error", "no_reply"}};
  return r;
}

/// Every round: a fresh account actor and `threads` customer actors that ask it at once.
run_result run_actors(const arguments& in, const progress_fn& progress) {
  const auto threads = in.get("threads");
  const auto rounds = in.get("rounds");
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  std::vector<round_outcome> outcomes(static_cast<std::size_t>(rounds));
  for (auto& out : outcomes) {
    auto acc = spawn_account(system, initial_balance);
    for (std::int64_t t = 0; t < threads; ++t)
      system.spawn(customer, acc, caf::actor_cast<caf::actor>(self));
    std::string error;
    out.paid = 0;
    for (std::int64_t t = 0; t < threads && error.empty(); ++t)
      self->receive([&](paid_atom, std::int64_t paid) { out.paid += paid; },
                    [&](failed_atom, std::string& why) { error = "a withdrawal failed: " + why; },
                    caf::after(reply_timeout) >> [&] { error = "a customer never reported"; });
    if (error.empty())
      self->request(acc, reply_timeout, balance_atom::value)
          .receive([&](std::int64_t balance) { out.balance = balance; },
                   [&](caf::error& e) { error = "no answer to balance: " + system.render(e); });
    self->send_exit(acc, caf::exit_reason::user_shutdown);
    if (!error.empty())
      return no_answer(error, in);
    auto done = static_cast<std::size_t>(&out - outcomes.data()) + 1;
    if (done % 500 == 0)
      progress(static_cast<double>(done) / static_cast<double>(rounds));
  }
  return judge(outcomes, in);
}

/// Reads the trace the way a person would: what each thread saw when it checked the balance.
std::optional<std::string> explain_overdraft(const std::vector<dca::explore::step>& trace,
                                             const std::vector<std::string>& names,
                                             const std::vector<std::int64_t>& paid,
                                             std::int64_t balance) {
  round_outcome r{0, balance};
  for (auto p : paid)
    r.paid += p;
  auto broken = round_verdict(r, static_cast<std::int64_t>(names.size()));
  if (!broken || !overdrawn(r))
    return broken;
  std::map<int, std::string> checked; // thread -> the balance its check read
  for (const auto& s : trace)
    if (s.operation == "load" && !checked.count(s.actor))
      checked[s.actor] = s.value;
  if (names.size() == 2 && paid[0] > 0 && paid[1] > 0 && checked[0] == checked[1])
    return names[0] + " and " + names[1] + " both saw balance " + checked[0] +
           " and both withdrew " + with_commas(withdrawal_amount) + ": " + *broken;
  return broken;
}

/// Two threads, one withdrawal of 80 each, one account of 100: the smallest overdraft.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  const std::vector<std::string> names{"T1", "T2"};
  auto make = [&] {
    auto acc = std::make_shared<account>(initial_balance);
    auto paid = std::make_shared<std::vector<std::int64_t>>(names.size(), 0);
    dca::explore::thread_execution exec;
    for (std::size_t t = 0; t < names.size(); ++t)
      exec.threads.push_back(
          {names[t], [acc, paid, t] { (*paid)[t] = withdraw(*acc, withdrawal_amount); }});
    exec.check = [acc, paid, names](const std::vector<dca::explore::step>& trace) {
      return explain_overdraft(trace, names, *paid, acc->balance());
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// What two customers were paid and what is left, judged as a round is.
std::optional<std::string> paid_verdict(const std::vector<std::int64_t>& paid,
                                        std::int64_t balance) {
  for (std::size_t i = 0; i < paid.size(); ++i)
    if (paid[i] < 0)
      return "customer " + std::to_string(i + 1) + " got no answer to its withdrawal";
  round_outcome r{paid[0] + paid[1], balance};
  auto broken = round_verdict(r, static_cast<std::int64_t>(paid.size()));
  if (broken && overdrawn(r) && paid[0] > 0 && paid[1] > 0)
    return "customer 1 and customer 2 were both paid " + with_commas(withdrawal_amount) + ": " +
           *broken;
  return broken;
}

/// An explored customer writes what it was paid into `paid` (the explorer runs one actor at a
/// time, on one thread, so the shared vector is safe here).
caf::behavior explored_customer(caf::event_based_actor* self, caf::actor acc,
                                std::shared_ptr<std::vector<std::int64_t>> paid, std::size_t i) {
  self->request(acc, reply_timeout, withdraw_atom::value, withdrawal_amount)
      .then([=](std::int64_t amount) { (*paid)[i] = amount; });
  return {};
}

/// The same two withdrawals as messages: every order in which the account can receive them.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto make = [] {
    auto acc = std::make_shared<caf::actor>();
    auto paid = std::make_shared<std::vector<std::int64_t>>(2, -1);
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      *acc = spawn_account(world.system(), initial_balance);
      world.name(*acc, "account");
      for (std::size_t i = 0; i < paid->size(); ++i)
        world.name(world.system().spawn(explored_customer, *acc, paid, i),
                   "customer " + std::to_string(i + 1));
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto balance = world.ask<std::int64_t>(*acc, balance_atom::value);
      if (!balance)
        return "the account did not answer balance: " + world.system().render(balance.error());
      return paid_verdict(*paid, *balance);
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

// -- one failure at every level (dca explore 02 --levels) -----------------------------------------

/// "Take this amount off the balance", unchecked: the act without its check, as account::debit is
/// in the shared-state track. Only the levels' own account handles it.
using debit_atom = caf::atom_constant<caf::atom("debit")>;

/// The account at the actor and node levels: the harness's own, so the levels show the same thing
/// whatever message_passing.cpp holds. Every request is answered with a std::int64_t, so a link
/// can carry any of them back.
struct level_balance {
  std::int64_t balance = initial_balance;
};

caf::behavior level_account(caf::stateful_actor<level_balance>* self) {
  return {
      [=](balance_atom) -> std::int64_t { return self->state.balance; },
      [=](debit_atom, std::int64_t amount) -> std::int64_t {
        self->state.balance -= amount;
        return amount;
      },
      [=](withdraw_atom, std::int64_t amount) -> std::int64_t { // the fix: check and act in one
        if (self->state.balance < amount)
          return 0;
        self->state.balance -= amount;
        return amount;
      },
  };
}

using paid_list = std::shared_ptr<std::vector<std::int64_t>>;

/// A customer that checks the balance with one message and debits with another: between the two,
/// the other customer's check can see the same balance.
caf::behavior split_customer(caf::event_based_actor* self, caf::actor target, paid_list paid,
                             std::size_t i) {
  self->request(target, caf::infinite, balance_atom::value).then([=](std::int64_t seen) {
    if (seen < withdrawal_amount) {
      (*paid)[i] = 0;
      return;
    }
    self->request(target, caf::infinite, debit_atom::value, withdrawal_amount)
        .then([=](std::int64_t amount) { (*paid)[i] = amount; });
  });
  return {};
}

/// The fix: one withdraw message, and the account checks and acts in one handler.
caf::behavior withdrawing_customer(caf::event_based_actor* self, caf::actor target, paid_list paid,
                                   std::size_t i) {
  self->request(target, caf::infinite, withdraw_atom::value, withdrawal_amount)
      .then([=](std::int64_t amount) { (*paid)[i] = amount; });
  return {};
}

dca::harness::level_cast account_cast(bool fixed) {
  auto paid = std::make_shared<std::vector<std::int64_t>>(2, -1);
  dca::harness::level_cast cast;
  cast.owner_name = "account";
  cast.spawn_owner = [](caf::actor_system& sys) { return sys.spawn(level_account); };
  cast.spawn_client = [fixed, paid](caf::actor_system& sys, const caf::actor& target, int client) {
    auto i = static_cast<std::size_t>(client - 1);
    return fixed ? sys.spawn(withdrawing_customer, target, paid, i)
                 : sys.spawn(split_customer, target, paid, i);
  };
  cast.link = [](caf::event_based_actor* self, const caf::actor& to) -> caf::behavior {
    using dca::harness::link_hop;
    return {link_hop<balance_atom>(self, to), link_hop<debit_atom, std::int64_t>(self, to),
            link_hop<withdraw_atom, std::int64_t>(self, to)};
  };
  cast.check = [paid](dca::explore::actor_world& world,
                      const caf::actor& acc) -> std::optional<std::string> {
    auto balance = world.ask<std::int64_t>(acc, balance_atom::value);
    if (!balance)
      return "the account did not answer balance: " + world.system().render(balance.error());
    return paid_verdict(*paid, *balance);
  };
  return cast;
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {
      {"threads", 2, 1, 64, "how many customers withdraw 80 from the same account at once"},
      {"rounds", 10'000, 1, 1'000'000, "how many fresh accounts of 100 they try it on"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  ex.levels = dca::harness::every_level(explore_shared, account_cast);
  return ex;
}

} // namespace check_then_act
