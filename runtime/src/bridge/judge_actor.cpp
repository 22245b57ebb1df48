// The judge's own actors on the subject's link: numbered like stand-ins, enrolled alike.
#include "dca/bridge/judge_actor.hpp"

#include "caf/abstract_actor.hpp"
#include "caf/actor_cast.hpp"

#include "subject_link.hpp"

namespace dca::bridge {

std::uint64_t reserve_judge_actor() {
  return subject_link::instance().reserve();
}

void enroll_judge_actor(std::uint64_t number, const caf::actor& actor) {
  subject_link::instance().enroll(number, actor.address());
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor(
      [number] { subject_link::instance().forget_later(number); });
}

} // namespace dca::bridge
