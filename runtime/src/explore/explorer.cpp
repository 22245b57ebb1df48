// The thread explorer. Each explored thread is a real OS thread, but only one runs at a time: a
// baton passes between the scheduler (the caller's thread) and the thread it picks, at every
// instrumented operation. Real threads keep exceptions, RAII and ThreadSanitizer working as usual;
// the baton's mutex gives every hand-over a happens-before edge, so an explored run is race-free.
#include "dca/explore/explorer.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "dca/explore/hooks.hpp"

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
  case detail::op_kind::lock:
    return "lock";
  case detail::op_kind::try_lock:
    return "try_lock";
  case detail::op_kind::unlock:
    return "unlock";
  case detail::op_kind::point:
    return "point";
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
};

struct execution_state;

class thread_context {
public:
  thread_context(execution_state& run, int index) : run_(run), index_(index) {}

  execution_state& run_;
  const int index_;
  thread_state state = thread_state::starting;
  pending_op pending;
  bool try_lock_result = false;
  std::condition_variable wake;
};

/// Everything one execution of a schedule shares between the scheduler and its threads. Owned by
/// shared_ptr, so a thread we had to abandon (blocked outside our view) never dangles.
struct execution_state {
  std::mutex baton;
  std::condition_variable scheduler_wake;
  std::vector<std::unique_ptr<thread_context>> threads;
  int running = -1; // the thread holding the baton; -1: the scheduler holds it
  bool aborting = false;
  std::vector<step> trace;
  std::map<const void*, int> owner; // modelled mutexes: who holds each
  std::map<const void*, std::string> mutex_names;
  std::optional<std::string> crash;
};

bool before(thread_context& self, op_kind kind, const void* object, const char* name,
            source_location where) {
  auto& run = self.run_;
  std::unique_lock<std::mutex> guard{run.baton};
  auto stop_here = [&] {
    // While the stack unwinds (or for an unlock, which RAII calls from destructors) we must not
    // throw again: let the operation return without touching the model.
    if (kind == op_kind::unlock || std::uncaught_exceptions() > 0)
      return false;
    throw abort_schedule{};
  };
  if (run.aborting)
    return stop_here();
  self.pending = pending_op{kind, object, name, where};
  self.state = thread_state::waiting;
  run.running = -1;
  run.scheduler_wake.notify_one();
  self.wake.wait(guard, [&] { return run.running == self.index_; });
  if (run.aborting)
    return stop_here();
  return true;
}

void record(thread_context& self, std::string value) {
  std::lock_guard<std::mutex> guard{self.run_.baton};
  auto& trace = self.run_.trace;
  if (!trace.empty() && trace.back().actor == self.index_)
    trace.back().value = std::move(value);
}

bool try_lock_succeeded(thread_context& self, const void*) {
  std::lock_guard<std::mutex> guard{self.run_.baton};
  return self.try_lock_result;
}

} // namespace detail

namespace {

using detail::execution_state;
using detail::op_kind;
using detail::thread_context;
using detail::thread_state;

/// One decision of a schedule: who could run, who ran before, who was picked.
struct decision {
  std::vector<int> enabled;
  int previous = -1;
  int chosen = -1;
};

struct run_result {
  outcome result = outcome::clean;
  std::string verdict;
  std::vector<std::string> cycle;
  std::vector<std::string> names;
  std::vector<step> trace;
  std::vector<decision> decisions;
};

using chooser = std::function<int(std::size_t step, const std::vector<int>& enabled, int previous)>;

template <class T, class U>
bool contains(const std::vector<T>& xs, U x) {
  return std::find(xs.begin(), xs.end(), static_cast<T>(x)) != xs.end();
}

/// Runs one schedule of one fresh execution, asking `choose` at every step.
class schedule_runner {
public:
  schedule_runner(const thread_execution_factory& make, const options& opts)
      : make_(make), opts_(opts) {}

