// The thread explorer. Each explored thread is a real OS thread, but only one runs at a time: a
// baton passes between the scheduler (the caller's thread) and the thread it picks, at every
// instrumented operation. Real threads keep exceptions, RAII and ThreadSanitizer working as usual;
// the baton's mutex gives every hand-over a happens-before edge, so an explored run is race-free.
#include "dca/explore/explorer.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "dca/assert.hpp"
#include "dca/explore/detail/hooks.hpp"
#include "dca/explore/expect.hpp"
#include "search.hpp"
#include "thread_pool.hpp"

namespace dca::explore {

namespace {

/// Thrown inside an explored thread to unwind it when the exploration of a schedule is cut short
/// (a deadlock, the step limit). Never escapes the thread's wrapper.
struct abort_schedule {};

/// How long a thread may run between two instrumented operations before we decide it is blocked
/// on something we cannot see (a std::mutex, a sleep, I/O) and give up on it.
constexpr auto silent_thread_timeout = std::chrono::seconds(10);

const char* op_name(detail::op_kind kind) {
  switch (kind) {
  case detail::op_kind::load:
    return "load";
  case detail::op_kind::store:
    return "store";
  case detail::op_kind::read_modify_write:
    return "fetch_add";
  case detail::op_kind::exchange:
    return "exchange";
  case detail::op_kind::compare_exchange:
    return "compare_exchange";
  case detail::op_kind::wait:
    return "wait";
  case detail::op_kind::wake:
    return "wake";
  case detail::op_kind::notify_one:
    return "notify_one";
  case detail::op_kind::notify_all:
    return "notify_all";
  case detail::op_kind::yield:
    return "yield";
  case detail::op_kind::spawn:
    return "spawn";
  case detail::op_kind::join:
    return "join";
  case detail::op_kind::lock:
    return "lock";
  case detail::op_kind::try_lock:
    return "try_lock";
  case detail::op_kind::unlock:
    return "unlock";
  case detail::op_kind::point:
    return "point";
  case detail::op_kind::statement:
    return "statement";
  case detail::op_kind::external_wait:
    return "external_wait";
  }
  return "?";
}

} // namespace

namespace detail {

enum class thread_state { starting, waiting, finished };

struct pending_op {
  op_kind kind = op_kind::point;
  const void* object = nullptr;
  const char* name = "";
  source_location where;
  const void* partner = nullptr;   // a wait's mutex, a join's thread
  wait_condition* until = nullptr; // op_kind::external_wait: may move once until->ready()
};

struct execution_state;

class thread_context {
public:
  thread_context(execution_state& run, int index, std::string name)
      : run_(run), index_(index), name_(std::move(name)) {}

