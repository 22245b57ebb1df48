// The subject's side of the bridge: hosts the learner's actors on CAF's test coordinator, runs
// exactly the one handler each request names, and reports what it sent through relays (blocking
// actors whose mailboxes are read here, never run).
#include "dca/bridge/subject_host.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/scoped_actor.hpp"

#include "dca/bridge/wire.hpp"

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
  explicit subject_host(const factory_table& factories)
      : factories_(factories), sys_(cfg_),
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
      if (request.match_elements<deliver_atom, std::uint64_t, caf::message, bool>())
        return deliver(request.get_as<std::uint64_t>(1), request.get_as<caf::message>(2),
                       request.get_as<bool>(3));
      if (request.match_elements<forget_atom, std::vector<std::uint64_t>>())
        return forget(request.get_as<std::vector<std::uint64_t>>(1));
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
    return start_now ? start(id) : ran(id, nullptr);
  }

  caf::message start(std::uint64_t id) {
    auto found = hosted_.find(id);
    if (found == hosted_.end() || unstarted_.erase(id) == 0)
      throw refusal{"no actor " + std::to_string(id) + " waiting to start"};
    if (sched_.prioritize(found->second))
      sched_.run_once();
    return ran(id, nullptr);
  }

  caf::message deliver(std::uint64_t id, const caf::message& content, bool request) {
    auto found = hosted_.find(id);
    if (found == hosted_.end())
      throw refusal{"no actor " + std::to_string(id)};
    auto mid = request ? caf::make_message_id(++requests_) : caf::make_message_id();
    auto element = caf::make_mailbox_element((*catcher_)->ctrl(), mid, {}, to_local(content));
    found->second->enqueue(std::move(element), nullptr);
    if (sched_.prioritize(found->second))
      sched_.run_once();
    return ran(id, request ? &mid : nullptr);
  }

  caf::message forget(const std::vector<std::uint64_t>& ids) {
    for (auto id : ids) {
      if (auto found = hosted_.find(id); found != hosted_.end()) {
        caf::anon_send_exit(found->second, caf::exit_reason::kill);
        hosted_.erase(found);
        unstarted_.erase(id);
      }
      relays_.erase(id);
    }
    sched_.run();
    return caf::make_message(ran_atom::value, std::vector<outbound>{}, std::vector<caf::message>{},
                             true);
  }

  /// The answer after one handler of actor `id`: what it sent, its reply to `request` (if any).
  caf::message ran(std::uint64_t id, const caf::message_id* request) {
    // Anything left to run was not delivered by the judge: a message the actor sent itself, or an
    // actor the submission spawned on its own. The judge cannot schedule either.
    if (!only_start_ups_pending())
      throw refusal{"an actor sent a message to itself or spawned an actor of its own, which the "
                    "judge cannot schedule"};
    std::vector<outbound> sent;
    for (auto& [to, relay] : relays_)
      while (auto e = take(*relay)) {
        if (e->mid.is_request())
          throw refusal{"an actor sent a request to another actor; the judge bridges requests "
                        "from the spec only"};
        sent.push_back({to, to_wire(e->move_content_to_message())});
      }
    std::vector<caf::message> reply;
    while (auto e = take(*catcher_))
      if (request != nullptr && e->mid.is_response() &&
          e->mid.request_id().integer_value() == request->request_id().integer_value())
        reply.push_back(to_wire(e->move_content_to_message()));
    auto& actor = hosted_.at(id);
    auto* self = dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(actor));
    bool quit = self == nullptr || self->getf(caf::abstract_actor::is_terminated_flag);
    return caf::make_message(ran_atom::value, std::move(sent), std::move(reply), quit);
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
  subject_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::unique_ptr<caf::scoped_actor> catcher_;
  std::map<std::uint64_t, caf::actor> hosted_;
  std::set<std::uint64_t> unstarted_; // spawned, start-up not yet run
  std::map<std::uint64_t, std::unique_ptr<caf::scoped_actor>> relays_;
  std::uint64_t requests_ = 0;
};

int serve(int fd, subject_host& host) {
  std::vector<char> bytes;
  for (;;) {
    auto got = read_frame(fd, -1, bytes);
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

int subject_main(int argc, char** argv, const factory_table& factories) {
  if (argc != 3 || std::strcmp(argv[1], "--serve-fd") != 0) {
    std::fprintf(stderr,
                 "usage: %s --serve-fd N (the judge starts this program; do not run it "
                 "by hand)\n",
                 argv[0]);
    return 64;
  }
  subject_host host{factories};
  return serve(std::atoi(argv[2]), host);
}

} // namespace dca::bridge
