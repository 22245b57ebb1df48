// Exercise 01, lost update: the contract both tracks implement. Several workers add one to a count,
// many times each. With shared state the count is a variable they all read and write; with message
// passing it is owned by one actor and the workers only send it messages.
#pragma once

#include <cstdint>

#include "caf/all.hpp"

#include "dca/harness/exercise.hpp"
#include "dca/shared.hpp"

namespace lost_update {

// -- shared-state track (shared_state.cpp) --------------------------------------------------------

/// The count every worker adds to: a variable all threads can read and write.
using shared_counter = dca::shared<std::int64_t>;

/// Adds one to `counter`, `increments` times. Several threads run this at once.
void add_many(shared_counter& counter, std::int64_t increments);

// -- message-passing track (message_passing.cpp) --------------------------------------------------

/// "Add one to the count." Sent by workers; the counter does not reply.
using inc_atom = caf::atom_constant<caf::atom("inc")>;

/// "What is the count?" The counter replies with the count as a std::int64_t.
using get_atom = caf::atom_constant<caf::atom("get")>;

/// "Set the count to this value." The fix does not need it: it is here so you can try splitting
/// the read-modify-write across two messages (get, then set) and watch updates get lost again.
using set_atom = caf::atom_constant<caf::atom("set")>;

/// Spawns the actor that owns the count. It handles inc_atom, get_atom and set_atom.
caf::actor spawn_counter(caf::actor_system& system);

/// A worker sends `increments` inc_atom messages to `counter`, then quits.
caf::behavior worker(caf::event_based_actor* self, caf::actor counter, std::int64_t increments);

// -- the harness (scenario.cpp) -------------------------------------------------------------------

/// How `dca run 01` and `dca explore 01` run this exercise.
dca::harness::exercise describe();

} // namespace lost_update
