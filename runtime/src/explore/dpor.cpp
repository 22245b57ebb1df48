// Dynamic partial-order reduction with sleep sets (Flanagan and Godefroid, POPL 2005; Godefroid's
// sleep sets). Two schedules that differ only in the order of independent steps (steps of
// different threads on different objects, or two reads) end in the same state, so the search runs
// one schedule per class of such reorderings: after each run it finds the races in the trace (two
// dependent steps of different threads not ordered by anything else) and adds the reversed order
// as a branch to try at the earlier step; sleep sets keep a branch from repeating a class that a
// sibling already covered. Sound for programs that terminate; the count of interleavings without
// reduction is the multinomial of the steps each thread took.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "dca/assert.hpp"
#include "search_steps.hpp"

namespace dca::explore::detail {

namespace {

/// A thread asleep at a node: it need not run until a step dependent with `next` has run.
struct sleeper {
  int who = -1;
  footprint next;
};

struct dpor_node {
  decision taken;              // who could run, what each would do, who ran
  std::vector<int> backtrack;  // who must run from here, found by race analysis
  std::vector<int> done;       // who has run from here in earlier schedules
  std::vector<sleeper> asleep; // who need not run from here
  /// What each who ran from here touched, for runners that say it only after the step (actors).
  std::map<int, footprint> learned;
};

/// What `who` does at `n`: what the runner said before the step, or what it touched when it ran
/// from here; a step nobody can say anything about touches one object every step touches.
footprint footprint_of(const dpor_node& n, int who) {
  static const char everything = 0;
  const auto& d = n.taken;
  if (who == d.chosen && !d.touched.empty())
    return d.touched;
  if (!d.next.empty()) {
    auto at = std::find(d.enabled.begin(), d.enabled.end(), who) - d.enabled.begin();
    DCA_ASSERT(static_cast<std::size_t>(at) < d.next.size());
    return d.next[static_cast<std::size_t>(at)];
  }
  if (auto known = n.learned.find(who); known != n.learned.end())
    return known->second;
  return {{&everything, access_kind::write}};
}

bool is_asleep(const dpor_node& n, int who) {
  return std::any_of(n.asleep.begin(), n.asleep.end(), [&](auto& s) { return s.who == who; });
}

/// Who sleeps after `n`'s step: those asleep at `n` or done from it, unless the step woke them.
std::vector<sleeper> asleep_after(const dpor_node& n) {
  auto ran = footprint_of(n, n.taken.chosen);
  std::vector<sleeper> out;
  for (const auto& s : n.asleep)
    if (!dependent(s.next, ran))
      out.push_back(s);
  for (int who : n.done)
    if (who != n.taken.chosen && !dependent(footprint_of(n, who), ran))
      out.push_back({who, footprint_of(n, who)});
  return out;
}

/// Follows the tree's prefix, then extends the tree: the runner's own choice unless it sleeps,
/// and a schedule where everyone who can run sleeps is redundant.
class dpor_chooser {
public:
  dpor_chooser(std::vector<dpor_node>& nodes, std::size_t prefix)
      : nodes_(nodes), prefix_(prefix) {}

  int operator()(std::size_t index, const decision& now) {
    if (index < prefix_) {
      auto& n = nodes_[index];
      if (n.taken.enabled != now.enabled)
        throw schedule_mismatch("the scenario is not deterministic: a schedule did not repeat "
                                "when run again");
      // Each thread execution has objects of its own: what the node knew of them, it learns
      // anew. (Actors name mailboxes by actor index, the same in every execution.)
      if (!now.next.empty()) {
        n.taken.next = now.next;
        for (auto& s : n.asleep)
          s.next = footprint_of(n, s.who);
      }
      return n.taken.chosen;
    }
    DCA_ASSERT(index == nodes_.size());
    dpor_node n;
    n.taken = now;
    if (!nodes_.empty()) {
      if (!now.touched_before.empty())
        nodes_.back().taken.touched = now.touched_before;
      n.asleep = asleep_after(nodes_.back());
    }
    n.taken.chosen = pick(n);
    if (n.taken.chosen < 0) {
      for (const auto& s : n.asleep)
        if (contains(now.enabled, s.who))
          blocked_by_.push_back(s);
      throw stop_run{stop_reason::redundant};
    }
    n.backtrack = {n.taken.chosen};
    nodes_.push_back(std::move(n));
    return nodes_.back().taken.chosen;
  }

