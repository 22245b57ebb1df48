// Exercise 10's types on the bridge: what the learner's profile service and the judge's profile
// host say to each other (an address change, its sender stamp, the ack, a profile). Announced on
// both ends.
#pragma once

#include "caf/actor_system_config.hpp"

#include "dca/es/activity.hpp"
#include "dca/es/idempotency_keys.hpp"
#include "scenario.hpp"

namespace reordered_messages {

inline void announce_wire_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<profile::command>("reordered_messages_command");
  cfg.add_message_type<profile_state>("reordered_messages_profile_state");
  cfg.add_message_type<dca::es::ack>("dca_es_ack");
  cfg.add_message_type<dca::es::sender_stamp>("dca_es_sender_stamp");
}

} // namespace reordered_messages
