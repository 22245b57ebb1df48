// The judge's stand-in for one learner actor: an actor in the judge's own actor system (the spec's
// deterministic scheduler, the explorer's world) that holds no learner code. When the judge's
// scheduler delivers it a message, it asks the subject process to run the learner's handler for
// exactly that message, then sends on the judge's side the messages the handler sent and replies
// with its reply. So every message between learner actors, and to or from the spec, is scheduled
// by the judge, and the spec judges only what the learner's actors said.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/behavior.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/message.hpp"

namespace dca::bridge {

/// Spawns in `sys` the stand-in for a learner actor that the subject makes as `kind` from `args`
/// (actors in `args` are stand-ins, or the judge's own actors, which the stand-in keeps alive
/// while it lives and whose messages from the learner's actor it sends them). The subject program
/// is the one named by the environment variable DCA_SUBJECT, started on first use; a subject that
/// misbehaves (dies, hangs, says something malformed) ends the judge with one line, "dca judge
/// (KIND): WHAT", naming the verdict (timeout, crash, fail) and what the subject did, and status 4.
caf::actor spawn_stand_in(caf::actor_system& sys, std::string kind, caf::message args);

/// As spawn_stand_in, with something the judge lends the learner's actor for its lifetime (a
/// journal's service_offer, journal_relay.hpp, whose service_ref is among `args`): the stand-in
/// holds `lent` as long as it lives, so the service is withdrawn when it ends.
caf::actor spawn_stand_in(caf::actor_system& sys, std::string kind, caf::message args,
                          std::shared_ptr<const void> lent);

/// As spawn_stand_in, for a learner's spawn function that asks for an actor the judge makes once
/// the function has run (09's and 10's entity host, with the options the function chose: see
/// entity_host_relay.hpp). The function's one argument is that actor, numbered now; `make` makes
/// it after the function ran and before the stand-in is spawned, as in one process, and the
/// stand-in holds it as it holds its spawn arguments.
caf::actor spawn_stand_in_making(caf::actor_system& sys, std::string kind,
                                 const std::function<caf::actor()>& make);

/// Makes `self` (an actor the spec spawned with an exercise's own function) the stand-in for a
/// learner actor of `kind`, made from `args`; returns its behaviour.
caf::behavior become_stand_in(caf::event_based_actor* self, std::string kind, caf::message args);

/// Exit status of a judge whose subject misbehaved.
constexpr int subject_failed_status = 4;

} // namespace dca::bridge
