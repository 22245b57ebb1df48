// Exercise 09, at-least-once delivery: the contract both tracks implement. A checkout charges
// orders through a payment service over a network that loses and repeats messages; when no receipt
// comes in time it sends the same charge again, because a lost request and a lost reply look the
// same from where it stands. With the naive service (shared_state.cpp) every charge that arrives is
// a new charge; with message passing the payments are a dca::es entity that stores each charge's
// idempotency key in the same event as the charge.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/cluster/fault_plan.hpp"
#include "dca/es/entity.hpp"
#include "dca/harness/exercise.hpp"

namespace at_least_once {

/// "Charge `amount_cents` for order `order`" (int, std::int64_t). The service replies with the
/// charge's receipt number (std::int64_t).
using charge_atom = caf::atom_constant<caf::atom("charge")>;

/// "How many times was order `order` charged?" (int). The service replies with an int.
using charges_atom = caf::atom_constant<caf::atom("charges")>;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// Spawns the naive payment service: it charges every charge message it receives. The state it
/// shares with the checkout is the channel between them, which loses and repeats messages.
caf::actor spawn_naive_payments(caf::actor_system& system);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

struct charge {
  int order = 0;
  std::int64_t amount_cents = 0;
};

struct charged {
  int order = 0;
  std::int64_t amount_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, charge& x) {
  return f(caf::meta::type_name("charge"), x.order, x.amount_cents);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, charged& x) {
  return f(caf::meta::type_name("charged"), x.order, x.amount_cents);
}

struct ledger_state {
  std::map<int, int> charges; // by order: how many times it was charged
  std::int64_t total_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_state& x) {
  return f(caf::meta::type_name("ledger_state"), x.charges, x.total_cents);
}

/// The payments of the shop as one dca::es entity: decide and apply are pure, the runtime persists
/// each command's events together with its idempotency key, and answers a command whose key it
/// has seen with the recorded ack instead of deciding again.
struct payment_ledger {
  static constexpr const char* type_name = "payment_ledger";
  using state = ledger_state;
  using command = caf::variant<charge>;
  using event = caf::variant<charged>;

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// Spawns the payment service: the ledger entity on a journal of its own, behind an actor that
/// answers charge_atom and charges_atom as the naive service does.
caf::actor spawn_payments(caf::actor_system& system);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// What a checkout did: orders answered, and the receipts it got for each (one per answer).
struct checkout_report {
  int answered = 0;
  int unanswered = 0; // every attempt timed out
  std::map<int, std::vector<std::int64_t>> receipts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkout_report& x) {
  return f(caf::meta::type_name("checkout_report"), x.answered, x.unanswered, x.receipts);
}

/// "What did you do?" -> checkout_report, asked of a checkout (spawn_checkout).
using report_atom = caf::atom_constant<caf::atom("report")>;

/// Spawns a checkout that charges orders 1..`orders` (100 cents each) all at once through
/// `payments`, and sends a charge again when no receipt came within `timeout` (at most 10 tries).
/// Once every order has ended it sends its checkout_report to `boss`, if one is given.
caf::actor spawn_checkout(caf::actor_system& system, caf::actor payments, int orders,
                          std::chrono::milliseconds timeout, caf::actor boss = {});

/// The seeded fault plan of the real runs and the spec: drops, duplicates, delays longer than the
/// checkout's timeout (a retry lands before the original) and reorders, from `seed`.
dca::cluster::fault_plan faults_of(std::uint64_t seed);

/// How long a checkout waits for a receipt under faults_of: shorter than the link's delay.
constexpr std::chrono::milliseconds checkout_timeout{50};

/// How `dca run 09` and `dca explore 09` run this exercise.
dca::harness::exercise describe();

} // namespace at_least_once