  execution_state& run_;
  const int index_;
  const std::string name_; // for verdicts: "T1 threw: boom"
  thread_state state = thread_state::starting;
  pending_op pending;
  bool try_lock_result = false;
  std::condition_variable wake;
  // -- what the model keeps about this thread --
  std::map<const void*, std::uint64_t> reads; // since its last yield: object -> version it read
  bool notified = false;                      // its condition variable wait was notify_all'ed
  std::uint64_t spurious_at = UINT64_MAX;     // the write count at its last spurious wakeup
  std::string spawn_name;                     // a pending spawn: the new thread's name, body
  std::function<void()> spawn_body;
  thread_context* spawned = nullptr; // what its last spawn started
};

/// A condition variable's waiters, and the notify_one calls not yet taken: each lists the
/// waiters that were waiting when it came (later waiters cannot take it). Whichever of them the
/// scheduler runs first takes it, so every choice of notify_one is explored.
struct condition_model {
  std::vector<int> waiters;
  std::vector<std::vector<int>> notifications;
};

/// Everything one execution of a schedule shares between the scheduler and its threads. Owned by
/// shared_ptr, so a thread we had to abandon (blocked outside our view) never dangles.
struct execution_state : std::enable_shared_from_this<execution_state> {
  std::mutex baton;
  std::condition_variable scheduler_wake;
  std::vector<std::unique_ptr<thread_context>> threads;
  int running = -1; // the thread holding the baton; -1: the scheduler holds it
  bool aborting = false;
  std::vector<step> trace;
  std::map<const void*, int> owner; // modelled mutexes: who holds each
  std::map<const void*, std::string> mutex_names;
  std::optional<std::pair<outcome, std::string>> ended; // a thread threw, failed, misused a mutex
  std::map<const void*, std::uint64_t> versions;        // how often each object was written
  std::uint64_t writes = 0;                             // all writes, for spurious wakeups
  std::map<const void*, condition_model> conditions;
  std::map<const void*, std::string> names; // every object an operation named
  std::vector<thread_context*> to_start;    // spawned by the last step, not yet started
  bool spurious_wakeups = false;
};

namespace {

bool announce(thread_context& self, const pending_op& op) {
  auto& run = self.run_;
  const auto kind = op.kind;
  std::unique_lock<std::mutex> guard{run.baton};
  DCA_ASSERT_MSG(run.running == self.index_, "only the thread holding the baton runs");
  auto stop_here = [&] {
    // While the stack unwinds (or for an unlock, which RAII calls from destructors) we must not
    // throw again: let the operation return without touching the model.
    if (kind == op_kind::unlock || std::uncaught_exceptions() > 0)
      return false;
    throw abort_schedule{};
  };
  if (run.aborting)
    return stop_here();
  self.pending = op;
  self.state = thread_state::waiting;
  run.running = -1;
  run.scheduler_wake.notify_one();
  self.wake.wait(guard, [&] { return run.running == self.index_; });
  if (run.aborting)
    return stop_here();
  return true;
}

} // namespace

bool before(thread_context& self, op_kind kind, const void* object, const char* name,
            source_location where, const void* partner) {
  return announce(self, pending_op{kind, object, name, where, partner});
}

bool before_wait(thread_context& self, wait_condition& until, const void* object, const char* name,
                 source_location where) {
  return announce(self, pending_op{op_kind::external_wait, object, name, where, nullptr, &until});
}

void record(thread_context& self, std::string value) {
  std::lock_guard<std::mutex> guard{self.run_.baton};
  auto& trace = self.run_.trace;
  if (!trace.empty() && trace.back().actor == self.index_)
    trace.back().value = std::move(value);
}

void wrote(thread_context& self, const void* object) {
  std::lock_guard<std::mutex> guard{self.run_.baton};
  ++self.run_.versions[object];
  ++self.run_.writes;
}

const void* spawn(thread_context& self, std::string name, std::function<void()> body,
                  source_location where) {
  self.spawn_name = std::move(name);
  self.spawn_body = std::move(body);
  self.spawned = nullptr;
  if (!before(self, op_kind::spawn, &self, self.spawn_name.c_str(), where))
    return nullptr;
  std::lock_guard<std::mutex> guard{self.run_.baton};
  return self.spawned;
}

bool try_lock_succeeded(thread_context& self, const void*) {
  std::lock_guard<std::mutex> guard{self.run_.baton};
  return self.try_lock_result;
}

} // namespace detail

namespace {

/// What the next operation of `t` does to the objects it touches, for partial-order reduction.
detail::footprint access_of(const detail::thread_context& t) {
  using detail::access_kind;
  using detail::op_kind;
  const auto& op = t.pending;
  switch (op.kind) {
  case op_kind::load:
    return {{op.object, access_kind::read}};
  case op_kind::store:
  case op_kind::read_modify_write:
  case op_kind::exchange:
  case op_kind::compare_exchange:
  case op_kind::notify_one:
  case op_kind::notify_all:
    return {{op.object, access_kind::write}};
  case op_kind::lock:
    return {{op.object, access_kind::acquire}};
  case op_kind::try_lock:
    return {{op.object, access_kind::attempt}};
  case op_kind::unlock:
    return {{op.object, access_kind::release}};
  case op_kind::wait:
    return {{op.partner, access_kind::release}, {op.object, access_kind::write}};
  case op_kind::wake:
    return {{op.partner, access_kind::acquire}, {op.object, access_kind::write}};
  case op_kind::yield: {
    // It waits for a write to what it read: dependent with exactly those writes.
    detail::footprint f;
    for (auto& [object, version] : t.reads)
      f.push_back({object, access_kind::read});
    return f.empty() ? detail::footprint{{nullptr, access_kind::read}} : f;
  }
  case op_kind::join: // ordered after the joined thread's steps (DPOR's happens-before)
    return {{op.partner, access_kind::read},
            {nullptr, access_kind::join,
             static_cast<const detail::thread_context*>(op.partner)->index_}};
  case op_kind::spawn: // the child gets the next index (start_child), its steps come after this
    return {{op.object, access_kind::write},
            {nullptr, access_kind::spawn, static_cast<int>(t.run_.threads.size())}};
  case op_kind::statement:
  case op_kind::external_wait:
    return {{op.object, access_kind::write}}; // a server's state is one object: all dependent
  case op_kind::point:
    break;
  }
  return {{nullptr, access_kind::read}};
}

using detail::chooser;
using detail::condition_model;
using detail::decision;
using detail::execution_state;
using detail::op_kind;
using detail::run_result;
using detail::thread_context;
using detail::thread_state;

template <class T, class U>
bool contains(const std::vector<T>& xs, U x) {
  return std::find(xs.begin(), xs.end(), static_cast<T>(x)) != xs.end();
}

/// Runs one schedule of one fresh execution on real threads, one at a time.
class thread_runner final : public detail::runner {
public:
  thread_runner(const thread_execution_factory& make, const options& opts)
      : make_(make), opts_(opts) {}

