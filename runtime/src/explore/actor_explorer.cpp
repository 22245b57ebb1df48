// The actor schedule explorer. Every execution builds a fresh actor system on CAF's test
// coordinator, whose job queue holds the actors that have something to do; the explorer picks one,
// runs exactly one step of it, and repeats until nothing is left, then fires virtual-time timeouts,
// detects actors waiting on each other, and finally lets the scenario check its invariant.
#include "dca/explore/actor_explorer.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"
#include "caf/spawn_options.hpp"
#include "caf/system_messages.hpp"

#include "caf_internals.hpp"
#include "search.hpp"

namespace dca::explore {

using detail::awaited;
using detail::clock_event;
using detail::configure;
using detail::fetched_messages;
using detail::next_message;
using detail::same;
using detail::started;
using detail::terminated;
using detail::waits_for;

// -- actor_world::impl: the machinery under one execution -----------------------------------------

struct actor_world::impl {
  enum class phase { starting, running, checking };

  struct actor_entry {
    caf::strong_actor_ptr handle;
    std::string name;
  };

  /// One edge of the wait-for graph: `waiter` awaits a reply from `from` (-1: unknown).
  struct wait_edge {
    int waiter;
    int from;
  };

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  detail::start_unit unit;
  std::uint64_t quiet_steps_max;
  phase now = phase::starting;
  std::vector<actor_entry> actors; // in the order they were first scheduled
  std::unordered_map<caf::actor_id, int> index_of;
  // Who received each request: (requester, response id) -> receiver, for the wait-for graph.
  std::map<std::pair<caf::actor_id, std::uint64_t>, int> receiver_of;
  // The faults still allowed on the link into each lossy actor (actor_world::lossy).
  std::unordered_map<caf::actor_id, link_faults> lossy_links;
  bool between_nodes = false; // actor_world::between_nodes

  explicit impl(std::uint64_t steps_max)
      : sys(configure(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())), unit(sys, sched),
        quiet_steps_max(steps_max) {
    DCA_ASSERT(quiet_steps_max > 0);
    detail::start_clock(sched);
    // An actor left waiting forever must not block the system's destructor.
    sys.await_actors_before_shutdown(false);
  }

  ~impl() { shut_down(); }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  // -- identity -----------------------------------------------------------------------------------

  static caf::scheduled_actor& as_actor(caf::resumable* job) {
    auto* x = dynamic_cast<caf::scheduled_actor*>(job);
    if (x == nullptr)
      throw std::logic_error("the test coordinator holds a job that is not an event-based actor");
    return *x;
  }

  caf::scheduled_actor& actor(int index) {
    return dynamic_cast<caf::scheduled_actor&>(
        *caf::actor_cast<caf::abstract_actor*>(actors[static_cast<std::size_t>(index)].handle));
  }

  int index(const caf::abstract_actor& x) {
    auto i = index_of.find(x.id());
    if (i != index_of.end())
      return i->second;
    auto n = static_cast<int>(actors.size());
    index_of.emplace(x.id(), n);
    actors.push_back({caf::strong_actor_ptr{x.ctrl()}, "actor#" + std::to_string(n)});
    return n;
  }

  /// Gives every actor in the job queue an index, in queue order: new actors join it when spawned.
  void sync() {
    for (auto* job : sched.jobs)
      index(as_actor(job));
  }

  std::string name_of(const caf::strong_actor_ptr& x) const {
    if (!x)
      return "outside";
    auto i = index_of.find(x->id());
    return i != index_of.end() ? actors[static_cast<std::size_t>(i->second)].name : "outside";
  }