  /// Who slept where a redundant schedule stopped, with what each would do; empty when the
  /// schedule ran to its end.
  const std::vector<sleeper>& blocked_by() const { return blocked_by_; }

private:
  static int pick(const dpor_node& n) {
    if (n.taken.preferred >= 0 && !is_asleep(n, n.taken.preferred))
      return n.taken.preferred;
    for (int who : n.taken.enabled)
      if (!is_asleep(n, who))
        return who;
    return -1;
  }

  std::vector<dpor_node>& nodes_;
  std::size_t prefix_;
  std::vector<sleeper> blocked_by_;
};

/// Asks for `who` to run first at `n`, or for everyone there when it cannot run there.
void add_backtrack(dpor_node& n, int who) {
  std::vector<int> wanted{who};
  if (!contains(n.taken.enabled, who))
    wanted = n.taken.enabled;
  for (int w : wanted)
    if (!contains(n.backtrack, w))
      n.backtrack.push_back(w);
}

/// Whether reversing two dependent steps is a schedule: a blocking lock never runs while another
/// thread holds the mutex, so it cannot be swapped with that thread's unlock, and a quiescent
/// step (a timeout) waits for every step before it.
bool reversible(const footprint& a, const footprint& b) {
  for (const auto& x : a)
    for (const auto& y : b) {
      auto one_is = [&](access_kind k) { return x.kind == k || y.kind == k; };
      if (one_is(access_kind::quiescent))
        return false;
      if (x.object == y.object && one_is(access_kind::acquire) && one_is(access_kind::release))
        return false;
    }
  return true;
}

/// The happens-before order of a trace as vector clocks, and the races it leaves open.
class race_finder {
public:
  race_finder(std::vector<dpor_node>& nodes, std::size_t threads)
      : nodes_(nodes), thread_clock_(threads, std::vector<int>(threads, 0)) {}

  /// Step `k` of the trace: adds a branch at each earlier step it races with, then orders it.
  /// A join comes after every step of the thread it joined, and a spawned thread's steps after
  /// the spawn: without these edges, what a thread wrote before a spawn (or its child before the
  /// join) looked like a race, and the search tried orders the program cannot run.
  void add_step(std::size_t k) {
    int who = nodes_[k].taken.chosen;
    auto a = footprint_of(nodes_[k], who);
    for (const auto& x : a)
      if (x.kind == access_kind::join)
        join_into(thread_clock_[static_cast<std::size_t>(who)], clock_of(x.thread));
    auto clock = races(who, a);
    clock[static_cast<std::size_t>(who)] += 1;
    event_clock_.push_back(clock);
    for (const auto& x : a)
      if (x.kind == access_kind::spawn)
        join_into(thread_clock_[static_cast<std::size_t>(x.thread)], clock);
    thread_clock_[static_cast<std::size_t>(who)] = std::move(clock);
    for (const auto& x : a)
      if (x.object != nullptr && (steps_on_[x.object].empty() || steps_on_[x.object].back() != k))
        steps_on_[x.object].push_back(k);
  }

  /// What `who` would do next, never done (a schedule stopped as redundant): its races only.
  void add_pending(int who, const footprint& a) { races(who, a); }

private:
  static void join_into(std::vector<int>& into, const std::vector<int>& from) {
    for (std::size_t t = 0; t < into.size(); ++t)
      into[t] = std::max(into[t], from[t]);
  }

  const std::vector<int>& clock_of(int thread) const {
    DCA_ASSERT(thread >= 0 && static_cast<std::size_t>(thread) < thread_clock_.size());
    return thread_clock_[static_cast<std::size_t>(thread)];
  }

  /// Adds a branch for each race of (`who`, `a`) with an earlier step; returns the clock of `who`
  /// joined with every earlier step it depends on.
  std::vector<int> races(int who, const footprint& a) {
    const auto& known = thread_clock_[static_cast<std::size_t>(who)];
    auto clock = known;
    for (auto i : earlier_steps_on(a)) {
      int other = nodes_[i].taken.chosen;
      auto b = footprint_of(nodes_[i], other);
      if (other == who || !dependent(a, b))
        continue;
      auto q = static_cast<std::size_t>(other);
      if (event_clock_[i][q] > known[q] && reversible(a, b))
        add_backtrack(nodes_[i], who);
      join_into(clock, event_clock_[i]);
    }
    return clock;
  }