  const char* unit_name() const noexcept override { return "thread"; }

  /// Always traced: the trace costs next to nothing beside the thread switches.
  run_result run(const chooser& choose, bool) override {
    run_result out;
    out.traced = true;
    thread_execution exec;
    if (!set_up(exec, out))
      return out;
    auto state = std::make_shared<execution_state>();
    state->spurious_wakeups = opts_.spurious_wakeups;
    start_threads(exec, state, out);
    std::unique_lock<std::mutex> guard{state->baton};
    // Bring every thread to its first visible operation, one at a time, in index order: what a
    // thread does before touching shared state is invisible to the others.
    bool responsive = true;
    for (auto& t : state->threads)
      responsive = responsive && hand_over(*state, guard, *t);
    if (responsive)
      responsive = run_steps(*state, guard, choose, out);
    if (!responsive) {
      abandon(*state, guard, out);
      return out;
    }
    wind_down(*state, guard, out);
    judge(exec, *state, out);
    return out;
  }

private:
  bool set_up(thread_execution& exec, run_result& out) {
    try {
      exec = make_();
      return true;
    } catch (const std::exception& e) {
      out.result = outcome::crashed;
      out.verdict = std::string{"setting up the scenario threw: "} + e.what();
      return false;
    }
  }

  void start_threads(const thread_execution& exec, const std::shared_ptr<execution_state>& state,
                     run_result& out) {
    for (std::size_t i = 0; i < exec.threads.size(); ++i) {
      out.actors.push_back(exec.threads[i].name);
      state->threads.push_back(
          std::make_unique<thread_context>(*state, static_cast<int>(i), exec.threads[i].name));
    }
    for (std::size_t i = 0; i < exec.threads.size(); ++i)
      start(state, state->threads[i].get(), exec.threads[i].run);
  }

  /// Runs `body` as the explored thread `self` on a worker of the pool.
  void start(std::shared_ptr<execution_state> state, thread_context* self,
             std::function<void()> body) {
    pool_.run([state = std::move(state), self, body = std::move(body)] {
      thread_main(state, self, body);
    });
  }

  /// Starts the threads the last step spawned, each up to its first operation. False when one
  /// went silent.
  bool start_children(execution_state& state, std::unique_lock<std::mutex>& guard,
                      run_result& out) {
    auto children = std::move(state.to_start);
    state.to_start.clear();
    for (auto* child : children) {
      out.actors.push_back(child->name_);
      start(state.shared_from_this(), child, std::move(child->spawn_body));
      if (!hand_over(state, guard, *child))
        return false;
    }
    return true;
  }

  /// Asks `choose` for a thread and runs it to its next operation, until every thread finished
  /// or the run ended otherwise (out.result). False when a thread went silent.
  bool run_steps(execution_state& state, std::unique_lock<std::mutex>& guard, const chooser& choose,
                 run_result& out) {
    int previous = -1;
    for (;;) {
      auto now = next_decision(state, previous, out);
      if (!now)
        return true;
      try {
        now->chosen = choose(out.decisions.size(), *now);
      } catch (const detail::schedule_mismatch& e) {
        out.result = outcome::crashed;
        out.verdict = e.what();
        return true;
      } catch (const detail::stop_run& stop) {
        out.stopped = stop.why;
        return true;
      }
      out.decisions.push_back(*now);
      auto& chosen = *state.threads[static_cast<std::size_t>(now->chosen)];
      if (!grant(state, chosen))
        continue; // a program error: the run ends at the next decision
      if (!hand_over(state, guard, chosen) || !start_children(state, guard, out))
        return false;
      previous = now->chosen;
    }
  }

