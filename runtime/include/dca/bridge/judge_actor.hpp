// An actor of the judge's own that the learner's actors may talk to: an instructor's actor the
// exercise's harness spawned (14's journal and lease table), not a stand-in. The learner's actors
// get a relay for it like for any actor the judge names; whatever they send or request there
// comes back to the judge, and their stand-in sends it (or makes the request) on the judge's
// side, so the judge's scheduler delivers it and the judge's actor answers with the judge's state.
#pragma once

#include "caf/actor.hpp"

namespace dca::bridge {

/// Lets `actor`, an actor of the judge's (not a stand-in), appear in a stand-in's spawn arguments
/// and in the messages the judge hands the subject: it crosses as the judge's number for it.
/// Sharing an actor twice is sharing it once; the number goes when the actor ends.
void share_with_subject(const caf::actor& actor);

} // namespace dca::bridge