  /// The earlier steps that touched an object of `a`, each once, in trace order.
  std::vector<std::size_t> earlier_steps_on(const footprint& a) {
    if (a.size() == 1)
      return steps_on_[a.front().object];
    std::vector<std::size_t> out;
    for (const auto& x : a)
      if (x.object != nullptr)
        out.insert(out.end(), steps_on_[x.object].begin(), steps_on_[x.object].end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::vector<dpor_node>& nodes_;
  std::vector<std::vector<int>> thread_clock_; // what each thread's last step knows
  std::vector<std::vector<int>> event_clock_;  // per step
  std::map<const void*, std::vector<std::size_t>> steps_on_;
};

/// How many threads the trace has: every one that could run, or was spawned.
std::size_t threads_in(const std::vector<dpor_node>& nodes, const std::vector<sleeper>& last) {
  int highest = 0;
  for (const auto& n : nodes) {
    for (int who : n.taken.enabled)
      highest = std::max(highest, who);
    for (const auto& x : footprint_of(n, n.taken.chosen))
      highest = std::max(highest, x.thread);
  }
  for (const auto& s : last)
    highest = std::max(highest, s.who);
  return static_cast<std::size_t>(highest) + 1;
}

void add_backtracks(std::vector<dpor_node>& nodes, const std::vector<sleeper>& blocked_by) {
  race_finder finder{nodes, threads_in(nodes, blocked_by)};
  for (std::size_t k = 0; k < nodes.size(); ++k)
    finder.add_step(k);
  for (const auto& s : blocked_by)
    finder.add_pending(s.who, s.next);
}

/// Keeps what a run's steps touched, for runners that say it only after the step: the node's own
/// step, and what that thread does from there in later branches' sleep sets.
void learn(std::vector<dpor_node>& nodes, const std::vector<decision>& decisions) {
  for (std::size_t k = 0; k < nodes.size() && k < decisions.size(); ++k) {
    const auto& touched = decisions[k].touched;
    if (touched.empty())
      continue;
    nodes[k].taken.touched = touched;
    nodes[k].learned[nodes[k].taken.chosen] = touched;
  }
}

/// How many orders of these steps keep each thread's own order: the multinomial coefficient,
/// saturating at the largest std::uint64_t.
std::uint64_t interleavings_of(const std::vector<dpor_node>& nodes) {
  std::map<int, std::uint64_t> steps_of;
  for (const auto& n : nodes)
    ++steps_of[n.taken.chosen];
  long double total = 1;
  long double steps = 0;
  for (auto& [who, count] : steps_of)
    for (std::uint64_t j = 1; j <= count; ++j)
      total = total * ++steps / static_cast<long double>(j);
  constexpr auto most = std::numeric_limits<std::uint64_t>::max();
  return total >= static_cast<long double>(most) ? most : static_cast<std::uint64_t>(total + 0.5L);
}

/// Moves to the deepest node with a branch still to try. False when none is left.
bool next_branch(std::vector<dpor_node>& nodes) {
  while (!nodes.empty()) {
    auto& n = nodes.back();
    if (!contains(n.done, n.taken.chosen))
      n.done.push_back(n.taken.chosen);
    for (int who : n.backtrack)
      if (!contains(n.done, who) && !is_asleep(n, who)) {
        n.taken.chosen = who;
        n.taken.touched.clear(); // learned anew when `who` has run
        return true;
      }
    nodes.pop_back();
  }
  return false;
}

} // namespace

report search_dpor(runner& exec, const options& opts, clock_type::time_point began) {
  std::vector<dpor_node> nodes;
  report rep;
  while (may_continue(rep, began, opts)) {
    dpor_chooser pick{nodes, nodes.size()};
    auto r =
        exec.run(timed(checked([&pick](std::size_t i, const decision& d) { return pick(i, d); }),
                       began, opts),
                 false);
    ++rep.schedules_explored;
    if (r.stopped == stop_reason::time_limit) {
      rep.stopped_by = "time limit";
      break;
    }
    if (r.result != outcome::clean)
      return failure_after(exec, std::move(r), rep);
    rep.actors = std::move(r.actors);
    if (!r.stopped) {
      ++rep.classes_explored;
      rep.interleavings_naive = std::max(rep.interleavings_naive, interleavings_of(nodes));
    }
    learn(nodes, r.decisions);
    add_backtracks(nodes, pick.blocked_by());
    if (!next_branch(nodes)) {
      rep.search_exhausted = true;
      break;
    }
  }
  return rep;
}

} // namespace dca::explore::detail
