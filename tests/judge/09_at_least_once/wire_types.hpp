// Exercise 09's types on the bridge: what the learner's payment service and the judge's ledger
// host say to each other (a charge command, the ack, the ledger's state). Announced on both ends.
#pragma once

#include "caf/actor_system_config.hpp"

#include "dca/es/idempotency_keys.hpp"
#include "scenario.hpp"

namespace at_least_once {

inline void announce_wire_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<payment_ledger::command>("at_least_once_command");
  cfg.add_message_type<ledger_state>("at_least_once_ledger_state");
  cfg.add_message_type<dca::es::ack>("dca_es_ack");
}

} // namespace at_least_once