  run_result run(const chooser& choose) {
    run_result out;
    thread_execution exec;
    try {
      exec = make_();
    } catch (const std::exception& e) {
      out.result = outcome::crashed;
      out.verdict = std::string{"setting up the scenario threw: "} + e.what();
      return out;
    }
    auto state = std::make_shared<execution_state>();
    std::vector<std::thread> os_threads;
    for (std::size_t i = 0; i < exec.threads.size(); ++i) {
      out.names.push_back(exec.threads[i].name);
      state->threads.push_back(std::make_unique<thread_context>(*state, static_cast<int>(i)));
    }
    for (std::size_t i = 0; i < exec.threads.size(); ++i)
      os_threads.emplace_back(thread_main, state, state->threads[i].get(), exec.threads[i].run);

    std::unique_lock<std::mutex> guard{state->baton};
    bool responsive = true;
    // Bring every thread to its first visible operation, one at a time, in index order: what a
    // thread does before touching shared state is invisible to the others.
    for (auto& t : state->threads)
      responsive = responsive && hand_over(*state, guard, *t);
    int previous = -1;
    while (responsive) {
      std::vector<int> enabled;
      bool unfinished = false;
      for (auto& t : state->threads) {
        if (t->state == thread_state::finished)
          continue;
        unfinished = true;
        if (can_move(*state, *t))
          enabled.push_back(t->index_);
      }
      if (!unfinished)
        break;
      if (enabled.empty()) {
        out.result = outcome::deadlock;
        out.cycle = wait_for_cycle(*state, out.names);
        out.verdict = "deadlock: no thread can move";
        break;
      }
      if (state->trace.size() >= opts_.max_steps) {
        out.result = outcome::step_limit;
        out.verdict = "no end after " + std::to_string(opts_.max_steps) +
                      " steps: a livelock, or raise the step limit";
        break;
      }
      int chosen = choose(state->trace.size(), enabled, previous);
      if (!contains(enabled, chosen)) {
        out.result = outcome::crashed;
        out.verdict = "the schedule does not fit this scenario: at step " +
                      std::to_string(state->trace.size() + 1) + " thread " +
                      std::to_string(chosen) + " cannot run";
        break;
      }
      out.decisions.push_back({enabled, previous, chosen});
      grant(*state, *state->threads[chosen]);
      responsive = hand_over(*state, guard, *state->threads[chosen]);
      previous = chosen;
    }
    if (!responsive) {
      // A thread went silent: it waits on something we cannot see. We cannot join it, so we let it
      // go (it keeps `state` alive) and say what happened.
      out.result = outcome::crashed;
      out.verdict = "a thread ran for " + std::to_string(silent_thread_timeout.count()) +
                    " s without reaching a dca::shared or dca::mutex operation: it is blocked on "
                    "something the explorer cannot see (a std::mutex, a sleep, I/O?)";
      guard.unlock();
      for (auto& t : os_threads)
        t.detach();
      out.trace = state->trace;
      return out;
    }
    if (out.result != outcome::clean) {
      state->aborting = true;
      for (auto& t : state->threads)
        if (t->state != thread_state::finished)
          hand_over(*state, guard, *t);
    }
    guard.unlock();
    for (auto& t : os_threads)
      t.join();
    out.trace = std::move(state->trace);
    if (out.result == outcome::clean && state->crash) {
      out.result = outcome::crashed;
      out.verdict = *state->crash;
    }
    if (out.result == outcome::clean && exec.check) {
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
    return out;
  }

private:
  static void thread_main(std::shared_ptr<execution_state> state, thread_context* self,
                          std::function<void()> body) {
    detail::current_thread = self;
    {
      std::unique_lock<std::mutex> guard{state->baton};
      self->wake.wait(guard, [&] { return state->running == self->index_; });
    }
    if (!state->aborting) {
      try {
        body();
      } catch (const abort_schedule&) {
        // The schedule was cut short; nothing to report from this thread.
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> guard{state->baton};
        if (!state->crash)
          state->crash = "thread " + std::to_string(self->index_) + " threw: " + e.what();
      } catch (...) {
        std::lock_guard<std::mutex> guard{state->baton};
        if (!state->crash)
          state->crash = "thread " + std::to_string(self->index_) + " threw a non-std exception";
      }
    }
    detail::current_thread = nullptr;
    std::lock_guard<std::mutex> guard{state->baton};
    self->state = thread_state::finished;
    state->running = -1;
    state->scheduler_wake.notify_one();
  }

  /// Gives `t` the baton and waits until it comes back. False if `t` never gives it back.
  static bool hand_over(execution_state& state, std::unique_lock<std::mutex>& guard,
                        thread_context& t) {
    state.running = t.index_;
    t.wake.notify_one();
    return state.scheduler_wake.wait_for(guard, silent_thread_timeout,
                                         [&] { return state.running == -1; });
  }

  static bool can_move(const execution_state& state, const thread_context& t) {
    if (t.pending.kind != op_kind::lock)
      return true;
    return state.owner.count(t.pending.object) == 0;
  }

  /// Applies the pending operation of `t` to the model and records it as the next step.
  static void grant(execution_state& state, thread_context& t) {
    const auto& op = t.pending;
    step s;
    s.actor = t.index_;
    s.operation = op_name(op.kind);
    s.object = op.name;
    s.where = op.where;
    switch (op.kind) {
    case op_kind::lock:
      state.owner[op.object] = t.index_;
      state.mutex_names[op.object] = op.name;
      break;
    case op_kind::try_lock:
      t.try_lock_result = state.owner.count(op.object) == 0;
      if (t.try_lock_result)
        state.owner[op.object] = t.index_;
      state.mutex_names[op.object] = op.name;
      s.value = t.try_lock_result ? "acquired" : "busy";
      break;
    case op_kind::unlock:
      state.owner.erase(op.object);
      break;
    default:
      break;
    }
    state.trace.push_back(std::move(s));
  }

  /// "T1 holds A, waits for B" for each thread on the cycle, starting from the lowest index.
  static std::vector<std::string> wait_for_cycle(const execution_state& state,
                                                 const std::vector<std::string>& names) {
    auto held_by = [&](int index) {
      std::string held;
      for (auto& [object, owner] : state.owner)
        if (owner == index)
          held += (held.empty() ? "" : ", ") + state.mutex_names.at(object);
      return held.empty() ? std::string{"nothing"} : held;
    };
    auto describe = [&](const thread_context& t) {
      auto line = names[t.index_] + " holds " + held_by(t.index_) + ", waits for " + t.pending.name;
      auto owner = state.owner.find(t.pending.object);
      if (owner != state.owner.end())
        line += " (held by " + names[owner->second] + ")";
      return line;
    };
    std::vector<std::string> lines;
    // Follow "waits for a mutex held by" from the first blocked thread until a thread repeats.
    std::vector<int> path;
    int at = -1;
    for (auto& t : state.threads)
      if (t->state == thread_state::waiting) {
        at = t->index_;
        break;
      }
    while (at >= 0 && !contains(path, at)) {
      path.push_back(at);
      auto& t = *state.threads[at];
      auto owner = state.owner.find(t.pending.object);
      at = (t.state == thread_state::waiting && owner != state.owner.end()) ? owner->second : -1;
    }
    auto start = at >= 0 ? std::find(path.begin(), path.end(), at) : path.begin();
    for (auto i = start; i != path.end(); ++i)
      lines.push_back(describe(*state.threads[*i]));
    return lines;
  }

  const thread_execution_factory& make_;
  const options& opts_;
};

/// A node of the depth-first search: one decision, and which alternatives were already taken.
struct search_node {
  decision taken;
  int preemptions_before = 0;
  std::vector<int> tried;
};

int preemption_cost(const decision& d, int alternative) {
  return (d.previous >= 0 && contains(d.enabled, d.previous) && alternative != d.previous) ? 1 : 0;
}

/// The non-preemptive default: keep running the thread that ran last, else the lowest index.
int default_choice(const std::vector<int>& enabled, int previous) {
  return contains(enabled, previous) ? previous : enabled.front();
}

report to_report(run_result&& r) {
  report out;
  out.result = r.result;
  out.actors = std::move(r.names);
  out.verdict = std::move(r.verdict);
  out.cycle = std::move(r.cycle);
  out.trace = std::move(r.trace);
  for (auto& d : r.decisions)
    out.failing_schedule.choices().push_back(d.chosen);
  return out;
}

using clock_type = std::chrono::steady_clock;

report search_systematic(schedule_runner& runner, const options& opts, clock_type::time_point t0) {
  std::vector<search_node> nodes;
  std::vector<int> prefix;
  std::uint64_t explored = 0;
  for (;;) {
    auto r = runner.run([&](std::size_t i, const std::vector<int>& enabled, int previous) {
      return i < prefix.size() ? prefix[i] : default_choice(enabled, previous);
    });
    ++explored;
    if (r.result != outcome::clean) {
      auto out = to_report(std::move(r));
      out.schedules_explored = explored;
      return out;
    }
    // Extend the search tree with the decisions this run made past the prefix.
    int preemptions = nodes.empty()
                          ? 0
                          : nodes.back().preemptions_before +
                                preemption_cost(nodes.back().taken, nodes.back().taken.chosen);
    for (std::size_t i = nodes.size(); i < r.decisions.size(); ++i) {
      nodes.push_back({r.decisions[i], preemptions, {r.decisions[i].chosen}});
      preemptions += preemption_cost(r.decisions[i], r.decisions[i].chosen);
    }
    // Backtrack to the deepest decision with an untried alternative inside the bound.
    bool found = false;
    while (!nodes.empty() && !found) {
      auto& n = nodes.back();
      for (int alternative : n.taken.enabled) {
        if (contains(n.tried, alternative))
          continue;
        if (n.preemptions_before + preemption_cost(n.taken, alternative) > opts.preemption_bound)
          continue;
        n.tried.push_back(alternative);
        n.taken.chosen = alternative;
        found = true;
        break;
      }
      if (!found)
        nodes.pop_back();
    }
    report out;
    out.schedules_explored = explored;
    if (!found) {
      out.search_exhausted = true;
      return out;
    }
    if (explored >= opts.max_schedules || clock_type::now() - t0 >= opts.time_limit)
      return out;
    prefix.clear();
    for (auto& n : nodes)
      prefix.push_back(n.taken.chosen);
  }
}

/// Probabilistic concurrency testing (Burckhardt et al.): random thread priorities, and at
/// `preemption_bound` random steps the running thread drops to the lowest priority.
report search_random(schedule_runner& runner, const options& opts, clock_type::time_point t0) {
  std::uint64_t explored = 0;
  std::size_t longest = 64;
  while (explored < opts.max_schedules && clock_type::now() - t0 < opts.time_limit) {
    std::mt19937_64 rng{opts.seed * 0x9E3779B97F4A7C15ULL + explored};
    std::map<int, long> priority;
    std::vector<std::size_t> change_points;
    for (int i = 0; i < opts.preemption_bound; ++i)
      change_points.push_back(1 + rng() % longest);
    long next_low = 0;
    auto r = runner.run([&](std::size_t i, const std::vector<int>& enabled, int previous) {
      for (int t : enabled)
        if (!priority.count(t))
          priority[t] = 1000 + static_cast<long>(rng() % 1'000'000);
      if (previous >= 0 && contains(change_points, i))
        priority[previous] = --next_low;
      return *std::max_element(enabled.begin(), enabled.end(),
                               [&](int a, int b) { return priority[a] < priority[b]; });
    });
    ++explored;
    longest = std::max(longest, r.decisions.size());
    if (r.result != outcome::clean) {
      auto out = to_report(std::move(r));
      out.schedules_explored = explored;
      out.seed = opts.seed;
      return out;
    }
  }
  report out;
  out.schedules_explored = explored;
  out.seed = opts.seed;
  return out;
}

} // namespace

report explore_threads(const thread_execution_factory& make, const options& opts) {
  auto t0 = clock_type::now();
  schedule_runner runner{make, opts};
  report out;
  if (opts.replay) {
    const auto& choices = opts.replay->choices();
    out = to_report(runner.run([&](std::size_t i, const std::vector<int>& enabled, int previous) {
      return i < choices.size() ? choices[i] : default_choice(enabled, previous);
    }));
    out.schedules_explored = 1;
  } else if (opts.search == strategy::random) {
    out = search_random(runner, opts, t0);
  } else {
    out = search_systematic(runner, opts, t0);
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0);
  return out;
}

} // namespace dca::explore
