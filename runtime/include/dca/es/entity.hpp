// What an entity type is, and the messages and settings the runtime hosts it with.
//
// An entity type is plain C++, with no actor code in it (Pat Helland's scale-agnostic layer):
//
//   struct account {
//     static constexpr const char* type_name = "account";   // the journal's stream type
//     struct state   { ... };                                // with inspect (for snapshots)
//     using command = caf::variant<open_account, deposit, ...>;   // each with inspect
//     using event   = caf::variant<account_opened, deposited, ...>;
//     /// Pure: what happens if `cmd` runs now; an error rejects it and appends nothing.
//     static caf::expected<std::vector<event>> decide(const state&, const command&);
//     /// Pure: the state after `ev`. Replay is apply over the journal, so apply never fails.
//     static state apply(state, const event&);
//   };
//
// The runtime owns the rest: one actor per (type, key) (entity_shell.hpp), activated on its first
// message by its host (entity_host.hpp), recovered from snapshot + tail, persist -> apply -> reply,
// hibernation and passivation when idle.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/es/activity.hpp"
#include "dca/es/idempotency_keys.hpp"

namespace dca::es {

// -- public messages ------------------------------------------------------------------------------

/// (command_atom, key, command, idempotency_key) -> ack. An empty idempotency key means none.
/// (command_atom, key, command, sender_stamp) -> ack: a command of an activity (activity.hpp).
using command_atom = caf::atom_constant<caf::atom("command")>;
/// (get_atom, key) -> state: the entity's current state (activating it).
using get_atom = caf::atom_constant<caf::atom("get")>;
/// (resolve_atom, key) -> actor: the entity's own actor, to send commands without the host hop.
/// The handle dies when the entity passivates: on sec::request_receiver_down, resolve again.
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
/// (stats_atom) -> entity_host_stats: what a host holds now.
using stats_atom = caf::atom_constant<caf::atom("stats")>;

// -- runtime-internal messages --------------------------------------------------------------------

using appended_atom = caf::atom_constant<caf::atom("appended")>;
using recovered_atom = caf::atom_constant<caf::atom("recovered")>;
using replayed_atom = caf::atom_constant<caf::atom("replayed")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using hibernated_atom = caf::atom_constant<caf::atom("hibernated")>;
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// How a host runs its entities. Every queue has its bound here.
struct entity_options {
  /// Commands an entity holds while one is being persisted; past it, errc::overloaded.
  std::size_t pending_commands_max = 64;
  /// An entity with no message for this long (at most about twice this long) is passivated:
  /// dropped from memory, and recovered from the journal on its next message. Zero disables
  /// passivation.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes{2}};
  /// An entity with no message for this long hibernates (Erlang's hibernate_after): its actor
  /// stops and hands its image to the host, which serves reads from it and starts a new actor
  /// from it, without reading the journal, on the next command. An idle entity then costs a few
  /// hundred bytes instead of an actor. Zero, or not less than idle_timeout, disables it.
  std::chrono::milliseconds hibernate_after{std::chrono::seconds{10}};
  /// Entities recovering at once per host (Akka's max-concurrent-recoveries); others wait.
  std::size_t recoveries_max = 50;
  /// Events read per journal round trip during replay: bounds replay memory.
  std::size_t replay_batch_max = 1000;
  /// A snapshot after this many events since the last one. Zero disables snapshots.
  std::size_t snapshot_every = 1000;
  /// Idempotency keys each entity remembers (oldest forgotten first). Replies to stamped
  /// commands are kept among them: a duplicate older than that gets errc::sequence_stale.
  std::size_t idempotency_keys_max = 1000;
  /// What a stamped command numbered past the next expected one gets (activity.hpp).
  gap_policy gaps = gap_policy::buffer;
  /// How far ahead of a sender's next number a command may be and still be held: one further
  /// ahead is refused (errc::sequence_gap) under either policy, state unchanged. The commands held
  /// for all senders together count against pending_commands_max.
  std::uint64_t sender_window_max = 16;
};

/// What a host holds now, by the state of its entities.
struct entity_host_stats {
  std::uint64_t running = 0;    // with an actor: recovering, active or stopping
  std::uint64_t hibernated = 0; // held as an image, no actor
  std::uint64_t waiting = 0;    // waiting for a recovery permit
  std::uint64_t recovering = 0; // reading the journal now (at most recoveries_max)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_host_stats& x) {
  return f(caf::meta::type_name("entity_host_stats"), x.running, x.hibernated, x.waiting,
           x.recovering);
}

/// The period of an entity's idle checks: hibernation's when it is on, else passivation's.
inline std::chrono::milliseconds idle_check_period(const entity_options& opts) {
  auto hibernate = opts.hibernate_after.count() > 0 &&
                   (opts.idle_timeout.count() == 0 || opts.hibernate_after < opts.idle_timeout);
  return hibernate ? opts.hibernate_after : opts.idle_timeout;
}

/// Whether idle entities hibernate before they passivate.
inline bool hibernates(const entity_options& opts) {
  return idle_check_period(opts) != opts.idle_timeout;
}

/// Compile-time check of the entity concept, with messages that say what is missing.
template <class E>
constexpr bool check_entity_type() {
  using state = typename E::state;
  using command = typename E::command;
  using event = typename E::event;
  static_assert(std::is_default_constructible_v<state>, "E::state must be default constructible");
  static_assert(std::is_same_v<decltype(E::decide(std::declval<const state&>(),
                                                  std::declval<const command&>())),
                               caf::expected<std::vector<event>>>,
                "E::decide(const state&, const command&) must return "
                "caf::expected<std::vector<event>>");
  static_assert(
      std::is_same_v<decltype(E::apply(std::declval<state>(), std::declval<const event&>())),
                     state>,
      "E::apply(state, const event&) must return state");
  static_assert(std::is_convertible_v<decltype(E::type_name), const char*>,
                "E::type_name must be a string constant");
  return true;
}

} // namespace dca::es
