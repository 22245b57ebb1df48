// Exercise 09's harness: how `dca run 09` and `dca explore 09` drive both tracks. A checkout
// charges orders through a payment service and sends a charge again when its receipt is late. `dca
// run` puts a seeded fault link (dca::cluster) between them, on real threads; `dca explore` lets
// the explorer lose or repeat messages as choices of the schedule, so the failing schedule names
// the message lost. Learners may read it; they do not need to change it.
#include "scenario.hpp"

#include <memory>
#include <optional>
#include <set>

#include "dca/explore/actor_explorer.hpp"
#include "dca/harness/lossy_link.hpp"

namespace at_least_once {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

constexpr std::int64_t order_cents = 100;
constexpr int attempts_max = 10; // a charge lost ten times in a row is an outage, not a fault

// -- the checkout ---------------------------------------------------------------------------------

struct checkout_state {
  checkout_report report;
  std::map<int, int> attempts; // by order
  int orders = 0;
  caf::actor boss; // told the report once every order has ended (may be none)
};

using checkout_actor = caf::stateful_actor<checkout_state>;

/// Sends the report to whoever waits for it once every order has ended.
void tell_if_done(checkout_actor* self) {
  auto& st = self->state;
  if (st.boss && st.report.answered + st.report.unanswered == st.orders)
    self->send(st.boss, st.report);
}

/// Sends the charge of `order`; sends it again when no receipt comes within `timeout`.
void charge_order(checkout_actor* self, caf::actor payments, int order,
                  std::chrono::milliseconds timeout) {
  ++self->state.attempts[order];
  self->request(payments, caf::duration{timeout}, charge_atom::value, order, order_cents)
      .then(
          [=](std::int64_t receipt) {
            self->state.report.receipts[order].push_back(receipt);
            ++self->state.report.answered;
            tell_if_done(self);
          },
          [=](caf::error&) {
            if (self->state.attempts[order] < attempts_max)
              return charge_order(self, payments, order, timeout); // at least once: ask again
            ++self->state.report.unanswered;
            tell_if_done(self);
          });
}

caf::behavior checkout(checkout_actor* self, caf::actor payments, int orders,
                       std::chrono::milliseconds timeout, caf::actor boss) {
  self->state.orders = orders;
  self->state.boss = std::move(boss);
  for (int order = 1; order <= orders; ++order)
    charge_order(self, payments, order, timeout);
  return {[=](report_atom) { return self->state.report; }};
}

// -- judging --------------------------------------------------------------------------------------

/// What a run saw: each order's charges, and what the checkout heard.
struct observed {
  int orders = 0;
  std::map<int, int> charges; // by order
  checkout_report heard;
};

run_result judge(const observed& o) {
  int twice = 0;
  std::int64_t over_cents = 0;
  for (const auto& [order, n] : o.charges) {
    twice += n > 1 ? 1 : 0;
    over_cents += n > 1 ? (n - 1) * order_cents : 0;
  }
  run_result r;
  r.corrupted = twice > 0 || o.heard.unanswered > 0;
  if (twice > 0)
    r.summary = with_commas(twice) + " of " + with_commas(o.orders) +
                " orders charged more than once: " + with_commas(over_cents) + " cents overcharged";
  if (o.heard.unanswered > 0)
    r.summary += std::string{r.summary.empty() ? "" : "; "} + with_commas(o.heard.unanswered) +
                 " orders never answered";
  if (!r.corrupted)
    r.summary = "every one of " + with_commas(o.orders) +
                " orders charged exactly once, whatever the link lost or repeated";
  r.fields = {{"orders", std::to_string(o.orders)},
              {"charged_more_than_once", std::to_string(twice)},
              {"overcharged_cents", std::to_string(over_cents)},
              {"unanswered", std::to_string(o.heard.unanswered)}};
  return r;
}

/// A real run: `spawn` makes the service, a seeded fault link stands between it and the checkout.
run_result run_with(caf::actor (*spawn)(caf::actor_system&), const arguments& in,
                    const progress_fn&) {
  dca::harness::lossy_link_run run{spawn, faults_of(in.seed().value_or(1))};
  observed o;
  o.orders = static_cast<int>(in.get("orders"));
  run.stop_with_run(
      spawn_checkout(run.system(), run.link(), o.orders, checkout_timeout, run.boss()));
  // Every order ends (a receipt, or attempts_max timeouts); then the charges are counted.
  if (run.collect<checkout_report>(1, [&](checkout_report& r) { o.heard = std::move(r); }) == 0)
    o.heard.unanswered = o.orders;
  for (int order = 1; order <= o.orders; ++order)
    if (auto n = run.ask_service<int>(charges_atom::value, order))
      o.charges[order] = *n;
  return judge(o);
}

run_result run_shared(const arguments& in, const progress_fn& progress) {
  return run_with(spawn_naive_payments, in, progress);
}

run_result run_actors(const arguments& in, const progress_fn& progress) {
  return run_with(spawn_payments, in, progress);
}

// -- exploring ------------------------------------------------------------------------------------

/// One order of 100 cents, a checkout that retries after 1 s (virtual time), and the link into
/// the checkout lossy (`lossy_requests`: the link into the service too, losing and repeating).
dca::explore::report explore_with(caf::actor (*spawn)(caf::actor_system&), bool lossy_requests,
                                  const dca::explore::options& opts) {
  auto make = [=] {
    auto payments = std::make_shared<caf::actor>();
    auto buyer = std::make_shared<caf::actor>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      *payments = spawn(world.system());
      world.name(*payments, "payments");
      *buyer = spawn_checkout(world.system(), *payments, 1, std::chrono::seconds(1));
      world.name(*buyer, "checkout");
      world.lossy(*buyer, {1, lossy_requests ? 1 : 0});
      if (lossy_requests)
        world.lossy(*payments, {1, 1});
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto n = world.ask<int>(*payments, charges_atom::value, 1);
      auto heard = world.ask<checkout_report>(*buyer, report_atom::value);
      if (!n || !heard)
        return std::string{"the payment service or the checkout did not answer"};
      if (*n != 1)
        return "order 1 charged " + std::to_string(*n) + " times (" +
               with_commas((*n - 1) * order_cents) + " cents too much)";
      const auto& receipts = heard->receipts[1];
      if (receipts.empty())
        return std::string{"the checkout never got a receipt"};
      if (std::set<std::int64_t>(receipts.begin(), receipts.end()).size() > 1)
        return std::string{"the checkout got two different receipts for one charge"};
      return std::nullopt;
    };
    return ex;
  };
  auto r = dca::harness::explore_with_faults(make, opts);
  if (r.result == dca::explore::outcome::invariant_broken)
    r.verdict += ": the checkout sent it again after " + dca::harness::first_fault_words(r.trace);
  return r;
}

dca::explore::report explore_shared(const dca::explore::options& opts) {
  return explore_with(spawn_naive_payments, false, opts);
}

dca::explore::report explore_actors(const dca::explore::options& opts) {
  return explore_with(spawn_payments, true, opts);
}

} // namespace

caf::actor spawn_checkout(caf::actor_system& system, caf::actor payments, int orders,
                          std::chrono::milliseconds timeout, caf::actor boss) {
  return system.spawn(checkout, std::move(payments), orders, timeout, std::move(boss));
}

dca::cluster::fault_plan faults_of(std::uint64_t seed) {
  return dca::harness::retry_overtaking_faults(seed, checkout_timeout);
}

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {{"orders", 200, 1, 100'000, "how many orders the checkout charges at once"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace at_least_once