  /// A message for the trace table, short enough for its column: its elements as caf::to_string
  /// renders them, separated by spaces, with atoms unquoted ("write 1") and actors by name.
  std::string render(const caf::type_erased_tuple& content) const {
    std::string result;
    for (std::size_t i = 0; i < content.size(); ++i) {
      result += i == 0 ? "" : " ";
      if (content.match_element<caf::atom_value>(i))
        result += caf::to_string(content.get_as<caf::atom_value>(i));
      else if (content.match_element<caf::actor>(i))
        result += name_of(caf::actor_cast<caf::strong_actor_ptr>(content.get_as<caf::actor>(i)));
      else if (content.match_element<caf::strong_actor_ptr>(i))
        result += name_of(content.get_as<caf::strong_actor_ptr>(i));
      else
        result += content.stringify(i);
    }
    return result;
  }

  /// What the actor `who` handles, for the trace: "write 1 from producer1", "reply 0 from counter".
  std::string handled_text(const caf::mailbox_element& msg, int who) const {
    if (msg.content().match_elements<caf::timeout_msg>())
      return "receive timeout";
    if (!msg.mid.is_response())
      return render(msg.content()) + (msg.sender ? " from " + name_of(msg.sender) : "");
    // The clock delivers a request timeout as an error reply the actor sends itself.
    auto i = msg.sender ? index_of.find(msg.sender->id()) : index_of.end();
    if (i != index_of.end() && i->second == who)
      return "request timed out";
    return "reply " + render(msg.content()) + " from " + name_of(msg.sender);
  }

  /// census_of every actor, by index: read before and after a step to see where it delivered.
  std::vector<detail::mailbox_census> mailboxes() {
    std::vector<detail::mailbox_census> result;
    for (int i = 0; i < static_cast<int>(actors.size()); ++i)
      result.push_back(detail::census_of(actor(i)));
    return result;
  }

  /// What waits in each actor's mailbox, as the trace shows it: in the order a resume visits the
  /// messages (urgent, ordinary, then those skipped while awaiting a reply). Read like census_of,
  /// only from mailboxes that are neither blocked nor closed.
  std::vector<std::vector<std::string>> mailbox_texts() {
    std::vector<std::vector<std::string>> result(actors.size());
    for (int i = 0; i < static_cast<int>(actors.size()); ++i) {
      auto& x = actor(i);
      if (terminated(x) || x.mailbox().closed() || x.mailbox().blocked())
        continue;
      x.mailbox().peek(); // moves new arrivals into the queues
      for (const auto* m : fetched_messages(x, true))
        result[static_cast<std::size_t>(i)].push_back(handled_text(*m, i));
    }
    return result;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (auto& x : actors)
      result.push_back(x.name);
    return result;
  }

  // -- steps --------------------------------------------------------------------------------------

  /// The actors with something to do, as indices, in the coordinator's FIFO order.
  std::vector<int> enabled() {
    std::vector<int> result;
    for (auto* job : sched.jobs)
      result.push_back(index(as_actor(job)));
    return result;
  }

  void to_front(caf::scheduled_actor& x) {
    auto i = std::find(sched.jobs.begin(), sched.jobs.end(), static_cast<caf::resumable*>(&x));
    if (i == sched.jobs.end())
      throw std::logic_error("the chosen actor has no pending job");
    std::rotate(sched.jobs.begin(), i, i + 1);
  }

  /// Runs the actor `who`: its start-up if it has not started, otherwise exactly one message.
  void step(int who, std::vector<explore::step>* trace) {
    auto& x = actor(who);
    to_front(x);
    if (!started(x)) {
      if (trace != nullptr)
        trace->push_back({who, "start", "", "", {}, {}});
      start_up(x);
      return;
    }
    auto* msg = next_message(x);
    if (msg == nullptr)
      throw std::logic_error("the chosen actor has no message to handle");
    if (msg->mid.is_request() && msg->sender)
      receiver_of[{msg->sender->id(), msg->mid.response_id().integer_value()}] = who;
    if (trace != nullptr)
      trace->push_back({who, "handle", handled_text(*msg, who), "", {}, {}});
    sched.run_once(); // CAF resumes with a throughput of 1: one handled message
  }

