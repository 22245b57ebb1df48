// The subject's side of the bridge: hosts the learner's actors on CAF's test coordinator, runs
// exactly the one handler each request names, and reports what it sent through relays (blocking
// actors whose mailboxes are read here, never run).
#include "dca/bridge/subject_host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/scoped_actor.hpp"

#include "dca/bridge/wire.hpp"

#include "judge_channel.hpp"

#include "../explore/caf_internals.hpp"

namespace dca::bridge {

namespace {

/// What a request could not do: answered as (refused, WHY).
struct refusal {
  std::string why;
};

struct subject_config : caf::actor_system_config {
  subject_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    announce_types(*this);
  }
};

/// The next message in a relay's mailbox, or null: never waits (dequeue() alone would).
caf::mailbox_element_ptr take(caf::scoped_actor& relay) {
  return relay->mailbox().empty() ? nullptr : relay->dequeue();
}

class subject_host {
public:
  subject_host(const factory_table& factories, const function_table& functions)
      : factories_(factories), functions_(functions), sys_(cfg_),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
        catcher_(std::make_unique<caf::scoped_actor>(sys_, true)) {
    sys_.await_actors_before_shutdown(false);
  }

  caf::actor_system& system() { return sys_; }

  caf::message answer(const caf::message& request) {
    try {
      if (request.match_elements<spawn_atom, std::uint64_t, std::string, caf::message, bool>())
        return spawn(request.get_as<std::uint64_t>(1), request.get_as<std::string>(2),
                     request.get_as<caf::message>(3), request.get_as<bool>(4));
      if (request.match_elements<start_atom, std::uint64_t>())
        return start(request.get_as<std::uint64_t>(1));
      if (request.match_elements<deliver_atom, std::uint64_t, std::vector<caf::message>,
                                 std::uint64_t, std::vector<std::uint64_t>>())
        return deliver(
            request.get_as<std::uint64_t>(1), request.get_as<std::vector<caf::message>>(2),
            request.get_as<std::uint64_t>(3), request.get_as<std::vector<std::uint64_t>>(4));
      if (request.match_elements<respond_atom, std::uint64_t, std::uint64_t, caf::message>())
        return respond(request.get_as<std::uint64_t>(1), request.get_as<std::uint64_t>(2),
                       request.get_as<caf::message>(3));
      if (request.match_elements<timed_out_atom, std::uint64_t>())
        return time_out(request.get_as<std::uint64_t>(1));
      if (request.match_elements<forget_atom, std::vector<std::uint64_t>>())
        return forget(request.get_as<std::vector<std::uint64_t>>(1));
      if (request.match_elements<now_atom, std::int64_t>())
        return set_now(request.get_as<std::int64_t>(1));
      if (request.match_elements<call_atom, std::string, std::vector<char>>())
        return call(request.get_as<std::string>(1), request.get_as<std::vector<char>>(2));
      throw refusal{"a request the subject does not know"};
    } catch (const refusal& r) {
      return caf::make_message(refused_atom::value, r.why);
    }
  }

private:
  caf::message spawn(std::uint64_t id, const std::string& kind, const caf::message& args,
                     bool start_now) {
    auto factory = factories_.find(kind);
    if (factory == factories_.end())
      throw refusal{"no actor of kind \"" + kind + "\""};
    if (hosted_.count(id) != 0)
      throw refusal{"actor " + std::to_string(id) + " exists already"};
    auto actor = factory->second(sys_, to_local(args));
    if (!actor)
      throw refusal{"the arguments of \"" + kind + "\" do not fit its spawn function"};
    hosted_.emplace(id, actor);
    unstarted_.insert(id);
    return start_now ? start(id) : answer_of(ran(id));
  }

  /// Runs one of the learner's pure functions: no actor, no scheduler, nothing sent.
  caf::message call(const std::string& name, const std::vector<char>& args) {
    auto function = functions_.find(name);
    if (function == functions_.end())
      throw refusal{"no function \"" + name + "\""};
    try {
      return caf::make_message(returned_atom::value, function->second(args));
    } catch (const refusal&) {
      throw;
    } catch (const std::exception& e) {
      throw refusal{"the submission's " + name + " threw: " + e.what()};
    } catch (...) {
      throw refusal{"the submission's " + name + " threw something that is not an exception"};
    }
  }

