// Exercise 03's harness: how `dca run 03` and `dca explore 03` drive both tracks. Tellers make
// seeded transfers between ten accounts of 1,000 (a few of them to a closed account), an auditor
// sums the balances meanwhile, and the harness counts bad audits and lost money.
// Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/seeded_yields.hpp"

namespace torn_invariant {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

/// The bank of a real run: ten open accounts of 1,000 and, last, one closed account.
constexpr int open_accounts = 10;
constexpr std::int64_t opening_balance = 1'000;
constexpr std::int64_t bank_total = open_accounts * opening_balance;
constexpr int closed_account = open_accounts; // its number

/// How long a teller waits for the ledger, and the harness for a teller.
constexpr auto reply_timeout = std::chrono::seconds(10);
constexpr auto actor_run_timeout = std::chrono::seconds(60);

/// Harness messages: a teller reports how many of its transfers were refused, or why it stopped.
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;

std::vector<opening> real_bank() {
  std::vector<opening> accounts;
  for (int i = 0; i < open_accounts; ++i)
    accounts.push_back({std::string(1, static_cast<char>('A' + i)), opening_balance, false});
  accounts.push_back({"closed", 0, true});
  return accounts;
}

struct planned_transfer {
  int from = 0;
  int to = 0;
  std::int64_t amount = 0;
};

/// Each teller's transfers, from the seed (1 without --seed): random amounts between random open
/// accounts, and `failures` of them, evenly spaced, to the closed account.
std::vector<std::vector<planned_transfer>> make_plan(const arguments& in) {
  const auto transfers = in.get("transfers");
  const auto failures = std::min(in.get("failures"), transfers);
  std::mt19937_64 rng{in.seed().value_or(1)};
  auto pick = [&rng](std::int64_t n) { return static_cast<std::int64_t>(rng() % n); };
  std::vector<std::vector<planned_transfer>> plan(static_cast<std::size_t>(in.get("threads")));
  for (auto& mine : plan) {
    for (std::int64_t i = 0; i < transfers; ++i) {
      auto from = static_cast<int>(pick(open_accounts));
      auto to = static_cast<int>((from + 1 + pick(open_accounts - 1)) % open_accounts);
      mine.push_back({from, to, 1 + pick(100)});
    }
    for (std::int64_t k = 1; k <= failures; ++k)
      mine[static_cast<std::size_t>(k * transfers / (failures + 1))].to = closed_account;
  }
  return plan;
}

/// What a real run observed.
struct observed {
  std::int64_t refused = 0;     // transfers that returned false
  std::int64_t final_total = 0; // the books at the end
  std::int64_t audits = 0;
  std::int64_t bad_audits = 0; // audits that saw a total the bank never held
};

run_result judge(const observed& o, const arguments& in) {
  const auto threads = in.get("threads");
  const auto planned_failures = std::min(in.get("failures"), in.get("transfers")) * threads;
  const auto lost = bank_total - o.final_total;
  std::vector<std::string> problems;
  if (lost != 0)
    problems.push_back("the books end at " + with_commas(o.final_total) + " of " +
                       with_commas(bank_total) + ": " + with_commas(lost) + " lost in " +
                       with_commas(o.refused) + " failed transfers");
  if (o.bad_audits > 0)
    problems.push_back(with_commas(o.bad_audits) + " of " + with_commas(o.audits) +
                       " audits saw a total the bank never held");
  if (o.refused != planned_failures)
    problems.push_back(with_commas(o.refused) + " transfers refused, but " +
                       with_commas(planned_failures) +
                       " went to a closed account and only those "
                       "may be");
  run_result r;
  r.corrupted = !problems.empty();
  for (const auto& p : problems)
    r.summary += (r.summary.empty() ? "" : "; ") + p;
  if (problems.empty())
    r.summary = "every one of " + with_commas(o.audits) + " audits saw " + with_commas(bank_total) +
                ", and so do the books; " + with_commas(o.refused) +
                " transfers to a closed account refused, nothing lost";
  r.fields = {{"threads", std::to_string(threads)},
              {"transfers", std::to_string(in.get("transfers"))},
              {"failures", std::to_string(planned_failures)},
              {"refused", std::to_string(o.refused)},
              {"lost", std::to_string(lost)},
              {"final_total", std::to_string(o.final_total)},
              {"audits", std::to_string(o.audits)},
              {"bad_audits", std::to_string(o.bad_audits)}};
  return r;
}

/// Transfer threads run the plan while this thread audits, until they are done. An audit is bad
/// when no moment of the run had its total: money lost by failed transfers before the audit
/// began, or by its end, is taken into account.
run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto plan = make_plan(in);
  bank accounts;
  for (const auto& how : real_bank())
    accounts.emplace_back(how);
  std::atomic<std::int64_t> lost_so_far{0}, refused{0};
  std::atomic<std::size_t> running{plan.size()};
  std::vector<std::thread> tellers;
  for (std::size_t t = 0; t < plan.size(); ++t) {
    tellers.emplace_back([&, t] {
      {
        dca::harness::seeded_yields yields{in.seed(), t};
        for (const auto& x : plan[t])
          if (!transfer(accounts[static_cast<std::size_t>(x.from)],
                        accounts[static_cast<std::size_t>(x.to)], x.amount)) {
            refused.fetch_add(1);
            lost_so_far.fetch_add(x.amount);
          }
      }
      running.fetch_sub(1);
    });
  }
  observed o;
  while (running.load() > 0) {
    auto lost_before = lost_so_far.load();
    auto seen = audit(accounts);
    auto lost_after = lost_so_far.load();
    ++o.audits;
    o.bad_audits += seen > bank_total - lost_before || seen < bank_total - lost_after ? 1 : 0;
    progress(1.0 - static_cast<double>(running.load()) / static_cast<double>(plan.size()));
  }
  for (auto& t : tellers)
    t.join();
  o.refused = refused.load();
  o.final_total = audit(accounts);
  return judge(o, in);
}

