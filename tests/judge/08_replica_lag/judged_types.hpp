// Exercise 08's values that cross the bridge inside messages: the rename the learner's session
// sends the judge's entity host and the host's ack, a view's row, and what a session saw. Announced
// on both sides (stand_ins.cpp, subject.cpp), under the same names.
#pragma once

#include "scenario.hpp"

#include "dca/bridge/exercise_types.hpp"
#include "dca/es/idempotency_keys.hpp"

namespace replica_lag {

inline void announce_judged_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<profile_entity::command>("ex08_profile_command");
  cfg.add_message_type<dca::es::ack>("dca_es_ack");
  cfg.add_message_type<view_row>("ex08_view_row");
  cfg.add_message_type<std::vector<observation>>("ex08_observations");
}

} // namespace replica_lag
