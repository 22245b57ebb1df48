// Exercise 06's values that cross the bridge inside messages: the price entity's state, which the
// judge's entity host answers a learner's reader with. Announced on both sides (stand_ins.cpp,
// subject.cpp), under the same name.
#pragma once

#include "scenario.hpp"

#include "dca/bridge/exercise_types.hpp"

namespace cache_aside {

inline void announce_judged_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<price_state>("ex06_price_state");
}

} // namespace cache_aside
