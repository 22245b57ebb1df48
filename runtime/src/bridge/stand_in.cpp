// Stand-ins: the judge-side actors whose every handler is one request to the subject. Their
// start-up spawns the learner's actor there; each message the judge's scheduler gives them is
// delivered there; what the learner's handler sent is sent here, by the stand-in, so the judge's
// scheduler (the spec's, or the explorer's) chooses when each of those messages is handled.
#include "dca/bridge/stand_in.hpp"

#include <chrono>
#include <functional>

#include "caf/actor_cast.hpp"
#include "caf/delegated.hpp"
#include "caf/detail/behavior_impl.hpp"
#include "caf/duration.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/result.hpp"

#include "subject_link.hpp"

namespace dca::bridge {

namespace {

/// Only the stand-in itself could send this: its behaviour must not be empty, or it would quit.
using stand_in_atom = caf::atom_constant<caf::atom("standin")>;

/// A response handler that takes whatever comes (a reply of any type, or an error such as the
/// request's timeout) and passes it on: the stand-in does not know the learner's reply types.
class any_response : public caf::detail::behavior_impl {
public:
  explicit any_response(std::function<void(caf::message)> pass_on) : pass_on_(std::move(pass_on)) {}

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& visit,
                                 caf::type_erased_tuple& xs) override {
    pass_on_(caf::message::copy(xs));
    visit();
    return caf::match_case::match;
  }

private:
  std::function<void(caf::message)> pass_on_;
};

void settle(caf::event_based_actor* self, std::uint64_t number, handler_run& run);

/// Makes, as `self`, the request the learner's actor made: same timeout, awaited or multiplexed
/// alike, so the judge's scheduler sees the same waiting; the response goes back to the subject.
void request_on(caf::event_based_actor* self, std::uint64_t number, sent_message& m) {
  auto timeout = m.timeout_ms < 0 ? caf::duration{caf::infinite}
                                  : caf::duration{std::chrono::milliseconds(m.timeout_ms)};
  auto id = self->request(m.to, timeout, std::move(m.content)).id();
  caf::behavior::impl_ptr pass_on =
      caf::make_counted<any_response>([self, number, request = m.request](caf::message content) {
        auto run = subject_link::instance().respond(number, request, content);
        settle(self, number, run);
      });
  caf::behavior on_response(std::move(pass_on));
  if (m.awaited)
    self->add_awaited_response_handler(id, std::move(on_response));
  else
    self->add_multiplexed_response_handler(id, std::move(on_response));
}

/// Does on the judge's side what the learner's handler did: sends what it sent (to stand-ins
/// that still exist), makes its requests, answers the judge's requests it answered, quits if it
/// quit.
void settle(caf::event_based_actor* self, std::uint64_t number, handler_run& run) {
  for (auto& m : run.sent) {
    if (m.request != 0)
      request_on(self, number, m);
    else if (m.to)
      m.to->enqueue(
          caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, std::move(m.content)),
          self->context());
  }
  for (auto& [request, content] : run.replies) {
    auto promise = subject_link::instance().take_promise(request);
    if (!promise)
      subject_link::instance().subject_failed("fail", "the submission's actors answered request " +
                                                          std::to_string(request) + " twice");
    promise->deliver(std::move(content));
  }
  if (run.quit)
    self->quit();
}

caf::result<caf::message> forward(std::uint64_t number, caf::event_based_actor* self,
                                  caf::message_view& view) {
  auto& link = subject_link::instance();
  std::uint64_t request = 0;
  // A request is answered through a promise: the learner's actor may answer it in this handler
  // or a later one (its own response promise).
  if (self->current_message_id().is_request())
    request = link.keep_promise(number, self->make_response_promise());
  auto run = link.deliver(number, view.move_content_to_message(), request);
  settle(self, number, run);
  return caf::delegated<caf::message>{};
}

/// The stand-in numbered `number`, once its learner's actor ran its start-up (`run`): does what
/// that did, then forwards every message it is given.
caf::behavior stand_in_numbered(caf::event_based_actor* self, std::uint64_t number,
                                handler_run run) {
  settle(self, number, run);
  if (run.quit)
    return {};
  self->set_default_handler([self, number](caf::scheduled_actor*, caf::message_view& view) {
    return forward(number, self, view);
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