  /// Who can run now, or nullopt when the run is over: every thread finished, or the run ended
  /// with a deadlock or at the step limit (said in `out`).
  std::optional<decision> next_decision(const execution_state& state, int previous,
                                        run_result& out) const {
    if (state.ended) {
      out.result = state.ended->first;
      out.verdict = state.ended->second;
      return std::nullopt;
    }
    decision now;
    bool unfinished = false;
    for (auto& t : state.threads) {
      if (t->state == thread_state::finished)
        continue;
      unfinished = true;
      if (can_move(state, *t)) {
        now.enabled.push_back(t->index_);
        if (opts_.search == strategy::dpor)  // only DPOR reads them: a step of 100 threads saves
          now.next.push_back(access_of(*t)); // 100 allocations in every other search
      }
    }
    if (!unfinished)
      return std::nullopt;
    if (now.enabled.empty()) {
      out.result = outcome::deadlock;
      out.cycle = wait_for_cycle(state, out.actors);
      out.verdict = "deadlock: no thread can move";
      return std::nullopt;
    }
    if (state.trace.size() >= opts_.steps_max) {
      out.result = outcome::step_limit;
      out.verdict = "no end after " + std::to_string(opts_.steps_max) +
                    " steps: a livelock, or raise the step limit";
      return std::nullopt;
    }
    // Going on with the thread that ran last is no preemption; when it cannot, any choice is free.
    now.preferred = contains(now.enabled, previous) ? previous : -1;
    return now;
  }

  /// A thread went silent: it waits on something we cannot see. We cannot join it, so we let it go
  /// (it keeps `state` alive) and say what happened.
  void abandon(execution_state& state, std::unique_lock<std::mutex>& guard, run_result& out) {
    out.result = outcome::crashed;
    out.verdict = "a thread ran for " + std::to_string(silent_thread_timeout.count()) +
                  " s without reaching a dca::shared or dca::mutex operation: it is blocked on "
                  "something the explorer cannot see (a std::mutex, a sleep, I/O?)";
    out.trace = state.trace;
    guard.unlock();
    pool_.give_up_busy();
  }

  /// Unwinds the threads a failed run left unfinished, waits for their workers, takes the trace.
  void wind_down(execution_state& state, std::unique_lock<std::mutex>& guard, run_result& out) {
    if (out.result != outcome::clean || out.stopped) {
      state.aborting = true;
      for (auto& t : state.threads)
        if (t->state != thread_state::finished)
          hand_over(state, guard, *t);
    }
    guard.unlock();
    pool_.await_all();
    out.trace = std::move(state.trace);
    DCA_ASSERT(out.trace.size() == out.decisions.size());
  }

  /// A clean run is judged by what its threads threw, then by the scenario's invariant.
  static void judge(const thread_execution& exec, const execution_state& state, run_result& out) {
    if (out.result != outcome::clean || out.stopped)
      return;
    DCA_ASSERT_MSG(!state.ended, "a run that ended early has its verdict from next_decision");
    if (!exec.check)
      return;
    try {
      if (auto verdict = exec.check(out.trace)) {
        out.result = outcome::invariant_broken;
        out.verdict = std::move(*verdict);
      }
    } catch (const std::exception& e) {
      out.result = outcome::crashed;
      out.verdict = std::string{"checking the invariant threw: "} + e.what();
    }
  }

  static void thread_main(std::shared_ptr<execution_state> state, thread_context* self,
                          std::function<void()> body) {
    detail::current_thread = self;
    {
      std::unique_lock<std::mutex> guard{state->baton};
      self->wake.wait(guard, [&] { return state->running == self->index_; });
    }
    if (!state->aborting)
      run_body(*state, *self, body);
    detail::current_thread = nullptr;
    std::lock_guard<std::mutex> guard{state->baton};
    self->state = thread_state::finished;
    state->running = -1;
    state->scheduler_wake.notify_one();
  }

