// Sharing an actor of the judge's with the subject: a number for it among the stand-ins' numbers,
// so that the subject's relay for that number leads back to it.
#include "dca/bridge/judge_actor.hpp"

#include "caf/abstract_actor.hpp"
#include "caf/actor_cast.hpp"

#include "dca/assert.hpp"

#include "subject_link.hpp"

namespace dca::bridge {

void share_with_subject(const caf::actor& actor) {
  DCA_ASSERT(actor);
  auto number = subject_link::instance().enroll_once(actor.address());
  if (number == 0)
    return; // shared already
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor(
      [number] { subject_link::instance().forget_later(number); });
}

} // namespace dca::bridge
