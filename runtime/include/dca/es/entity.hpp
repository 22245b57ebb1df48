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
// The runtime (entity_host.hpp) owns the rest: one actor per (type, key), activated on its first
// message, recovered from snapshot + tail, persist -> apply -> reply, passivation when idle.
#pragma once

#include <chrono>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <caf/atom.hpp>
#include <caf/expected.hpp>

#include "dca/es/idempotency_keys.hpp"

namespace dca::es {

// -- public messages ----------------------------------------------------------------------------

/// (command_atom, key, command, idempotency_key) -> ack. An empty idempotency key means none.
using command_atom = caf::atom_constant<caf::atom("command")>;
/// (get_atom, key) -> state: the entity's current state (activating it).
using get_atom = caf::atom_constant<caf::atom("get")>;
/// (resolve_atom, key) -> actor: the entity's own actor, to send commands without the host hop.
/// The handle dies when the entity passivates: on sec::request_receiver_down, resolve again.
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;

// -- runtime-internal messages ------------------------------------------------------------------

using appended_atom = caf::atom_constant<caf::atom("appended")>;
using recovered_atom = caf::atom_constant<caf::atom("recovered")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;

/// How a host runs its entities. Every queue has its bound here.
struct entity_options {
  /// Commands an entity holds while one is being persisted; past it, errc::overloaded.
  std::size_t pending_commands_max = 64;
  /// An entity with no message for this long (at most twice this long) is passivated: stopped,
  /// and recovered on its next message. Zero disables passivation.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes{2}};
  /// Entities recovering at once per host (Akka's max-concurrent-recoveries); others wait.
  std::size_t recoveries_max = 50;
  /// Events read per journal round trip during replay: bounds replay memory.
  std::size_t replay_batch_max = 1000;
  /// A snapshot after this many events since the last one. Zero disables snapshots.
  std::size_t snapshot_every = 1000;
  /// Idempotency keys each entity remembers (oldest forgotten first).
  std::size_t idempotency_keys_max = 1000;
};

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