struct teller_state {
  std::vector<planned_transfer> plan;
  std::size_t next = 0;
  std::int64_t refused = 0;
};

/// Sends the teller's next transfer, and the one after that when the ledger has answered, so
/// that audits can come in between; reports to `boss` when the plan is done.
void send_next(caf::stateful_actor<teller_state>* self, caf::actor ledger, caf::actor boss) {
  auto& s = self->state;
  if (s.next == s.plan.size()) {
    self->send(boss, done_atom::value, s.refused);
    self->quit();
    return;
  }
  auto x = s.plan[s.next++];
  self->request(ledger, reply_timeout, transfer_atom::value, x.from, x.to, x.amount)
      .then(
          [=](bool moved) {
            self->state.refused += moved ? 0 : 1;
            send_next(self, ledger, boss);
          },
          [=](caf::error& err) {
            self->send(boss, failed_atom::value, self->system().render(err));
            self->quit();
          });
}

caf::behavior teller(caf::stateful_actor<teller_state>* self, caf::actor ledger,
                     std::vector<planned_transfer> plan, caf::actor boss) {
  self->state.plan = std::move(plan);
  send_next(self, ledger, boss);
  return {}; // no handlers of its own: its pending request keeps it alive until the plan is done
}

struct auditor_state {
  std::int64_t audits = 0;
  std::int64_t bad_audits = 0;
  std::string error;
};

/// Audits the ledger again and again, one request at a time, until asked for its counts.
void audit_next(caf::stateful_actor<auditor_state>* self, caf::actor ledger) {
  self->request(ledger, reply_timeout, audit_atom::value)
      .then(
          [=](std::int64_t seen) {
            ++self->state.audits;
            self->state.bad_audits += seen != bank_total ? 1 : 0;
            audit_next(self, ledger);
          },
          [=](caf::error& err) { self->state.error = self->system().render(err); });
}

caf::behavior auditor(caf::stateful_actor<auditor_state>* self, caf::actor ledger) {
  audit_next(self, ledger);
  return {[=](done_atom) {
    auto& s = self->state;
    self->quit();
    return caf::make_message(s.audits, s.bad_audits, s.error);
  }};
}

/// The tellers run their plans against the ledger while an auditor actor audits it; the harness
/// waits for every teller, then collects the auditor's counts and the books.
run_result run_actors(const arguments& in, const progress_fn& progress) {
  auto plan = make_plan(in);
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  auto ledger = spawn_ledger(system, real_bank());
  auto audits = system.spawn(auditor, ledger);
  for (auto& mine : plan)
    system.spawn(teller, ledger, mine, caf::actor_cast<caf::actor>(self));
  observed o;
  std::string error;
  for (std::size_t reported = 0; reported < plan.size() && error.empty(); ++reported) {
    self->receive([&](done_atom, std::int64_t refused) { o.refused += refused; },
                  [&](failed_atom, std::string& why) { error = "a transfer failed: " + why; },
                  caf::after(actor_run_timeout) >> [&] { error = "a teller never finished"; });
    progress(static_cast<double>(reported + 1) / static_cast<double>(plan.size()));
  }
  self->request(audits, reply_timeout, done_atom::value)
      .receive(
          [&](std::int64_t n, std::int64_t bad, std::string& why) {
            o.audits = n;
            o.bad_audits = bad;
            if (!why.empty() && error.empty())
              error = "the ledger did not answer an audit: " + why;
          },
          [&](caf::error& e) { error = "the auditor did not report: " + system.render(e); });
  self->request(ledger, reply_timeout, audit_atom::value)
      .receive(
          [&](std::int64_t books) { o.final_total = books; },
          [&](caf::error& e) { error = "the ledger did not answer audit: " + system.render(e); });
  self->send_exit(audits, caf::exit_reason::user_shutdown);
  self->send_exit(ledger, caf::exit_reason::user_shutdown);
  if (!error.empty()) {
    run_result r;
    r.corrupted = true;
    r.summary = error;
    r.fields = {{"threads", std::to_string(in.get("threads"))}, {"error", "no_reply"}};
    return r;
  }
  return judge(o, in);
}