  // -- faults on lossy links ----------------------------------------------------------------------

  /// The message `who` handles next when a fault on its link may hit it (it came from another
  /// actor, and the link's budget is not spent), with the budget; nulls otherwise.
  std::pair<const caf::mailbox_element*, link_faults*> faultable(int who) {
    auto& x = actor(who);
    auto link = lossy_links.find(x.id());
    if (link == lossy_links.end() || !started(x))
      return {nullptr, nullptr};
    auto* msg = next_message(x);
    if (msg == nullptr || !msg->sender || msg->sender->id() == x.id())
      return {nullptr, nullptr};
    return {msg, &link->second};
  }

  /// The faults the explorer may choose now, after the steps of `enabled`: for each actor on a
  /// lossy link, losing its next message, then delivering it twice.
  std::vector<int> fault_choices(const std::vector<int>& enabled) {
    std::vector<int> result;
    for (int who : enabled) {
      auto [msg, budget] = faultable(who);
      if (msg != nullptr && budget->drops_max > 0)
        result.push_back(drop_choice(who));
      if (msg != nullptr && budget->duplicates_max > 0)
        result.push_back(duplicate_choice(who));
    }
    return result;
  }

  /// Carries out the fault `choice` on the next message of its actor.
  void fault(int choice, std::vector<explore::step>* trace) {
    auto who = target_of_choice(choice);
    auto [msg, budget] = faultable(who);
    DCA_ASSERT_MSG(msg != nullptr, "a fault is chosen only where one may happen");
    bool drop = kind_of_choice(choice) == choice_kind::drop;
    if (trace != nullptr)
      trace->push_back({who, drop ? "lose" : "duplicate", handled_text(*msg, who), "", {}, {}});
    if (drop) {
      --budget->drops_max;
      detail::lose(*msg);
    } else {
      --budget->duplicates_max;
      detail::deliver_twice(actor(who), *msg);
    }
  }

  /// Runs only the function `x` was spawned with, so that its first message is a step of its own.
  void start_up(caf::scheduled_actor& x) {
    DCA_ASSERT(sched.jobs.front() == static_cast<caf::resumable*>(&x));
    sched.jobs.pop_front();
    if (detail::start_up(x, unit))
      sched.jobs.push_front(&x);
    else
      caf::intrusive_ptr_release(static_cast<caf::resumable*>(&x)); // done during start-up
  }

  /// Runs the resumes that handle nothing: an awaiting actor skipping what it is not waiting for,
  /// an actor dropping late replies, a started actor with an empty mailbox. They change nothing a
  /// scenario can see, so they are no steps and no choices.
  void settle() {
    for (std::size_t runs = 0; runs <= quiet_steps_max; ++runs) {
      auto idle = std::find_if(sched.jobs.begin(), sched.jobs.end(), [](caf::resumable* job) {
        auto& x = as_actor(job);
        return started(x) && next_message(x) == nullptr;
      });
      if (idle == sched.jobs.end())
        return;
      std::rotate(sched.jobs.begin(), idle, idle + 1);
      sched.run_once();
    }
    throw std::logic_error("actors kept waking up without handling anything");
  }

  // -- quiescence ---------------------------------------------------------------------------------

  /// Who each awaiting actor waits for: the receiver of the request it awaits.
  std::vector<wait_edge> waits() {
    std::vector<wait_edge> result;
    for (int i = 0; i < static_cast<int>(actors.size()); ++i) {
      auto& x = actor(i);
      if (terminated(x) || awaited(x).empty())
        continue;
      auto id = awaited(x).front().first;
      auto known = receiver_of.find({x.id(), id.integer_value()});
      int from = known != receiver_of.end() ? known->second : -1;
      for (int j = 0; j < static_cast<int>(actors.size()) && from < 0; ++j) {
        auto& y = actor(j);
        if (y.mailbox().closed())
          continue;
        for (auto* m : fetched_messages(y, true))
          if (same(m->mid.response_id(), id) && m->sender && m->sender->id() == x.id())
            from = j;
      }
      result.push_back({i, from});
    }
    return result;
  }

