// Exercise 13's values that cross the bridge inside messages: the command the learner's invocation
// sends the judge's entity host, the host's ack and state in reply, and the answer it sends its
// caller. Announced on both sides (stand_ins.cpp, subject.cpp), under the same names.
#pragma once

#include "scenario.hpp"

#include "dca/bridge/exercise_types.hpp"
#include "dca/es/idempotency_keys.hpp"

namespace serverless_state {

inline void announce_judged_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<event_seats::command>("ex13_event_seats_command");
  cfg.add_message_type<event_state>("ex13_event_state");
  cfg.add_message_type<answer>("ex13_answer");
  cfg.add_message_type<dca::es::ack>("dca_es_ack");
}

} // namespace serverless_state
