// An exercise's own message types on the bridge. The wire carries CAF messages in CAF's binary
// encoding, which names every value's type: a value of a type neither side announced does not
// cross (the judge refuses it). Where a learner's actors send or receive an exercise's values
// (13's invocation sends an event_seats::command to the judge's entity host and reads back its
// event_state), the exercise announces those types here, on both sides: its subject before
// subject_main, its stand-ins from a static initialiser, before the judge's link exists.
#pragma once

#include "caf/actor_system_config.hpp"

namespace dca::bridge {

/// Announces an exercise's message types (cfg.add_message_type<T>("name") for each).
using message_types_announcer = void (*)(caf::actor_system_config& cfg);

/// Adds `announce` to what announce_types (wire.hpp) announces; returns true, so that a static
/// initialiser can call it. Must run before the process's first bridge actor system exists
/// (asserted): a type announced later would be missing from it.
bool add_message_types(message_types_announcer announce);

/// Runs every announcer added so far on `cfg` (announce_types calls it).
void announce_message_types(caf::actor_system_config& cfg);

} // namespace dca::bridge
