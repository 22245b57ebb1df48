// Stand-ins: the judge-side actors whose every handler is one request to the subject. Their
// start-up spawns the learner's actor there; each message the judge's scheduler gives them is
// delivered there; what the learner's handler sent is sent here, by the stand-in, so the judge's
// scheduler (the spec's, or the explorer's) chooses when each of those messages is handled.
#include "dca/bridge/stand_in.hpp"

#include "caf/actor_cast.hpp"
#include "caf/delegated.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/result.hpp"

#include "subject_link.hpp"

namespace dca::bridge {

namespace {

/// Only the stand-in itself could send this: its behaviour must not be empty, or it would quit.
using stand_in_atom = caf::atom_constant<caf::atom("standin")>;

/// Sends, as `self`, what the learner's handler sent (to stand-ins that still exist).
void send_on(caf::scheduled_actor* self, handler_run& run) {
  for (auto& [to, content] : run.sent)
    if (to)
      to->enqueue(
          caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, std::move(content)),
          self->context());
}

caf::result<caf::message> forward(std::uint64_t id, caf::scheduled_actor* self,
                                  caf::message_view& view) {
  bool request = self->current_message_id().is_request();
  auto run = subject_link::instance().deliver(id, view.move_content_to_message(), request);
  send_on(self, run);
  if (run.quit)
    self->quit();
  if (request && !run.reply.empty())
    return std::move(run.reply.front());
  // No reply (yet): the requester waits, as it would for a learner's actor that does not answer.
  return caf::delegated<caf::message>{};
}

/// The stand-in numbered `number`, once its learner's actor ran its start-up (`run`): sends what
/// that sent, then forwards every message it is given.
caf::behavior stand_in_numbered(caf::event_based_actor* self, std::uint64_t number,
                                handler_run run) {
  send_on(self, run);
  if (run.quit)
    return {};
  self->set_default_handler([number](caf::scheduled_actor* s, caf::message_view& view) {
    return forward(number, s, view);
  });
  return {[](stand_in_atom) {}};
}

void forget_when_gone(caf::abstract_actor& stand_in, std::uint64_t number) {
  stand_in.attach_functor([number] { subject_link::instance().forget_later(number); });
}

} // namespace

caf::actor spawn_stand_in(caf::actor_system& sys, std::string kind, caf::message args) {
  // The learner's spawn function runs now, where the spec calls it (it may do more than spawn);
  // the actor's start-up runs when the judge's scheduler starts the stand-in.
  auto& link = subject_link::instance();
  auto number = link.reserve();
  link.spawn(number, kind, args, false);
  auto handle = sys.spawn([number](caf::event_based_actor* self) {
    return stand_in_numbered(self, number, subject_link::instance().start(number));
  });
  link.enroll(number, handle.address());
  forget_when_gone(*caf::actor_cast<caf::abstract_actor*>(handle), number);
  return handle;
}

caf::behavior become_stand_in(caf::event_based_actor* self, std::string kind, caf::message args) {
  // `self` is already starting: the learner's function and its start-up are one step here.
  auto& link = subject_link::instance();
  auto number = link.reserve();
  link.enroll(number, self->address());
  forget_when_gone(*self, number);
  return stand_in_numbered(self, number, link.spawn(number, kind, args, true));
}

} // namespace dca::bridge