  /// Runs a thread's body. What it throws ends the run: a failed expectation as a broken
  /// invariant, anything else as a crash, both naming the thread.
  static void run_body(execution_state& state, const thread_context& self,
                       const std::function<void()>& body) {
    std::pair<outcome, std::string> end{outcome::crashed, self.name_ + " threw: "};
    try {
      body();
      return;
    } catch (const abort_schedule&) {
      return; // the schedule was cut short; nothing to report from this thread
    } catch (const invariant_failure& e) {
      end = {outcome::invariant_broken, std::string{e.what()} + " (seen by " + self.name_ + ")"};
    } catch (const std::exception& e) {
      end.second += e.what();
    } catch (...) {
      end.second += "a non-std exception";
    }
    std::lock_guard<std::mutex> guard{state.baton};
    if (!state.ended)
      state.ended = std::move(end);
  }

  /// Gives `t` the baton and waits until it comes back. False if `t` never gives it back.
  static bool hand_over(execution_state& state, std::unique_lock<std::mutex>& guard,
                        thread_context& t) {
    DCA_ASSERT(guard.owns_lock());
    state.running = t.index_;
    t.wake.notify_one();
    return state.scheduler_wake.wait_for(guard, silent_thread_timeout,
                                         [&] { return state.running == -1; });
  }

  static bool can_move(const execution_state& state, const thread_context& t) {
    const auto& op = t.pending;
    if (op.until != nullptr)
      return op.until->ready();
    switch (op.kind) {
    case op_kind::lock:
      return state.owner.count(op.object) == 0;
    case op_kind::wake:
      return state.owner.count(op.partner) == 0 &&
             (t.notified || notification_for(state, t) >= 0 ||
              (state.spurious_wakeups && t.spurious_at != state.writes));
    case op_kind::join:
      return static_cast<const thread_context*>(op.partner)->state == thread_state::finished;
    case op_kind::yield:
      return t.reads.empty() || std::any_of(t.reads.begin(), t.reads.end(), [&](auto& read) {
               auto now = state.versions.find(read.first);
               return (now == state.versions.end() ? 0 : now->second) != read.second;
             });
    default:
      return true;
    }
  }

  /// The earliest notify_one that `t` may take; -1 when none.
  static int notification_for(const execution_state& state, const thread_context& t) {
    auto cv = state.conditions.find(t.pending.object);
    if (cv == state.conditions.end())
      return -1;
    const auto& ns = cv->second.notifications;
    for (std::size_t i = 0; i < ns.size(); ++i)
      if (contains(ns[i], t.index_))
        return static_cast<int>(i);
    return -1;
  }

  /// Applies the pending operation of `t` to the model and records it as the next step. False for
  /// an unlock of a mutex `t` does not hold: a program error that ends the run.
  static bool grant(execution_state& state, thread_context& t) {
    DCA_ASSERT(t.state == thread_state::waiting);
    DCA_ASSERT(can_move(state, t));
    const auto& op = t.pending;
    step s;
    s.actor = t.index_;
    s.operation = op_name(op.kind);
    s.object = op.name;
    if (op.kind == op_kind::statement || op.kind == op_kind::external_wait) {
      s.operation = op.name; // "UPDATE items": the request says what it is
      s.object.clear();
    }
    s.where = op.where;
    if (auto misuse = unlock_misuse(state, t)) {
      state.ended = {outcome::crashed, std::move(*misuse)};
      state.trace.push_back(std::move(s));
      return false;
    }
    apply(state, t, s);
    state.trace.push_back(std::move(s));
    return true;
  }

  /// Changes the model as the pending operation of `t` says; `s` is its step in the trace.
  static void apply(execution_state& state, thread_context& t, step& s) {
    const auto& op = t.pending;
    if (op.object != nullptr)
      state.names.emplace(op.object, op.name);
    switch (op.kind) {
    case op_kind::load:
      t.reads[op.object] = state.versions[op.object];
      break;
    case op_kind::store:
    case op_kind::read_modify_write:
    case op_kind::exchange:
      bump(state, op.object);
      [[fallthrough]];
    case op_kind::compare_exchange: // bumped by detail::wrote when it swaps
      t.reads[op.object] = state.versions[op.object];
      break;
    case op_kind::lock:
      take_mutex(state, t, op.object, op.name);
      break;
    case op_kind::try_lock:
      t.try_lock_result = state.owner.count(op.object) == 0;
      if (t.try_lock_result)
        take_mutex(state, t, op.object, op.name);
      t.reads[op.object] = state.versions[op.object];
      s.value = t.try_lock_result ? "acquired" : "busy";
      break;
    case op_kind::unlock:
      state.owner.erase(op.object);
      bump(state, op.object);
      break;
    case op_kind::yield:
      t.reads.clear();
      break;
    case op_kind::spawn:
      start_child(state, t);
      break;
    default:
      apply_condition(state, t, s);
      break;
    }
  }