// -- exploring ------------------------------------------------------------------------------------

/// The explored bank: two accounts of 100, and a closed one for the actor scenario.
constexpr std::int64_t explored_balance = 100;
constexpr std::int64_t explored_total = 2 * explored_balance;
constexpr std::int64_t explored_amount = 30;

/// Reads the trace the way a person would: which balance did the auditor read before, and which
/// after, the transfer touched it?
std::string explain_bad_audit(const std::vector<dca::explore::step>& trace, int auditor,
                              std::int64_t seen) {
  std::set<std::string> written; // balances the transfer had changed so far
  std::string reads;
  for (const auto& s : trace) {
    if (s.actor != auditor && s.operation == "store")
      written.insert(s.object);
    if (s.actor == auditor && s.operation == "load") {
      auto account = s.object.substr(0, s.object.find('.'));
      auto step = account == "A" ? "debit" : "credit";
      reads += std::string{reads.empty() ? "" : " and "} + account +
               (written.count(s.object) ? " after the " : " before the ") + step;
    }
  }
  auto difference = seen < explored_total
                        ? with_commas(explored_total - seen) + " in flight, seen by nobody"
                        : with_commas(seen - explored_total) + " counted twice";
  return "the auditor summed " + with_commas(seen) + ", but the bank held " +
         with_commas(explored_total) + " all along: it read " + reads + " (" + difference + ")";
}

/// A transfer of 30 from A to B, and an auditor summing A and B, on two threads.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto make = [] {
    auto accounts = std::make_shared<bank>();
    accounts->emplace_back(opening{"A", explored_balance, false});
    accounts->emplace_back(opening{"B", explored_balance, false});
    auto seen = std::make_shared<std::int64_t>(0);
    dca::explore::thread_execution exec;
    exec.threads.push_back({"transfer A->B", [accounts] {
                              transfer((*accounts)[0], (*accounts)[1], explored_amount);
                            }});
    exec.threads.push_back({"auditor", [accounts, seen] { *seen = audit(*accounts); }});
    exec.check = [accounts, seen](
                     const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      if (auto books = audit(*accounts); books != explored_total)
        return "the books end at " + with_commas(books) + ", not " + with_commas(explored_total);
      if (*seen == explored_total)
        return std::nullopt;
      return explain_bad_audit(trace, 1, *seen);
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// What the explored actors saw: each transfer's answer and the auditor's total (-1: none yet).
/// The explorer runs one actor at a time, on one thread, so sharing it between them is safe.
struct explored_results {
  int to_b = -1;      // teller 1, A -> B: 1 when the money moved
  int to_closed = -1; // teller 2, A -> the closed account: 0 when refused
  std::int64_t audited = -1;
};

caf::behavior explored_teller(caf::event_based_actor* self, caf::actor ledger, int to,
                              std::shared_ptr<explored_results> results) {
  self->request(ledger, reply_timeout, transfer_atom::value, 0, to, explored_amount)
      .then([=](bool moved) { (to == 1 ? results->to_b : results->to_closed) = moved ? 1 : 0; });
  return {};
}

caf::behavior explored_auditor(caf::event_based_actor* self, caf::actor ledger,
                               std::shared_ptr<explored_results> results) {
  self->request(ledger, reply_timeout, audit_atom::value).then([=](std::int64_t seen) {
    results->audited = seen;
  });
  return {};
}

/// A transfer of 30 from A to B, one from A to a closed account, and an audit, as messages.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto make = [] {
    auto ledger = std::make_shared<caf::actor>();
    auto results = std::make_shared<explored_results>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      auto& sys = world.system();
      *ledger = spawn_ledger(
          sys,
          {{"A", explored_balance, false}, {"B", explored_balance, false}, {"closed", 0, true}});
      world.name(*ledger, "ledger");
      world.name(sys.spawn(explored_teller, *ledger, 1, results), "teller 1");
      world.name(sys.spawn(explored_teller, *ledger, 2, results), "teller 2");
      world.name(sys.spawn(explored_auditor, *ledger, results), "auditor");
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto books = world.ask<std::int64_t>(*ledger, audit_atom::value);
      if (!books)
        return "the ledger did not answer audit: " + world.system().render(books.error());
      if (results->audited != explored_total)
        return "the auditor saw " + with_commas(results->audited) + ", but the bank held " +
               with_commas(explored_total) + " all along";
      if (*books != explored_total)
        return "the books end at " + with_commas(*books) + ", not " + with_commas(explored_total);
      if (results->to_b != 1)
        return "the transfer of 30 from A to B was refused";
      if (results->to_closed != 0)
        return "the transfer of 30 from A to the closed account was accepted";
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
      {"threads", 4, 1, 64, "how many tellers make transfers at once"},
      {"transfers", 10'000, 1, 10'000'000, "how many transfers each teller makes"},
      {"failures", 1, 0, 1'000,
       "how many of each teller's transfers go to a closed account (and fail half way)"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace torn_invariant