  /// "alice and bob", "alice, bob and carol": the waiters of `es`.
  std::string list(const std::vector<wait_edge>& es) const {
    std::string result;
    for (std::size_t i = 0; i < es.size(); ++i) {
      result += i == 0 ? "" : i + 1 == es.size() ? " and " : ", ";
      result += actors[static_cast<std::size_t>(es[i].waiter)].name;
    }
    return result;
  }

  std::string wait_text(const wait_edge& e) const {
    auto& waiter = actors[static_cast<std::size_t>(e.waiter)].name;
    if (e.from < 0)
      return waiter + " waits for a reply that never comes";
    return waiter + " waits for a reply from " + actors[static_cast<std::size_t>(e.from)].name;
  }

  /// The earliest pending timeout: the actor it wakes, whether that actor still waits for it (a
  /// reply can come first, a newer receive timeout can replace an older one), and what it is.
  struct timeout_info {
    caf::scheduled_actor* target = nullptr;
    bool live = true;
    std::string what = "timeout";
  };

  timeout_info next_timeout() const {
    auto ev = detail::earliest_clock_event(sched);
    timeout_info result;
    result.target = ev.target;
    switch (ev.what) {
    case clock_event::kind::request_timeout: {
      result.live = ev.target != nullptr && waits_for(*ev.target, ev.request);
      auto from = ev.target ? receiver_of.find({ev.target->id(), ev.request.integer_value()})
                            : receiver_of.end();
      result.what = from == receiver_of.end()
                        ? "no reply"
                        : "no reply from " + actors[static_cast<std::size_t>(from->second)].name;
      break;
    }
    case clock_event::kind::receive_timeout:
      result.live =
          ev.target != nullptr && ev.target->is_active_receive_timeout(ev.receive_timeout);
      result.what = "receive timeout";
      break;
    case clock_event::kind::delayed_message:
      result.what = "delayed " + render(ev.content->content());
      break;
    case clock_event::kind::other:
      break;
    }
    return result;
  }

  /// Fires the earliest pending timeout. Returns the actor it wakes, with what timed out in
  /// `what`, or nullopt when the timeout was stale: then it changes nothing a scenario can see,
  /// and is no step.
  std::optional<int> fire_next_timeout(std::string& what) {
    auto info = next_timeout();
    sched.trigger_timeout();
    auto* woken = info.target;
    if (woken == nullptr || (!info.live && !started(*woken)))
      return std::nullopt;
    if (!info.live) {
      // A stale receive timeout is an ordinary message: let its actor swallow it, unrecorded.
      // (A stale request timeout is a late reply, which `settle` lets its actor drop.)
      if (std::find(sched.jobs.begin(), sched.jobs.end(), static_cast<caf::resumable*>(woken)) !=
          sched.jobs.end()) {
        to_front(*woken);
        sched.run_once();
      }
      return std::nullopt;
    }
    what = info.what;
    return index(*woken);
  }

  // -- checking and shutting down -----------------------------------------------------------------

  /// Runs every job in FIFO order until none is left (no timeouts fire): used by `ask`.
  void run_until_quiet() {
    for (std::uint64_t n = 0; sched.has_job(); ++n) {
      if (n >= quiet_steps_max)
        throw std::runtime_error("ask: the actors did not go quiet within " +
                                 std::to_string(quiet_steps_max) + " messages");
      sched.run_once();
    }
  }

