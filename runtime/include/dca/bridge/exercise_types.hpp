// An exercise's own message types on the bridge. Where the messages between the learner's actors
// and the judge's carry an exercise's types (14's journal answers with its entries), both sides'
// serialisers must know them, under the same names; the bridge's own types stay in wire.hpp.
#pragma once

#include "caf/actor_system_config.hpp"

namespace dca::bridge {

/// Announces an exercise's types on a config: `cfg.add_message_type<T>("name")` for each.
using type_announcer = void (*)(caf::actor_system_config& cfg);

/// Adds `announce` to what announce_types (wire.hpp) announces, on both sides: call it before the
/// bridge's first use (the judge: from a static initialiser of its stand-ins; the subject: in main,
/// before subject_main). Adding the same function twice adds it once.
void add_exercise_types(type_announcer announce);

/// Runs every announcer added so far on `cfg` (announce_types calls it).
void announce_exercise_types(caf::actor_system_config& cfg);

} // namespace dca::bridge