  caf::message start(std::uint64_t id) {
    auto found = hosted_.find(id);
    if (found == hosted_.end() || unstarted_.erase(id) == 0)
      throw refusal{"no actor " + std::to_string(id) + " waiting to start"};
    run_one(found->second);
    return answer_of(ran(id));
  }

  caf::message deliver(std::uint64_t id, const std::vector<caf::message>& contents,
                       std::uint64_t request, const std::vector<std::uint64_t>& senders) {
    auto& actor = hosted(id);
    std::vector<handler_result> results;
    std::size_t answer_bytes = 0;
    for (const auto& content : contents) {
      // The judge numbers its requests; the learner's reply comes back to the catcher with it. A
      // plain message comes from its sender's relay, so that a reply to it goes there (wire.hpp).
      bool requested = request != 0 && results.empty();
      auto mid = requested ? caf::make_message_id(request) : caf::make_message_id();
      auto from = caf::actor_cast<caf::strong_actor_ptr>((*catcher_)->ctrl());
      if (auto k = results.size(); !requested && k < senders.size() && senders[k] != 0)
        from = caf::actor_cast<caf::strong_actor_ptr>(relay(senders[k]));
      actor->enqueue(caf::make_mailbox_element(std::move(from), mid, {}, to_local(content)),
                     nullptr);
      run_one(actor);
      results.push_back(ran(id));
      // Stop where the next message would not come next (a quit, an awaited reply), and well
      // under the frame's limit, so a batch never fails where one message at a time would not.
      answer_bytes += bytes_of(results.back());
      auto* self = scheduled(actor);
      if (results.back().quit || self == nullptr || !dca::explore::detail::awaited(*self).empty() ||
          answer_bytes > frame_bytes_max / 4)
        break;
    }
    return caf::make_message(ran_atom::value, std::move(results));
  }

  std::size_t bytes_of(const handler_result& result) {
    std::vector<char> bytes;
    to_bytes(sys_, caf::make_message(result), bytes);
    return bytes.size();
  }

  static caf::message answer_of(handler_result result) {
    return caf::make_message(ran_atom::value, std::vector<handler_result>{std::move(result)});
  }

  caf::message respond(std::uint64_t id, std::uint64_t request, const caf::message& content) {
    auto found = outgoing_.find(request);
    if (found == outgoing_.end() || found->second.requester != id)
      throw refusal{"actor " + std::to_string(id) + " sent no request " + std::to_string(request)};
    auto& actor = hosted(id);
    auto mid = found->second.mid.response_id();
    outgoing_.erase(found);
    actor->enqueue(caf::make_mailbox_element((*catcher_)->ctrl(), mid, {}, to_local(content)),
                   nullptr);
    run_one(actor);
    return answer_of(ran(id));
  }

