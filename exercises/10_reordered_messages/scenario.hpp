// Exercise 10, reordered messages: the contract both tracks implement. A customer's app sends two
// address changes, one after the other, to a profile service on another machine. The network may
// lose one, and the app's retry then lands after the change it sent next: the service applies
// them in the order they arrive, and keeps the older address. With message passing the profile is
// a dca::es entity that runs each sender's commands in the order of their sequence numbers (an
// activity), whatever order they arrive in.
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

namespace reordered_messages {

/// "Sender `sender` changes its address to `address`; this is its change number `seq`" (string,
/// std::uint64_t from 1, string). The service replies with true once it took the change.
using set_address_atom = caf::atom_constant<caf::atom("setaddr")>;

/// "What is the address of `sender`?" (string). The service replies with a string ("" when none).
using address_atom = caf::atom_constant<caf::atom("address")>;

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// Spawns the naive profile service: it applies every change when it arrives. What it shares with
/// the apps is the channel between them, which loses messages and so reorders their retries.
caf::actor spawn_naive_profiles(caf::actor_system& system);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

struct change_address {
  std::string address;
};

struct address_changed {
  std::string address;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_address& x) {
  return f(caf::meta::type_name("change_address"), x.address);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, address_changed& x) {
  return f(caf::meta::type_name("address_changed"), x.address);
}

struct profile_state {
  std::string address;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_state& x) {
  return f(caf::meta::type_name("profile_state"), x.address);
}

/// One customer's profile as a dca::es entity (keyed by the sender's name).
struct profile {
  static constexpr const char* type_name = "profile";
  using state = profile_state;
  using command = caf::variant<change_address>;
  using event = caf::variant<address_changed>;

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd);
  static state apply(state s, const event& ev);
};

/// Spawns the profile service: the profile entities on a journal of their own, behind an actor
/// that answers set_address_atom and address_atom as the naive service does.
caf::actor spawn_profiles(caf::actor_system& system);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// What an app did: the changes it sent (in its order) and how many were never answered.
struct app_report {
  std::string name; // the customer's, and the sender's in every change
  std::vector<std::string> sent;
  int unanswered = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_report& x) {
  return f(caf::meta::type_name("app_report"), x.name, x.sent, x.unanswered);
}

/// "What did you do?" -> app_report, asked of an app (spawn_app).
using report_atom = caf::atom_constant<caf::atom("report")>;

/// Spawns the app of customer `name`: it sends `changes` address changes to `profiles` at once,
/// numbered 1, 2, ... in the order it makes them, and sends a change again (same number) when no
/// answer came within `timeout` (at most 10 tries). Once every change has ended it sends its
/// app_report to `boss`, if one is given.
caf::actor spawn_app(caf::actor_system& system, caf::actor profiles, std::string name, int changes,
                     std::chrono::milliseconds timeout, caf::actor boss = {});

/// The seeded fault plan of the real runs and the spec: drops, duplicates, delays longer than the
/// app's timeout and reorders, from `seed`.
dca::cluster::fault_plan faults_of(std::uint64_t seed);

/// How long an app waits for an answer under faults_of: shorter than the link's delay.
constexpr std::chrono::milliseconds app_timeout{50};

/// How `dca run 10` and `dca explore 10` run this exercise.
dca::harness::exercise describe();

} // namespace reordered_messages
