// Stand-ins: the judge-side actors whose every handler is one request to the subject. Their
// start-up spawns the learner's actor there; each message the judge's scheduler gives them is
// delivered there; what the learner's handler sent is sent here, by the stand-in, so the judge's
// scheduler (the spec's, or the explorer's) chooses when each of those messages is handled.
#include "dca/bridge/stand_in.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/after.hpp"
#include "caf/delegated.hpp"
#include "caf/detail/behavior_impl.hpp"
#include "caf/duration.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/result.hpp"
#include "caf/system_messages.hpp"

#include "dca/assert.hpp"

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

/// Handler runs the subject did ahead, for messages still in the stand-in's mailbox: each is
/// settled when the judge's scheduler gives the stand-in that message, not before.
using runs_ahead = std::deque<std::pair<const caf::mailbox_element*, handler_run>>;

/// What a stand-in keeps between its handlers: its number, the runs done ahead, and the receive
/// timeout its behaviour has (the learner's actor's, as the subject said last; negative: none).
struct stand_in_state {
  explicit stand_in_state(std::uint64_t n) : number(n) {}
  std::uint64_t number;
  runs_ahead ahead;
  std::int64_t receive_timeout_ns = -1;
};

using state_ptr = std::shared_ptr<stand_in_state>;

void settle(caf::event_based_actor* self, const state_ptr& state, handler_run& run);

/// Makes, as `self`, the request the learner's actor made: same timeout, awaited or multiplexed
/// alike, so the judge's scheduler sees the same waiting; the response goes back to the subject.
void request_on(caf::event_based_actor* self, const state_ptr& state, sent_message& m) {
  auto timeout = m.timeout_ms < 0 ? caf::duration{caf::infinite}
                                  : caf::duration{std::chrono::milliseconds(m.timeout_ms)};
  auto id = self->request(m.to, timeout, std::move(m.content)).id();
  caf::behavior::impl_ptr pass_on =
      caf::make_counted<any_response>([self, state, request = m.request](caf::message content) {
        subject_link::instance().clock_reads(self->clock().now());
        auto run = subject_link::instance().respond(state->number, request, content);
        settle(self, state, run);
      });
  caf::behavior on_response(std::move(pass_on));
  if (m.awaited)
    self->add_awaited_response_handler(id, std::move(on_response));
  else
    self->add_multiplexed_response_handler(id, std::move(on_response));
}

/// The stand-in's behaviour: it handles nothing itself (its default handler forwards), but has the
/// receive timeout its learner's actor has, so that the judge's CAF arms, resets and fires it as
/// the learner's would in one process; when it fires, the learner's timeout handler runs.
caf::behavior behaviour_of(caf::event_based_actor* self, const state_ptr& state) {
  if (state->receive_timeout_ns < 0)
    return {[](stand_in_atom) {}};
  return {[](stand_in_atom) {},
          caf::after(std::chrono::nanoseconds(state->receive_timeout_ns)) >>
              [self, state] {
                auto& link = subject_link::instance();
                // Runs ahead were for messages already waiting, which CAF hands over first.
                if (!state->ahead.empty())
                  link.subject_failed("fail", "the judge's stand-in fired a receive timeout before "
                                              "messages its learner's actor had handled");
                link.clock_reads(self->clock().now());
                auto run = link.time_out(state->number);
                settle(self, state, run);
              }};
}

/// Does on the judge's side what the learner's handler did: sends what it sent (to stand-ins
/// that still exist), makes its requests, answers the judge's requests it answered, quits if it
/// quit, takes its behaviour's receive timeout if that changed.
void settle(caf::event_based_actor* self, const state_ptr& state, handler_run& run) {
  for (auto& m : run.sent) {
    if (m.request != 0) {
      request_on(self, state, m);
      continue;
    }
    if (!m.to)
      continue;
    auto e =
        caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, std::move(m.content));
    // A delayed message goes on the judge's clock, which the judge's scheduler fires (the
    // spec's virtual time, the explorer's timeouts), as CAF's own delayed_send does.
    if (m.delay_ms >= 0)
      self->clock().schedule_message(self->clock().now() + std::chrono::milliseconds(m.delay_ms),
                                     caf::actor_cast<caf::strong_actor_ptr>(m.to), std::move(e));
    else
      m.to->enqueue(std::move(e), self->context());
  }
  for (auto& [request, content] : run.replies) {
    auto promise = subject_link::instance().take_promise(request);
    if (!promise)
      subject_link::instance().subject_failed("fail", "the submission's actors answered request " +
                                                          std::to_string(request) + " twice");
    promise->deliver(std::move(content));
  }
  if (run.quit) {
    self->quit();
    return;
  }
  if (run.receive_timeout_ns != state->receive_timeout_ns) {
    state->receive_timeout_ns = run.receive_timeout_ns;
    self->become(behaviour_of(self, state));
  }
}

/// Messages a stand-in hands the subject in one frame at the most: its first and those waiting
/// behind it (a round trip per message is the bridge's cost).
constexpr std::size_t batch_messages_max = 64;

/// Whether CAF gives `e` to the stand-in's default handler in its turn: a plain message of normal
/// priority that no system handler (exit, down, error, timeout) takes first.
bool plain(const caf::mailbox_element& e) {
  if (e.mid.is_request() || e.mid.is_response() || e.mid.is_urgent_message())
    return false;
  const auto& xs = e.content();
  return !(xs.match_elements<caf::exit_msg>() || xs.match_elements<caf::down_msg>() ||
           xs.match_elements<caf::error>() || xs.match_elements<caf::timeout_msg>());
}