  /// The judge's clock fired the receive timeout of actor `id`: CAF runs its behaviour's timeout
  /// handler for the timeout it holds live (its own check; the judge's stand-in made the same).
  caf::message time_out(std::uint64_t id) {
    auto& actor = hosted(id);
    auto* self = scheduled(actor);
    if (unstarted_.count(id) != 0 || self == nullptr)
      throw refusal{"actor " + std::to_string(id) + " has no receive timeout to fire"};
    auto live =
        caf::timeout_msg{caf::receive_atom::value, dca::explore::detail::receive_timeout_id(*self)};
    actor->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, live), nullptr);
    run_one(actor);
    return answer_of(ran(id));
  }

  caf::message forget(const std::vector<std::uint64_t>& ids) {
    std::vector<caf::actor> ending;
    for (auto id : ids) {
      if (auto found = hosted_.find(id); found != hosted_.end()) {
        caf::anon_send_exit(found->second, caf::exit_reason::kill);
        ending.push_back(found->second);
        hosted_.erase(found);
        unstarted_.erase(id);
      }
      relays_.erase(id);
    }
    // Only the ending actors run (their exit): running every job here would also run the start-up
    // of an actor the judge has yet to start (13 spawns invocations before it starts them), and
    // its messages would then be reported as another actor's. What the ending actors send on the
    // way out goes nowhere: their stand-ins are gone.
    for (auto& actor : ending)
      while (sched_.prioritize(actor))
        sched_.run_once();
    for (auto& [to, relay] : relays_)
      while (take(*relay))
        continue;
    while (take(*catcher_))
      continue;
    return answer_of({{}, {}, true});
  }

  /// The judge's clock moved: the subject's reads the same (it never fires anything itself).
  caf::message set_now(std::int64_t ns) {
    sched_.clock().current_time =
        caf::actor_clock::time_point{caf::actor_clock::time_point::duration{ns}};
    return answer_of({{}, {}, false});
  }

  caf::actor& hosted(std::uint64_t id) {
    auto found = hosted_.find(id);
    if (found == hosted_.end())
      throw refusal{"no actor " + std::to_string(id)};
    return found->second;
  }

  /// Runs the one job of `actor` (its start-up or the message just given), if it has one.
  void run_one(const caf::actor& actor) {
    if (sched_.prioritize(actor))
      sched_.run_once();
  }

  /// The receive timeout of actor `id`'s behaviour, in nanoseconds (-1: none).
  std::int64_t receive_timeout_of(std::uint64_t id) {
    auto* self = scheduled(hosted_.at(id));
    if (self == nullptr || unstarted_.count(id) != 0 ||
        self->getf(caf::abstract_actor::is_terminated_flag) || !self->has_behavior())
      return -1;
    auto timeout = self->bhvr_stack().back().timeout();
    if (!timeout.valid())
      return -1;
    // CAF puts a zero timeout's message straight into the mailbox, where the judge cannot see it.
    if (timeout.is_zero())
      throw refusal{"an actor's behaviour has a receive timeout of zero (after(0)), which a "
                    "judged grading does not carry yet: give it a duration above zero"};
    auto due = caf::actor_clock::time_point{};
    due += timeout;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
  }

  /// What one handler of actor `id` did: what it sent, the judge's requests it answered (this
  /// one's, or earlier ones through a response promise), whether it quit, its receive timeout.
  handler_result ran(std::uint64_t id) {
    auto receive_timeout_ns = receive_timeout_of(id);
    // What the actor sent itself goes to its stand-in, which sends it to itself on the judge's
    // side: the judge's scheduler delivers it, as CAF's delivers a self-send in process (07's
    // relay steps so, that a crash can come between its publish and its store).
    std::vector<outbound> sent = sent_to_self(id);
    // Anything else left to run was not delivered by the judge: an actor the submission spawned on
    // its own, which the judge cannot schedule.
    if (!only_start_ups_pending())
      throw refusal{"an actor spawned an actor of its own, or sent itself a request or an urgent "
                    "message, which the judge cannot schedule"};
    for (auto& [to, relay] : relays_)
      while (auto e = take(*relay))
        sent.push_back(outbound_of(to, *e));
    take_delayed(sent);
    std::vector<reply> replies;
    // A response answers the judge's request of that number. Anything else the catcher got is a
    // handler's result for a plain message that came with no sender: dropped, as CAF drops it.
    while (auto e = take(*catcher_))
      if (e->mid.is_response())
        replies.push_back(
            {e->mid.request_id().integer_value(), to_wire(e->move_content_to_message())});
    auto* self = scheduled(hosted_.at(id));
    bool quit = self == nullptr || self->getf(caf::abstract_actor::is_terminated_flag);
    // The subject's clock never fires a receive timeout (the judge's does): it keeps none, so an
    // actor whose stand-in ends leaves nothing on it.
    if (self != nullptr)
      sched_.clock().cancel_ordinary_timeout(self, caf::receive_atom::value);
    return {std::move(sent), std::move(replies), quit, quit ? -1 : receive_timeout_ns};
  }

  /// The plain messages actor `id`'s handler sent itself, taken out of its mailbox in order (the
  /// judge delivers one message at a time), its job run out. Only when nothing else waits there
  /// and it skips nothing (awaiting a response): otherwise all stays, and ran()'s refusal holds.
  std::vector<outbound> sent_to_self(std::uint64_t id) {
    std::vector<outbound> out;
    auto* self = scheduled(hosted_.at(id));
    // A blocked mailbox is empty, and fetching from it would unblock it unseen: the next message
    // the judge delivers would then not schedule the actor.
    if (self == nullptr || unstarted_.count(id) != 0 || self->mailbox().blocked() ||
        self->mailbox().closed())
      return out;
    self->mailbox().fetch_more();
    auto& queue = self->get_normal_queue();
    if (!queue.cache().empty())
      return out;
    bool only_plain_self_sends = true;
    queue.peek_all([&](const caf::mailbox_element& e) {
      only_plain_self_sends =
          only_plain_self_sends && !e.mid.is_request() && e.sender.get() == self->ctrl();
      out.push_back({id, e.copy_content_to_message()});
    });
    if (!only_plain_self_sends || out.empty())
      return {}; // something else waits in it: as before, the judge cannot follow
    queue.clear();
    run_one(hosted_.at(id)); // its mailbox is empty now: it only blocks again
    for (auto& m : out)
      m.content = to_wire(m.content);
    return out;
  }

  /// The message `e` a learner's actor sent to the actor the judge calls `to`. A request is
  /// numbered, and carries its timeout and whether its sender awaits it, for the stand-in to make
  /// the same request on the judge's side.
  outbound outbound_of(std::uint64_t to, caf::mailbox_element& e) {
    outbound out{to, to_wire(e.move_content_to_message())};
    if (!e.mid.is_request())
      return out;
    auto requester = requester_of(e.sender);
    auto response = e.mid.response_id();
    out.request = ++outgoing_count_;
    outgoing_.emplace(out.request, outgoing_request{requester.first, e.mid});
    out.timeout_ms = timeout_ms_of(*requester.second, response);
    out.awaited = awaits(*requester.second, response);
    return out;
  }

  /// Moves the messages the handler put on the subject's clock (delayed_send, to itself or to an
  /// actor the judge knows) into `sent`, each with its delay: the judge's clock delivers them. The
  /// subject's clock never fires, so they are taken off it.
  void take_delayed(std::vector<outbound>& sent) {
    using caf::detail::simple_actor_clock;
    auto& clock = sched_.clock();
    // CAF gives the schedule read-only; a delayed message has no lookup entry to keep in step.
    auto& schedule = const_cast<simple_actor_clock::schedule_map&>(clock.schedule());
    for (auto i = schedule.begin(); i != schedule.end();) {
      if (i->second->subtype != simple_actor_clock::actor_msg_type) {
        ++i;
        continue;
      }
      auto& delayed = static_cast<simple_actor_clock::actor_msg&>(*i->second);
      auto to = caf::actor_cast<caf::actor>(delayed.receiver);
      auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(i->first - clock.now());
      outbound out{to ? id_of(to) : 0, to_wire(delayed.content->move_content_to_message())};
      out.delay_ms = std::max<std::int64_t>(0, delay.count());
      if (out.to != 0)
        sent.push_back(std::move(out));
      i = schedule.erase(i);
    }
  }

  std::pair<std::uint64_t, caf::scheduled_actor*> requester_of(const caf::strong_actor_ptr& x) {
    for (auto& [id, actor] : hosted_)
      if (x && actor.address() == x->address())
        if (auto* self = scheduled(actor))
          return {id, self};
    throw refusal{"a request came from an actor the judge does not know (one the submission "
                  "spawned?)"};
  }

  /// The request timeout the learner's code set for `response` (-1: none), read off the
  /// subject's clock, which never runs: only the judge's clock decides when it fires.
  std::int64_t timeout_ms_of(caf::scheduled_actor& requester, caf::message_id response) {
    using caf::detail::simple_actor_clock;
    auto& clock = sched_.clock();
    for (auto& [due, event] : clock.schedule()) {
      if (event->subtype != simple_actor_clock::request_timeout_type)
        continue;
      auto& timeout = static_cast<const simple_actor_clock::request_timeout&>(*event);
      if (timeout.self && timeout.self->id() == requester.id() &&
          timeout.id.integer_value() == response.integer_value()) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - clock.now()).count();
        // The judge's clock fires it now: taken off the subject's, which would keep every
        // request's timeout forever (11's replicas make thousands) and scan them all each time.
        clock.cancel_request_timeout(&requester, response);
        return ms;
      }
    }
    return -1;
  }

  static bool awaits(const caf::scheduled_actor& requester, caf::message_id response) {
    for (auto& [id, handler] : dca::explore::detail::awaited(requester))
      if (id.integer_value() == response.integer_value())
        return true;
    return false;
  }

  static caf::scheduled_actor* scheduled(const caf::actor& actor) {
    return dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(actor));
  }

  /// Whether every job the scheduler holds is the start-up of an actor the judge has yet to start.
  bool only_start_ups_pending() {
    for (auto* job : sched_.jobs) {
      auto* actor = dynamic_cast<caf::abstract_actor*>(job);
      bool waiting = false;
      for (auto id : unstarted_)
        waiting = waiting || caf::actor_cast<caf::abstract_actor*>(hosted_.at(id)) == actor;
      if (!waiting)
        return false;
    }
    return true;
  }

  caf::actor relay(std::uint64_t id) {
    auto& r = relays_[id];
    if (!r)
      r = std::make_unique<caf::scoped_actor>(sys_, true);
    return caf::actor_cast<caf::actor>(*r);
  }

  /// `msg` with each actor_ref replaced by the relay of that actor.
  caf::message to_local(const caf::message& msg) {
    return replace_elements<actor_ref>(msg, [this](const actor_ref& x) { return relay(x.id); });
  }

  /// `msg` with each relay replaced by the actor_ref it stands for; other actors cannot cross.
  caf::message to_wire(const caf::message& msg) {
    return replace_elements<caf::actor>(
        msg, [this](const caf::actor& x) { return actor_ref{id_of(x)}; });
  }

  std::uint64_t id_of(const caf::actor& x) {
    for (auto& [id, relay] : relays_)
      if (caf::actor_cast<caf::actor>(*relay) == x)
        return id;
    for (auto& [id, actor] : hosted_)
      if (actor == x) {
        relay(id);
        return id;
      }
    throw refusal{"a message holds an actor the judge does not know (one the submission spawned?)"};
  }

  const factory_table& factories_;
  const function_table& functions_;
  subject_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::unique_ptr<caf::scoped_actor> catcher_;
  std::map<std::uint64_t, caf::actor> hosted_;
  std::set<std::uint64_t> unstarted_; // spawned, start-up not yet run
  std::map<std::uint64_t, std::unique_ptr<caf::scoped_actor>> relays_;
  /// A request a learner's actor sent, by the subject's number for it: who sent it, and its id.
  struct outgoing_request {
    std::uint64_t requester = 0;
    caf::message_id mid;
  };
  std::map<std::uint64_t, outgoing_request> outgoing_; // awaiting their response from the judge
  std::uint64_t outgoing_count_ = 0;
};