  static void bump(execution_state& state, const void* object) {
    ++state.versions[object];
    ++state.writes;
  }

  static void take_mutex(execution_state& state, const thread_context& t, const void* mutex,
                         const char* name) {
    state.owner[mutex] = t.index_;
    state.mutex_names[mutex] = name;
    bump(state, mutex);
  }

  /// A spawn: the new thread gets the next index; the scheduler starts it after this step.
  static void start_child(execution_state& state, thread_context& t) {
    auto index = static_cast<int>(state.threads.size());
    state.threads.push_back(std::make_unique<thread_context>(state, index, t.spawn_name));
    t.spawned = state.threads.back().get();
    t.spawned->spawn_body = std::move(t.spawn_body); // the child's own body, until it starts
    state.to_start.push_back(t.spawned);
  }

  /// Waits, wake-ups and notifications of a condition variable.
  static void apply_condition(execution_state& state, thread_context& t, step& s) {
    const auto& op = t.pending;
    auto& cv = state.conditions[op.object];
    switch (op.kind) {
    case op_kind::wait:
      state.owner.erase(op.partner);
      bump(state, op.partner);
      t.notified = false;
      cv.waiters.push_back(t.index_);
      break;
    case op_kind::wake:
      s.value = take_notification(state, cv, t);
      take_mutex(state, t, op.partner, state.mutex_names[op.partner].c_str());
      break;
    case op_kind::notify_one: {
      std::vector<int> candidates;
      for (int w : cv.waiters)
        if (!state.threads[static_cast<std::size_t>(w)]->notified)
          candidates.push_back(w);
      // Each waiter takes one notification at most: more than there are waiters are lost.
      if (cv.notifications.size() < candidates.size())
        cv.notifications.push_back(std::move(candidates));
      s.value = std::to_string(cv.waiters.size()) + " waiting";
      break;
    }
    case op_kind::notify_all:
      for (int w : cv.waiters)
        state.threads[static_cast<std::size_t>(w)]->notified = true;
      cv.notifications.clear();
      s.value = std::to_string(cv.waiters.size()) + " waiting";
      break;
    default:
      break;
    }
  }

  /// Takes what ends the wait of `t`: notify_all, the earliest notify_one it may take, or
  /// else a spurious wakeup. Says which, for the trace.
  static std::string take_notification(execution_state& state, condition_model& cv,
                                       thread_context& t) {
    cv.waiters.erase(std::find(cv.waiters.begin(), cv.waiters.end(), t.index_));
    if (t.notified) {
      t.notified = false;
      return "notified";
    }
    auto taken = notification_for(state, t);
    if (taken < 0) {
      t.spurious_at = state.writes;
      return "spuriously";
    }
    cv.notifications.erase(cv.notifications.begin() + taken);
    for (auto& n : cv.notifications)
      n.erase(std::remove(n.begin(), n.end(), t.index_), n.end());
    cv.notifications.erase(std::remove_if(cv.notifications.begin(), cv.notifications.end(),
                                          [](auto& n) { return n.empty(); }),
                           cv.notifications.end());
    return "notified";
  }

  /// "T1 unlocked A, which it does not hold (T2 holds it)" when `t` is about to do that.
  static std::optional<std::string> unlock_misuse(const execution_state& state,
                                                  const thread_context& t) {
    if (t.pending.kind == op_kind::wait) {
      auto owner = state.owner.find(t.pending.partner);
      if (owner != state.owner.end() && owner->second == t.index_)
        return std::nullopt;
      return t.name_ + " waited on " + t.pending.name + " without holding its mutex";
    }
    if (t.pending.kind != op_kind::unlock)
      return std::nullopt;
    auto owner = state.owner.find(t.pending.object);
    if (owner == state.owner.end())
      return t.name_ + " unlocked " + t.pending.name + ", which is not locked";
    if (owner->second == t.index_)
      return std::nullopt;
    return t.name_ + " unlocked " + t.pending.name + ", which it does not hold (" +
           state.threads[static_cast<std::size_t>(owner->second)]->name_ + " holds it)";
  }