/// The plain messages waiting behind the current one, in the order CAF will hand them over.
std::vector<const caf::mailbox_element*> waiting_behind(caf::event_based_actor* self) {
  std::vector<const caf::mailbox_element*> out;
  bool stop = false;
  self->get_normal_queue().peek_all([&](const caf::mailbox_element& e) {
    stop = stop || !plain(e) || out.size() + 1 >= batch_messages_max;
    if (!stop)
      out.push_back(&e);
  });
  return out;
}

caf::result<caf::message> forward(const state_ptr& state, caf::event_based_actor* self,
                                  caf::message_view& view) {
  auto& link = subject_link::instance();
  auto& ahead = state->ahead;
  auto number = state->number;
  const auto* current = self->current_mailbox_element();
  if (!ahead.empty()) {
    if (ahead.front().first != current)
      link.subject_failed("fail", "the judge's stand-in got a message out of the order its "
                                  "learner's actor ran them in (a high-priority message?)");
    auto run = std::move(ahead.front().second);
    ahead.pop_front();
    settle(self, state, run);
    return caf::delegated<caf::message>{};
  }
  link.clock_reads(self->clock().now());
  std::uint64_t request = 0;
  // A request is answered through a promise: the learner's actor may answer it in this handler
  // or a later one (its own response promise).
  if (self->current_message_id().is_request())
    request = link.keep_promise(number, self->make_response_promise());
  std::vector<caf::message> contents{view.move_content_to_message()};
  // Each plain message's sender, for what the learner's handler returns to it (deliver_atom).
  std::vector<caf::strong_actor_ptr> senders{request != 0 ? nullptr : current->sender};
  auto behind = waiting_behind(self);
  for (const auto* e : behind) {
    contents.push_back(e->copy_content_to_message());
    senders.push_back(e->sender);
  }
  auto runs = link.deliver(number, std::move(contents), request, senders);
  for (std::size_t k = 1; k < runs.size(); ++k)
    ahead.emplace_back(behind[k - 1], std::move(runs[k]));
  settle(self, state, runs.front());
  return caf::delegated<caf::message>{};
}

/// The stand-in numbered `number`, once its learner's actor ran its start-up (`run`): does what
/// that did, then forwards every message it is given. It holds its spawn arguments (`held`) while
/// it lives: the judge's own actors among them live at least as long as the learner's actor that
/// was given them, as they would in one process.
caf::behavior stand_in_numbered(caf::event_based_actor* self, std::uint64_t number, handler_run run,
                                caf::message held, std::shared_ptr<const void> lent = nullptr) {
  auto state = std::make_shared<stand_in_state>(number);
  // Its start-up's behaviour, returned here, arms its receive timeout, as the learner's did.
  state->receive_timeout_ns = run.receive_timeout_ns;
  settle(self, state, run);
  if (run.quit)
    return {};
  self->set_default_handler(
      [self, state, held = std::move(held), lent = std::move(lent)](
          caf::scheduled_actor*, caf::message_view& view) { return forward(state, self, view); });
  return behaviour_of(self, state);
}

void forget_when_gone(caf::abstract_actor& stand_in, std::uint64_t number) {
  stand_in.attach_functor([number] { subject_link::instance().forget_later(number); });
}

/// Spawns the stand-in `number`, whose learner's actor the subject has made; it holds `held`.
caf::actor spawn_numbered(caf::actor_system& sys, std::uint64_t number, caf::message held,
                          std::shared_ptr<const void> lent = nullptr) {
  auto handle = sys.spawn(
      [number, held = std::move(held), lent = std::move(lent)](caf::event_based_actor* self) {
        subject_link::instance().clock_reads(self->clock().now());
        return stand_in_numbered(self, number, subject_link::instance().start(number), held, lent);
      });
  subject_link::instance().enroll(number, handle.address());
  forget_when_gone(*caf::actor_cast<caf::abstract_actor*>(handle), number);
  return handle;
}

} // namespace

caf::actor spawn_stand_in(caf::actor_system& sys, std::string kind, caf::message args) {
  return spawn_stand_in(sys, std::move(kind), std::move(args), nullptr);
}

caf::actor spawn_stand_in(caf::actor_system& sys, std::string kind, caf::message args,
                          std::shared_ptr<const void> lent) {
  // The learner's spawn function runs now, where the spec calls it (it may do more than spawn);
  // the actor's start-up runs when the judge's scheduler starts the stand-in.
  auto& link = subject_link::instance();
  auto number = link.reserve();
  link.clock_reads(sys.clock().now());
  link.spawn(number, kind, args, false);
  return spawn_numbered(sys, number, std::move(args), std::move(lent));
}

caf::actor spawn_stand_in_making(caf::actor_system& sys, std::string kind,
                                 const std::function<caf::actor()>& make) {
  auto& link = subject_link::instance();
  auto made_number = link.reserve();
  auto number = link.reserve();
  link.clock_reads(sys.clock().now());
  link.spawn(number, kind, caf::make_message(actor_ref{made_number}), false);
  auto made = make();
  DCA_ASSERT(made);
  link.enroll(made_number, made.address());
  forget_when_gone(*caf::actor_cast<caf::abstract_actor*>(made), made_number);
  return spawn_numbered(sys, number, caf::make_message(std::move(made)));
}

caf::behavior become_stand_in(caf::event_based_actor* self, std::string kind, caf::message args) {
  // `self` is already starting: the learner's function and its start-up are one step here.
  auto& link = subject_link::instance();
  auto number = link.reserve();
  link.enroll(number, self->address());
  forget_when_gone(*self, number);
  link.clock_reads(self->clock().now());
  auto run = link.spawn(number, kind, args, true);
  return stand_in_numbered(self, number, std::move(run), std::move(args));
}

} // namespace dca::bridge