  /// Ends every actor directly, without running it: an actor that awaits a reply would skip an
  /// exit message, and one that never started would first run its start-up. Then runs what the
  /// endings sent (to actors outside the registry, if any), within bounds: nothing may hang.
  void shut_down() noexcept {
    for (int i = 0; i < static_cast<int>(actors.size()); ++i) {
      auto& x = actor(i);
      if (terminated(x))
        continue;
      detail::end_now(x, unit);
      auto job = std::find(sched.jobs.begin(), sched.jobs.end(), static_cast<caf::resumable*>(&x));
      if (job != sched.jobs.end()) {
        sched.jobs.erase(job);
        caf::intrusive_ptr_release(static_cast<caf::resumable*>(&x));
      }
    }
    for (std::uint64_t n = 0; n < quiet_steps_max && sched.has_job(); ++n)
      sched.run_once();
    for (auto* job : sched.jobs)
      caf::intrusive_ptr_release(job);
    sched.jobs.clear();
    actors.clear();
  }
};

// -- actor_world ----------------------------------------------------------------------------------

actor_world::actor_world(std::uint64_t quiet_steps_max)
    : impl_(std::make_unique<impl>(quiet_steps_max)) {
  // nop
}

actor_world::~actor_world() = default;

caf::actor_system& actor_world::system() noexcept {
  return impl_->sys;
}

void actor_world::name(const caf::actor& whom, std::string name) {
  auto* x = dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(whom));
  if (x == nullptr)
    throw std::invalid_argument("actor_world::name: only event-based actors can be explored");
  impl_->sync(); // actors spawned before `whom` get their indices first
  impl_->actors[static_cast<std::size_t>(impl_->index(*x))].name = std::move(name);
}

void actor_world::lossy(const caf::actor& whom, link_faults faults) {
  if (!whom)
    throw std::invalid_argument("actor_world::lossy: no actor");
  DCA_ASSERT(faults.drops_max >= 0 && faults.duplicates_max >= 0);
  impl_->lossy_links[whom->id()] = faults;
}

void actor_world::between_nodes() noexcept {
  impl_->between_nodes = true;
}

void actor_world::ask_impl(const caf::actor& whom, caf::message question, caf::behavior on_reply) {
  auto& w = *impl_;
  if (w.now != impl::phase::checking)
    throw std::logic_error("actor_world::ask is for check(): in start(), send messages instead");
  auto asker = system().spawn<caf::hidden>([&](caf::event_based_actor* self) {
    auto handle = self->request(whom, caf::infinite, std::move(question));
    self->add_multiplexed_response_handler(handle.id(), std::move(on_reply));
  });
  w.run_until_quiet();
  caf::anon_send_exit(asker, caf::exit_reason::kill); // no-op when the reply came
  w.run_until_quiet();
}

// -- the runner ---------------------------------------------------------------------------------

namespace detail {

/// Runs executions for the search: one schedule of one fresh actor world each.
class actor_runner final : public runner {
public:
  actor_runner(const std::function<actor_execution()>& make, const options& opts)
      : make_(make), opts_(opts) {}

  const char* unit_name() const noexcept override { return "actor"; }

  run_result run(const chooser& choose, bool traced) override {
    actor_world world{opts_.steps_max};
    auto& w = *world.impl_;
    run_result r;
    r.traced = traced;
    try {
      auto exec = make_();
      if (exec.start)
        exec.start(world);
      w.now = actor_world::impl::phase::running;
      while (advance(world, exec, choose, r)) {
        // one step, timeout or verdict per turn
      }
    } catch (const detail::stop_run& stop) {
      r.stopped = stop.why; // the search asked to end the schedule here: no verdict
    } catch (const std::exception& e) {
      r.result = outcome::crashed;
      r.verdict = e.what();
    }
    r.actors = w.names();
    r.between_nodes = w.between_nodes || !w.lossy_links.empty();
    return r;
  }

private:
  using impl = actor_world::impl;
  using wait_edge = impl::wait_edge;