/// The judge's socket and the system that serialises for it, while serve() runs: ask_judge's.
struct judge_socket {
  int fd = -1;
  caf::actor_system* sys = nullptr;
};
judge_socket serving;

int serve(int fd, subject_host& host) {
  serving = {fd, &host.system()};
  std::vector<char> bytes;
  for (;;) {
    auto got = read_frame(fd, -1, bytes, request_bytes_max);
    if (got == frame_status::closed)
      return 0;
    if (got != frame_status::ok)
      return 2;
    caf::message request;
    if (auto err = from_bytes(host.system(), bytes, request))
      return 2;
    if (auto err = to_bytes(host.system(), host.answer(request), bytes))
      to_bytes(host.system(),
               caf::make_message(refused_atom::value,
                                 "an actor sent a value of a type that is not announced"),
               bytes);
    if (!write_frame(fd, bytes))
      return 0;
  }
}

} // namespace

caf::message ask_judge(const caf::message& request) {
  if (serving.fd < 0)
    throw std::logic_error{"a request to the judge outside an exchange with it"};
  std::vector<char> bytes;
  if (to_bytes(*serving.sys, request, bytes))
    throw std::logic_error{"a request to the judge the bridge cannot serialise"};
  if (!write_frame(serving.fd, bytes) || read_frame(serving.fd, -1, bytes) != frame_status::ok)
    std::_Exit(0); // the judge has gone: nobody is left to answer, nor to tell
  caf::message answer;
  if (from_bytes(*serving.sys, bytes, answer))
    throw std::logic_error{"the judge's answer to a request does not deserialise"};
  return answer;
}

int subject_main(int argc, char** argv, const factory_table& factories,
                 const function_table& functions) {
  if (argc != 3 || std::strcmp(argv[1], "--serve-fd") != 0) {
    std::fprintf(stderr,
                 "usage: %s --serve-fd N (the judge starts this program; do not run it "
                 "by hand)\n",
                 argv[0]);
    return 64;
  }
  subject_host host{factories, functions};
  return serve(std::atoi(argv[2]), host);
}

} // namespace dca::bridge
