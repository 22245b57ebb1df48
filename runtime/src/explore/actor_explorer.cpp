// The actor schedule explorer. Every execution builds a fresh actor system on CAF's test
// coordinator, whose job queue holds the actors that have something to do; the explorer picks one,
// runs exactly one step of it, and repeats until nothing is left, then fires virtual-time timeouts,
// detects actors waiting on each other, and finally lets the scenario check its invariant.
#include "dca/explore/actor_explorer.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/detail/test_actor_clock.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/execution_unit.hpp"
#include "caf/exit_reason.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/send.hpp"
#include "caf/spawn_options.hpp"
#include "caf/system_messages.hpp"

namespace dca::explore {

namespace {

using caf::detail::simple_actor_clock;

// CAF 0.17 keeps the responses an actor waits for in protected members. The explorer reads them,
// never writes them: to predict which message a waiting actor handles next, and to say who waits
// for whom. (Naming them through a derived class is what makes the member pointers accessible.)
struct response_tables : caf::scheduled_actor {
  using caf::scheduled_actor::awaited_responses_;
  using caf::scheduled_actor::multiplexed_responses_;
};

const auto& awaited(const caf::scheduled_actor& x) {
  return x.*(&response_tables::awaited_responses_);
}

const auto& multiplexed(const caf::scheduled_actor& x) {
  return x.*(&response_tables::multiplexed_responses_);
}

/// Message IDs compared by value (CAF's operator== subtracts them as signed integers).
bool same(caf::message_id x, caf::message_id y) {
  return x.integer_value() == y.integer_value();
}

bool started(const caf::scheduled_actor& x) {
  return x.getf(caf::abstract_actor::is_initialized_flag);
}

bool terminated(const caf::scheduled_actor& x) {
  return x.getf(caf::abstract_actor::is_terminated_flag);
}

/// Whether `x` still has a handler for the response `id`: a reply or timeout for it matters.
bool waits_for(const caf::scheduled_actor& x, caf::message_id id) {
  const auto& aw = awaited(x);
  auto in_awaited =
      std::any_of(aw.begin(), aw.end(), [id](auto& kvp) { return same(kvp.first, id); });
  const auto& mx = multiplexed(x);
  return in_awaited || mx.find(id) != mx.end();
}

/// The messages in the mailbox of `x` that the actor has already fetched, in the order a resume
/// visits them (high-priority before ordinary ones), then those it skipped while awaiting a reply.
std::vector<const caf::mailbox_element*> fetched_messages(caf::scheduled_actor& x,
                                                          bool with_skipped) {
  std::vector<const caf::mailbox_element*> result;
  auto add = [&result](const caf::mailbox_element& m) { result.push_back(&m); };
  x.get_urgent_queue().peek_all(add);
  x.get_normal_queue().peek_all(add);
  if (with_skipped) {
    x.get_urgent_queue().cache().peek_all(add);
    x.get_normal_queue().cache().peek_all(add);
  }
  return result;
}

/// The message the next resume of `x` handles: the awaited response if `x` awaits one, otherwise
/// the first message that is not a late response (those are dropped on the way). Nullptr when the
/// next resume handles nothing. Precondition: `x` is in the job queue (its mailbox is not blocked).
const caf::mailbox_element* next_message(caf::scheduled_actor& x) {
  if (x.mailbox().closed() || x.mailbox().blocked())
    return nullptr;
  x.mailbox().peek(); // moves new arrivals into the queues
  const auto& aw = awaited(x);
  for (auto* m : fetched_messages(x, false)) {
    if (!aw.empty()) {
      if (same(m->mid, aw.front().first))
        return m;
    } else if (!m->mid.is_response() || waits_for(x, m->mid)) {
      return m;
    }
  }
  return nullptr;
}

/// Raised when a schedule being followed names an actor that has nothing to do at that step.
class schedule_mismatch : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Runs start-ups on the test coordinator: actors woken up meanwhile join its job queue, as they do
/// under the coordinator's own (private) worker.
class start_unit : public caf::execution_unit {
public:
  start_unit(caf::actor_system& sys, caf::scheduler::test_coordinator& sched)
      : caf::execution_unit(&sys), sched_(sched) {
    // nop
  }