  /// Runs what comes next: a step of an actor with work, else a timeout, else the verdict (a
  /// deadlock, actors stuck waiting, or the scenario's check). False once the run is over.
  bool advance(actor_world& world, actor_execution& exec, const chooser& choose, run_result& r) {
    auto& w = *world.impl_;
    auto* trace = r.traced ? &r.trace : nullptr;
    w.sync();
    w.settle();
    if (w.sched.has_job()) {
      if (out_of_steps(r))
        return false;
      step_or_fault(w, choose, r);
      return true;
    }
    auto waits = w.waits();
    if (auto cycle = find_cycle(waits); !cycle.empty()) {
      r.result = outcome::deadlock;
      r.verdict = "deadlock: " + w.list(cycle) +
                  " await replies from each other, and an actor that awaits a reply handles "
                  "nothing else";
      for (auto& e : cycle)
        r.cycle.push_back(w.wait_text(e));
      return false;
    }
    if (w.sched.has_pending_timeout()) {
      if (w.next_timeout().live && out_of_steps(r))
        return false;
      // The choice is forced; going through `take` lets a replay check it like any other.
      std::string what;
      if (auto woken = w.fire_next_timeout(what)) {
        // Traced once chosen: a turn of dca play that stops here leaves the timeout to choose.
        take(choose, {*woken}, r);
        r.decisions.back().touched = {{&lifecycle_, access_kind::quiescent}};
        if (trace != nullptr) {
          trace->push_back({*woken, "timeout", what, "", {}, {}});
          w.sync();
          trace->back().mailboxes = w.mailbox_texts();
        }
      }
      return true;
    }
    if (!waits.empty()) {
      r.result = outcome::deadlock;
      r.verdict = "stuck: " + w.wait_text(waits.front()) + ", which never comes";
      for (auto& e : waits)
        r.cycle.push_back(w.wait_text(e));
      return false;
    }
    check(world, exec, r);
    return false;
  }

  /// Lets `choose` pick among the actors with work and the faults open now (actor_world::lossy),
  /// and runs what it picked.
  void step_or_fault(impl& w, const chooser& choose, run_result& r) {
    auto* trace = r.traced ? &r.trace : nullptr;
    auto before = w.mailboxes();
    auto enabled = w.enabled();
    // DPOR's reduction takes a choice that is enabled to stay so until it is taken, which a fault
    // (gone once its message is handled) breaks: faults are choices of the other searches.
    auto faults = opts_.search != strategy::dpor || opts_.replay ? w.fault_choices(enabled)
                                                                 : std::vector<int>{};
    enabled.insert(enabled.end(), faults.begin(), faults.end());
    auto who = take(choose, std::move(enabled), r);
    if (kind_of_choice(who) != choice_kind::step) {
      w.fault(who, trace);
      // A fault changes only what its actor finds in its mailbox.
      r.decisions.back().touched = {{mailbox_of(target_of_choice(who)), access_kind::write},
                                    {&lifecycle_, access_kind::read}};
    } else {
      w.step(who, trace);
      r.decisions.back().touched = footprint_of(w, who, before);
    }
    if (trace != nullptr)
      trace->back().mailboxes = w.mailbox_texts(); // footprint_of indexed new actors
  }

  /// What the step of `who` touched, for partial-order reduction, given the mailboxes before it.
  /// Two deliveries to one mailbox are dependent: their order is the order they are handled in.
  /// A delivery behind a message its receiver already has commutes with the receiver handling
  /// that message (CAF's mailboxes are FIFO), unless it jumps the queue (a high-priority message)
  /// or the receiver skips messages (then what it handles depends on what arrived); a delivery
  /// that wakes its receiver is dependent with what the receiver does, and so is a spawn.
  /// Every step reads the actors' lifecycle, which a timeout writes: it waits for them all.
  /// A message to a stopped actor is dropped unseen; that is what stopping does to one that
  /// arrived just before, so stopping needs no dependency of its own.
  footprint footprint_of(impl& w, int who, const std::vector<detail::mailbox_census>& before) {
    w.sync(); // actors spawned by the step get their indices
    auto after = w.mailboxes();
    auto self = static_cast<std::size_t>(who);
    bool skips = before[self].skipped > 0 || after[self].skipped > 0;
    footprint f{{mailbox_of(who),
                 skips || after[self].from_itself > 0 ? access_kind::write : access_kind::handle}};
    for (std::size_t i = 0; i < after.size(); ++i) {
      if (i == self)
        continue;
      auto kind = delivery_kind(i < before.size() ? &before[i] : nullptr, after[i]);
      if (kind)
        f.push_back({mailbox_of(static_cast<int>(i)), *kind});
    }
    f.push_back({&lifecycle_, access_kind::read});
    return f;
  }

