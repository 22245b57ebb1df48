// An actor of the judge's that the learner's code talks to. Where a learner's spawn function
// makes a collaborator that the judge must own (exercises 09 and 10: the entity host, its journal
// and its state), the judge reserves a number, passes it to the subject as an actor_ref (a relay
// there), and enrolls its own actor under that number once made: whatever the learner's actors
// send the relay comes back to the judge and is delivered when the judge's scheduler chooses.
#pragma once

#include <cstdint>

#include "caf/actor.hpp"

namespace dca::bridge {

/// A number for an actor of the judge's not made yet: pass actor_ref{number} (wire.hpp) in a
/// stand-in's spawn arguments, and enroll the actor before any message to it can be delivered.
std::uint64_t reserve_judge_actor();

/// `actor` (the judge's own) is the one numbered `number`: what the learner's actors send to
/// that number goes to it; the subject forgets its relay when the actor ends.
void enroll_judge_actor(std::uint64_t number, const caf::actor& actor);

} // namespace dca::bridge