  /// "T1 holds A, waits for B" for each thread on a wait-for cycle, starting from the lowest
  /// index; with no cycle (a mutex held by a finished thread), for each blocked thread.
  static std::vector<std::string> wait_for_cycle(const execution_state& state,
                                                 const std::vector<std::string>& names) {
    auto on_cycle = cycle_of(state);
    if (on_cycle.empty())
      for (auto& t : state.threads)
        if (t->state == thread_state::waiting && !can_move(state, *t))
          on_cycle.push_back(t->index_);
    std::vector<std::string> lines;
    for (int index : on_cycle)
      lines.push_back(wait_text(state, names, *state.threads[static_cast<std::size_t>(index)]));
    return lines;
  }

  /// Who holds the mutex thread `index` is blocked on; -1 when it is not blocked on a lock.
  static int holder_awaited_by(const execution_state& state, int index) {
    const auto& t = *state.threads[static_cast<std::size_t>(index)];
    if (t.state != thread_state::waiting || can_move(state, t))
      return -1;
    if (t.pending.kind != op_kind::lock && t.pending.kind != op_kind::wake)
      return -1;
    auto owner =
        state.owner.find(t.pending.kind == op_kind::lock ? t.pending.object : t.pending.partner);
    return owner == state.owner.end() ? -1 : owner->second;
  }

  /// A cycle in the wait-for graph (each thread on it waits for a mutex the next one holds),
  /// found from each thread in index order; empty when there is none.
  static std::vector<int> cycle_of(const execution_state& state) {
    for (auto& start : state.threads) {
      std::vector<int> path;
      int at = start->index_;
      while (at >= 0 && !contains(path, at)) {
        path.push_back(at);
        at = holder_awaited_by(state, at);
      }
      if (at >= 0)
        return {std::find(path.begin(), path.end(), at), path.end()};
    }
    return {};
  }

  static std::string wait_text(const execution_state& state, const std::vector<std::string>& names,
                               const thread_context& t) {
    const auto& op = t.pending;
    if (op.kind == op_kind::wake && state.owner.count(op.partner) == 0)
      return names[static_cast<std::size_t>(t.index_)] + " waits on " + op.name +
             " for a notification that never comes";
    if (op.kind == op_kind::join)
      return names[static_cast<std::size_t>(t.index_)] + " joins " +
             static_cast<const thread_context*>(op.partner)->name_ + ", which never finishes";
    if (op.kind == op_kind::yield)
      return names[static_cast<std::size_t>(t.index_)] + " spins, and nothing it read (" +
             read_names(state, t) + ") can change any more";
    std::string held;
    for (auto& [object, owner] : state.owner)
      if (owner == t.index_)
        held += (held.empty() ? "" : ", ") + state.mutex_names.at(object);
    const void* awaited = op.kind == op_kind::wake ? op.partner : op.object;
    auto line = names[static_cast<std::size_t>(t.index_)] + " holds " +
                (held.empty() ? std::string{"nothing"} : held) + ", waits for " +
                (op.kind == op_kind::wake ? state.mutex_names.at(awaited) : op.name);
    auto owner = state.owner.find(awaited);
    if (owner == state.owner.end())
      return line;
    auto holder = static_cast<std::size_t>(owner->second);
    line += " (held by " + names[holder];
    if (state.threads[holder]->state == thread_state::finished)
      line += ", which has finished";
    return line + ")";
  }

  /// The names of what `t` read since its last yield: "flag, turn".
  static std::string read_names(const execution_state& state, const thread_context& t) {
    std::string out;
    for (auto& [object, version] : t.reads) {
      auto name = state.names.find(object);
      out += (out.empty() ? "" : ", ") + (name == state.names.end() ? "?" : name->second);
    }
    return out;
  }

  const thread_execution_factory& make_;
  const options& opts_;
  detail::thread_pool pool_; // last: its workers stop before the rest goes
};

} // namespace

report explore_threads(const thread_execution_factory& make, const options& opts) {
  DCA_ASSERT(static_cast<bool>(make));
  thread_runner runner{make, opts};
  return detail::search(runner, opts);
}

} // namespace dca::explore
