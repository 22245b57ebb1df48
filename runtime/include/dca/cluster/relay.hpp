// A relay: a short-lived actor that sends one message of any type to a peer and hands back the
// answer of any type. CAF 0.17 matches a response only against handlers for the types it
// expects, so an actor that forwards messages it does not know (the fault link) cannot take their
// replies with request().then(); a relay sends asynchronously, and a handler's result for an
// asynchronous message comes back to the sender as an ordinary message, which the relay's default
// handler takes whatever its type.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/local_actor.hpp>
#include <caf/message.hpp>

namespace dca::cluster {

/// (relayed_atom, id, caf::message reply) or (relayed_atom, id, caf::error) to the relay's owner.
using relayed_atom = caf::atom_constant<caf::atom("relayed")>;

/// Spawns a relay on `owner`'s system that sends `content` to `peer` and reports its answer to
/// `owner` under `id`. A relay that hears nothing for `wait_max` stops and reports nothing: the
/// caller's own request timeout is the answer then.
void spawn_relay(caf::local_actor* owner, std::uint64_t id, caf::actor peer, caf::message content,
                 std::chrono::milliseconds wait_max);

} // namespace dca::cluster