  void exec_later(caf::resumable* job) override { sched_.jobs.push_back(job); }

private:
  caf::scheduler::test_coordinator& sched_;
};

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  return cfg;
}

} // namespace

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
  start_unit unit;
  std::uint64_t quiet_steps_max;
  phase now = phase::starting;
  std::vector<actor_entry> actors; // in the order they were first scheduled
  std::unordered_map<caf::actor_id, int> index_of;
  // Who received each request: (requester, response id) -> receiver, for the wait-for graph.
  std::map<std::pair<caf::actor_id, std::uint64_t>, int> receiver_of;

  explicit impl(std::uint64_t steps_max)
      : sys(configure(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())), unit(sys, sched),
        quiet_steps_max(steps_max) {
    // Virtual time starts at an hour, as in CAF's own test fixture: some code treats 0 as unset.
    sched.clock().current_time += std::chrono::hours(1);
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
        trace->push_back({who, "start", "", "", {}});
      start_up(x);
      return;
    }
    auto* msg = next_message(x);
    if (msg == nullptr)
      throw std::logic_error("the chosen actor has no message to handle");
    if (msg->mid.is_request() && msg->sender)
      receiver_of[{msg->sender->id(), msg->mid.response_id().integer_value()}] = who;
    if (trace != nullptr)
      trace->push_back({who, "handle", handled_text(*msg, who), "", {}});
    sched.run_once(); // CAF resumes with a throughput of 1: one handled message
  }

  /// Runs only the function `x` was spawned with, so that its first message is a step of its own.
  void start_up(caf::scheduled_actor& x) {
    sched.jobs.pop_front();
    if (x.activate(&unit))
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
    auto& ev = *sched.clock().schedule().begin()->second;
    auto actor_of = [](const caf::strong_actor_ptr& x) {
      return dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(x));
    };
    timeout_info result;
    switch (ev.subtype) {
    case simple_actor_clock::request_timeout_type: {
      auto& x = static_cast<const simple_actor_clock::request_timeout&>(ev);
      result.target = actor_of(x.self);
      result.live = result.target != nullptr && waits_for(*result.target, x.id);
      auto from = result.target ? receiver_of.find({result.target->id(), x.id.integer_value()})
                                : receiver_of.end();
      result.what = from == receiver_of.end()
                        ? "no reply"
                        : "no reply from " + actors[static_cast<std::size_t>(from->second)].name;
      break;
    }
    case simple_actor_clock::ordinary_timeout_type: {
      auto& x = static_cast<const simple_actor_clock::ordinary_timeout&>(ev);
      result.target = actor_of(x.self);
      result.live = result.target != nullptr && result.target->is_active_receive_timeout(x.id);
      result.what = "receive timeout";
      break;
    }
    case simple_actor_clock::actor_msg_type: {
      auto& x = static_cast<const simple_actor_clock::actor_msg&>(ev);
      result.target = actor_of(x.receiver);
      result.what = "delayed " + render(x.content->content());
      break;
    }
    default:
      break;
    }
    return result;
  }

  /// Fires the earliest pending timeout. Returns the actor it wakes, or nullopt when the timeout
  /// was stale: then it changes nothing a scenario can see, and is no step.
  std::optional<int> fire_next_timeout(std::vector<explore::step>* trace) {
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
    auto who = index(*woken);
    if (trace != nullptr)
      trace->push_back({who, "timeout", info.what, "", {}});
    return who;
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
      x.context(&unit);
      x.quit(caf::exit_reason::kill);
      x.finalize();
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

// -- the search -----------------------------------------------------------------------------------

namespace detail {

/// Runs executions: one schedule of one fresh actor world each.
class actor_run {
public:
  /// Chooses, at step `n`, a position in `enabled` (actor indices in FIFO order).
  using picker = std::function<std::size_t(const std::vector<int>& enabled, std::size_t n)>;

  struct result {
    outcome verdict_kind = outcome::clean;
    std::string verdict;
    std::vector<std::string> cycle;
    std::vector<std::string> actors;
    std::vector<step> trace;
    std::vector<int> choices;              // the chosen actor of each step
    std::vector<std::vector<int>> enabled; // who could have run at each step
    std::vector<std::size_t> positions;    // the choice's position in `enabled`
  };

  static result run(const std::function<actor_execution()>& make, const picker& pick,
                    std::uint64_t max_steps, bool record) {
    actor_world world{max_steps};
    auto& w = *world.impl_;
    result r;
    auto* trace = record ? &r.trace : nullptr;
    auto take = [&](std::vector<int> enabled) {
      auto pos = pick(enabled, r.choices.size());
      r.choices.push_back(enabled.at(pos));
      r.positions.push_back(pos);
      r.enabled.push_back(std::move(enabled));
      return r.choices.back();
    };
    try {
      auto exec = make();
      if (exec.start)
        exec.start(world);
      w.now = actor_world::impl::phase::running;
      for (;;) {
        w.sync();
        w.settle();
        auto out_of_steps = [&] {
          if (r.choices.size() < max_steps)
            return false;
          r.verdict_kind = outcome::step_limit;
          r.verdict = "the actors were still busy after " + std::to_string(max_steps) +
                      " steps: a livelock, or a bound too low";
          return true;
        };
        if (w.sched.has_job()) {
          if (out_of_steps())
            break;
          w.step(take(w.enabled()), trace);
          continue;
        }
        auto waits = w.waits();
        if (auto cycle = find_cycle(waits); !cycle.empty()) {
          r.verdict_kind = outcome::deadlock;
          r.verdict = "deadlock: " + w.list(cycle) +
                      " await replies from each other, and an actor that awaits a reply "
                      "handles nothing else";
          for (auto& e : cycle)
            r.cycle.push_back(w.wait_text(e));
          break;
        }
        if (w.sched.has_pending_timeout()) {
          if (w.next_timeout().live && out_of_steps())
            break;
          // The choice is forced; going through `take` lets a replay check it like any other.
          if (auto woken = w.fire_next_timeout(trace))
            take({*woken});
          continue;
        }
        if (!waits.empty()) {
          r.verdict_kind = outcome::deadlock;
          r.verdict = "stuck: " + w.wait_text(waits.front()) + ", which never comes";
          for (auto& e : waits)
            r.cycle.push_back(w.wait_text(e));
          break;
        }
        w.now = actor_world::impl::phase::checking;
        if (exec.check) {
          if (auto broken = exec.check(world)) {
            r.verdict_kind = outcome::invariant_broken;
            r.verdict = *broken;
          }
        }
        break;
      }
    } catch (const std::exception& e) {
      r.verdict_kind = outcome::crashed;
      r.verdict = e.what();
    }
    r.actors = w.names();
    return r;
  }

private:
  /// The first cycle in the wait-for graph, in which every waiter waits for one actor.
  using wait_edge = actor_world::impl::wait_edge;
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
};

} // namespace detail

namespace {

using detail::actor_run;

/// Follows `choices` step by step, then the coordinator's FIFO order. A choice of an actor with
/// nothing to do raises `schedule_mismatch`, explained by `why` ("the schedule does not match").
actor_run::picker follow(const std::vector<int>& choices, std::string why) {
  return [&choices, why](const std::vector<int>& enabled, std::size_t n) -> std::size_t {
    if (n >= choices.size())
      return 0;
    auto i = std::find(enabled.begin(), enabled.end(), choices[n]);
    if (i == enabled.end())
      throw schedule_mismatch(why + ": at step " + std::to_string(n + 1) + ", actor " +
                              std::to_string(choices[n]) + " has nothing to do");
    return static_cast<std::size_t>(i - enabled.begin());
  };
}

const char* const replay_mismatch = "the schedule does not match this scenario";
const char* const not_deterministic =
    "the scenario is not deterministic: a schedule did not repeat when run again";

/// The next schedule of a depth-first search within `bound` preemptions: the deepest step with an
/// untried alternative, as the prefix to replay. Nullopt when every schedule has been tried.
std::optional<std::vector<int>> next_prefix(const actor_run::result& r, int bound) {
  std::vector<int> preemptions_before(r.positions.size(), 0);
  for (std::size_t i = 1; i < r.positions.size(); ++i)
    preemptions_before[i] = preemptions_before[i - 1] + (r.positions[i - 1] != 0 ? 1 : 0);
  for (auto i = r.positions.size(); i-- > 0;) {
    bool untried = r.positions[i] + 1 < r.enabled[i].size();
    bool affordable = bound < 0 || preemptions_before[i] + 1 <= bound;
    if (untried && affordable) {
      std::vector<int> prefix(r.choices.begin(), r.choices.begin() + static_cast<long>(i));
      prefix.push_back(r.enabled[i][r.positions[i] + 1]);
      return prefix;
    }
  }
  return std::nullopt;
}

/// PCT-style priorities (Burckhardt et al.): every actor gets a random priority when first seen,
/// the highest-priority ready actor runs, and at `bound` random steps the running actor drops to
/// the lowest priority. `steps_expected` is the longest run seen so far.
class pct_picker {
public:
  pct_picker(std::mt19937_64& rng, int bound, std::size_t steps_expected) : rng_(rng) {
    for (int i = 0; i < bound && steps_expected > 0; ++i)
      change_points_.push_back(static_cast<std::size_t>(rng_() % steps_expected));
  }

  std::size_t operator()(const std::vector<int>& enabled, std::size_t n) {
    for (int who : enabled)
      while (priorities_.size() <= static_cast<std::size_t>(who))
        priorities_.push_back((rng_() >> 2) + (std::uint64_t{1} << 62)); // above every change
    auto best = highest(enabled);
    for (std::size_t c = 0; c < change_points_.size(); ++c) {
      if (change_points_[c] == n) {
        priorities_[static_cast<std::size_t>(enabled[best])] = c; // below every initial one
        best = highest(enabled);
      }
    }
    return best;
  }

private:
  std::size_t highest(const std::vector<int>& enabled) const {
    std::size_t best = 0;
    for (std::size_t i = 1; i < enabled.size(); ++i)
      if (priorities_[static_cast<std::size_t>(enabled[i])] >
          priorities_[static_cast<std::size_t>(enabled[best])])
        best = i;
    return best;
  }

  std::mt19937_64& rng_;
  std::vector<std::size_t> change_points_;
  std::vector<std::uint64_t> priorities_;
};

/// Fills `rep` from a failing (or replayed) run. A run found without recording is replayed with
/// recording; a replay that ends differently means the scenario is not deterministic.
void take_result(report& rep, actor_run::result r, const std::function<actor_execution()>& make,
                 std::uint64_t max_steps) {
  if (r.trace.empty() && !r.choices.empty()) {
    auto again = actor_run::run(make, follow(r.choices, not_deterministic), max_steps, true);
    if (again.verdict_kind != r.verdict_kind || again.choices != r.choices) {
      rep.result = outcome::crashed;
      rep.verdict = "the scenario is not deterministic: its schedule ended with \"" + r.verdict +
                    "\" once and with \"" + again.verdict + "\" when replayed";
      rep.actors = std::move(again.actors);
      rep.failing_schedule = schedule{std::move(r.choices)};
      return;
    }
    r.trace = std::move(again.trace);
  }
  rep.result = r.verdict_kind;
  rep.verdict = std::move(r.verdict);
  rep.cycle = std::move(r.cycle);
  rep.actors = std::move(r.actors);
  rep.trace = std::move(r.trace);
  rep.failing_schedule = schedule{std::move(r.choices)};
}

} // namespace

report explore_actors(const std::function<actor_execution()>& make, const options& opts) {
  using clock = std::chrono::steady_clock;
  auto began = clock::now();
  auto out_of_time = [&] { return clock::now() - began >= opts.time_limit; };
  report rep;
  auto finish = [&] {
    rep.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - began);
    return rep;
  };
  if (opts.replay) {
    auto& choices = opts.replay->choices();
    auto r = actor_run::run(make, follow(choices, replay_mismatch), opts.max_steps, true);
    if (r.choices.size() < choices.size() && r.verdict_kind != outcome::crashed &&
        r.verdict_kind != outcome::step_limit) {
      r.verdict = std::string{replay_mismatch} + ": it has " + std::to_string(choices.size()) +
                  " steps, but the run ended after " + std::to_string(r.choices.size()) + " (" +
                  to_string(r.verdict_kind) + ")";
      r.verdict_kind = outcome::crashed;
    }
    rep.schedules_explored = 1;
    take_result(rep, std::move(r), make, opts.max_steps);
    return finish();
  }
  if (opts.search == strategy::random) {
    rep.seed = opts.seed;
    std::mt19937_64 rng{opts.seed};
    std::size_t steps_expected = 0;
    while (rep.schedules_explored < opts.max_schedules && !out_of_time()) {
      pct_picker pick{rng, opts.preemption_bound, steps_expected};
      auto r = actor_run::run(make, std::ref(pick), opts.max_steps, false);
      ++rep.schedules_explored;
      steps_expected = std::max(steps_expected, r.choices.size());
      if (r.verdict_kind != outcome::clean) {
        take_result(rep, std::move(r), make, opts.max_steps);
        return finish();
      }
      rep.actors = std::move(r.actors);
    }
    return finish();
  }
  std::vector<int> prefix;
  std::vector<std::vector<int>> ready_before; // who could run at each step of `prefix`, last time
  while (rep.schedules_explored < opts.max_schedules && !out_of_time()) {
    auto r = actor_run::run(make, follow(prefix, not_deterministic), opts.max_steps, false);
    ++rep.schedules_explored;
    bool repeated = r.enabled.size() >= ready_before.size() &&
                    std::equal(ready_before.begin(), ready_before.end(), r.enabled.begin());
    if (!repeated) {
      rep.result = outcome::crashed;
      rep.verdict = std::string{not_deterministic} + " (other actors had work to do)";
      rep.actors = std::move(r.actors);
      rep.failing_schedule = schedule{std::move(prefix)};
      return finish();
    }
    if (r.verdict_kind != outcome::clean) {
      take_result(rep, std::move(r), make, opts.max_steps);
      return finish();
    }
    auto next = next_prefix(r, opts.preemption_bound);
    rep.actors = std::move(r.actors);
    if (!next) {
      rep.search_exhausted = true;
      break;
    }
    prefix = std::move(*next);
    ready_before.assign(r.enabled.begin(), r.enabled.begin() + static_cast<long>(prefix.size()));
  }
  return finish();
}

} // namespace dca::explore