  /// How a step delivered to a mailbox it found as `before` (null: the actor is new, spawned by
  /// the step) and left as `after`; nullopt when it did not.
  static std::optional<access_kind> delivery_kind(const detail::mailbox_census* before,
                                                  const detail::mailbox_census& after) {
    if (before == nullptr || (!before->open && after.open))
      return access_kind::write;
    if (!before->open)
      return std::nullopt;
    if (after.urgent > before->urgent)
      return access_kind::write;
    if (after.normal > before->normal)
      return access_kind::deliver;
    return std::nullopt;
  }

  /// The object standing for the mailbox of actor `index`: the same in every execution, as the
  /// actor's index is.
  const void* mailbox_of(int index) {
    while (mailboxes_.size() <= static_cast<std::size_t>(index))
      mailboxes_.push_back(0);
    return &mailboxes_[static_cast<std::size_t>(index)];
  }

  /// Asks `choose` among `enabled` (FIFO order: handling the first is no preemption).
  static int take(const chooser& choose, std::vector<int> enabled, run_result& r) {
    DCA_ASSERT(!enabled.empty());
    decision now;
    now.preferred = enabled.front();
    now.enabled = std::move(enabled);
    if (!r.decisions.empty())
      now.touched_before = r.decisions.back().touched;
    now.chosen = choose(r.decisions.size(), now);
    r.decisions.push_back(now);
    return now.chosen;
  }

  bool out_of_steps(run_result& r) const {
    if (r.decisions.size() < opts_.steps_max)
      return false;
    r.result = outcome::step_limit;
    r.verdict = "the actors were still busy after " + std::to_string(opts_.steps_max) +
                " steps: a livelock, or a bound too low";
    return true;
  }

  static void check(actor_world& world, actor_execution& exec, run_result& r) {
    world.impl_->now = impl::phase::checking;
    if (!exec.check)
      return;
    if (auto broken = exec.check(world)) {
      r.result = outcome::invariant_broken;
      r.verdict = *broken;
    }
  }

  /// The first cycle in the wait-for graph, in which every waiter waits for one actor.
  static std::vector<wait_edge> find_cycle(const std::vector<wait_edge>& es) {
    std::map<int, int> next;
    for (auto& e : es)
      next.emplace(e.waiter, e.from);
    for (auto& e : es) {
      // Walk at most |es| edges from e.waiter; coming back to it closes a cycle.
      std::vector<wait_edge> path;
      for (int at = e.waiter; path.size() < es.size();) {
        auto i = next.find(at);
        if (i == next.end() || i->second < 0)
          break;
        path.push_back({at, i->second});
        at = i->second;
        if (at == e.waiter)
          return path;
      }
    }
    return {};
  }

  const std::function<actor_execution()>& make_;
  const options& opts_;
  std::deque<char> mailboxes_; // a deque: growing it moves none, so their addresses stay
  char lifecycle_ = 0;
};

} // namespace detail

report explore_actors(const std::function<actor_execution()>& make, const options& opts) {
  DCA_ASSERT(static_cast<bool>(make));
  detail::actor_runner runner{make, opts};
  return detail::search(runner, opts);
}

} // namespace dca::explore
