// An exercise's own message types on the bridge. Where a learner's actor and a judge's actor talk
// in an exercise's types (a command variant, an entity's state, dca::es::ack), both ends must
// announce them, or CAF's serialiser refuses the message. The judge's stand-ins and the subject's
// main register the same announcer before the bridge's first use; announce_types adds it.
#pragma once

#include "caf/actor_system_config.hpp"

namespace dca::bridge {

/// Adds an exercise's types to a config (cfg.add_message_type<T>("name") for each).
using types_announcer = void (*)(caf::actor_system_config& cfg);

/// Registers `announce` for every later announce_types in this process (each announcer once).
/// Call it before the bridge's first use: the judge's link and the subject's host are made then.
/// Returns true, so that a static can register at start-up.
bool announce_exercise_types(types_announcer announce);

} // namespace dca::bridge
