// The search both explorers share: replay, depth-first within a preemption or delay bound raised
// step by step (CHESS; Emmi, Qadeer, Rakamaric), DPOR (dpor.cpp), and PCT (Burckhardt et al.). It
// sees an execution only through a runner, so every rule lives here once: a negative bound means
// no bound, each random schedule draws from a generator of its own (it stands alone), a failure
// found without a trace is run again to record one, a scenario whose schedules do not repeat is
// reported as not deterministic, and a search stopped by a budget or the clock says so.
#include "search.hpp"

#include <climits>
#include <map>
#include <memory>
#include <random>
#include <utility>

#include "dca/assert.hpp"
#include "search_steps.hpp"

namespace dca::explore::detail {

namespace {

const char* const replay_mismatch = "the schedule does not match this scenario";
const char* const not_deterministic =
    "the scenario is not deterministic: a schedule did not repeat when run again";

/// The runner's own choice: who it prefers, else the first who can run.
int default_choice(const decision& d) {
  DCA_ASSERT(!d.enabled.empty());
  return d.preferred >= 0 ? d.preferred : d.enabled.front();
}

} // namespace

bool dependent(const access& a, const access& b) {
  if (a.object == nullptr || a.object != b.object)
    return false;
  auto both = [&](access_kind x, access_kind y) {
    return (a.kind == x && b.kind == y) || (a.kind == y && b.kind == x);
  };
  return !both(access_kind::read, access_kind::read) &&
         !both(access_kind::deliver, access_kind::handle);
}

bool dependent(const footprint& a, const footprint& b) {
  return std::any_of(a.begin(), a.end(), [&b](const access& x) {
    return std::any_of(b.begin(), b.end(), [&x](const access& y) { return dependent(x, y); });
  });
}

std::vector<int> choices_of(const std::vector<decision>& ds) {
  std::vector<int> out;
  for (const auto& d : ds)
    out.push_back(d.chosen);
  return out;
}

chooser checked(chooser choose) {
  return [choose = std::move(choose)](std::size_t index, const decision& now) {
    DCA_ASSERT(!now.enabled.empty());
    int chosen = choose(index, now);
    DCA_ASSERT_MSG(contains(now.enabled, chosen), "a chooser picks someone who can run");
    return chosen;
  };
}

chooser follow(const std::vector<int>& choices, const char* unit) {
  return checked([&choices, unit](std::size_t index, const decision& now) {
    if (index >= choices.size())
      return default_choice(now);
    auto who = choices[index];
    if (!contains(now.enabled, who))
      throw schedule_mismatch(std::string{replay_mismatch} + ": at step " +
                              std::to_string(index + 1) + ", " + unit + " " + std::to_string(who) +
                              " has nothing to do");
    return who;
  });
}

bool out_of_time(clock_type::time_point began, const options& opts) {
  return clock_type::now() - began >= opts.time_limit;
}

chooser timed(chooser choose, clock_type::time_point began, const options& opts) {
  return [choose = std::move(choose), began, &opts](std::size_t index, const decision& now) {
    if (out_of_time(began, opts))
      throw stop_run{stop_reason::time_limit};
    return choose(index, now);
  };
}

bool may_continue(report& rep, clock_type::time_point began, const options& opts) {
  if (rep.schedules_explored >= opts.schedules_max)
    rep.stopped_by = "budget";
  else if (out_of_time(began, opts))
    rep.stopped_by = "time limit";
  return rep.stopped_by.empty();
}

namespace {

report to_report(run_result&& r) {
  report out;
  out.result = r.result;
  out.actors = std::move(r.actors);
  out.between_nodes = r.between_nodes;
  out.verdict = std::move(r.verdict);
  out.cycle = std::move(r.cycle);
  out.trace = std::move(r.trace);
  out.failing_schedule = schedule{choices_of(r.decisions)};
  DCA_ASSERT(out.trace.size() <= out.failing_schedule.size());
  return out;
}

} // namespace

report traced_report(runner& exec, run_result r) {
  if (!r.traced && !r.decisions.empty()) {
    auto choices = choices_of(r.decisions);
    auto again = exec.run(follow(choices, exec.unit_name()), true);
    if (again.result != r.result || choices_of(again.decisions) != choices) {
      report out;
      out.result = outcome::crashed;
      out.verdict = "the scenario is not deterministic: its schedule ended with \"" + r.verdict +
                    "\" once and with \"" + again.verdict + "\" when replayed";
      out.actors = std::move(again.actors);
      out.failing_schedule = schedule{std::move(choices)};
      return out;
    }
    r.trace = std::move(again.trace);
  }
  return to_report(std::move(r));
}

report failure_after(runner& exec, run_result r, const report& so_far) {
  auto out = traced_report(exec, std::move(r));
  out.schedules_explored = so_far.schedules_explored;
  out.classes_explored = so_far.classes_explored;
  out.seed = so_far.seed;
  return out;
}

report not_repeated_report(run_result&& r, std::vector<int> prefix, const char* unit) {
  report out;
  out.result = outcome::crashed;
  out.verdict = std::string{not_deterministic} + " (other " + unit + "s had work to do)";
  out.actors = std::move(r.actors);
  out.failing_schedule = schedule{std::move(prefix)};
  return out;
}

namespace {

report replay(runner& exec, const schedule& s) {
  const auto& choices = s.choices();
  auto r = exec.run(follow(choices, exec.unit_name()), true);
  DCA_ASSERT(r.traced);
  auto steps = r.decisions.size();
  if (steps < choices.size() && r.result != outcome::crashed && r.result != outcome::step_limit) {
    r.verdict = std::string{replay_mismatch} + ": it has " + std::to_string(choices.size()) +
                " steps, but the run ended after " + std::to_string(steps) + " (" +
                to_string(r.result) + ")";
    r.result = outcome::crashed;
  }
  auto out = traced_report(exec, std::move(r));
  out.schedules_explored = 1;
  return out;
}

// -- a turn of dca play ------------------------------------------------------------------------

/// Follows `choices`, then stops the run where they end; who could run there goes to `enabled`.
chooser stop_after(const std::vector<int>& choices, const char* unit, std::vector<int>& enabled) {
  auto follows = follow(choices, unit);
  return [follows, &choices, &enabled](std::size_t index, const decision& now) {
    if (index < choices.size())
      return follows(index, now);
    enabled = now.enabled;
    throw stop_run{stop_reason::turn};
  };
}

/// `prefix` run up to its end, and the step each thread (actor) that can run there would take: the
/// run of prefix + that choice, stopped one step later. A prefix that ends the run is a replay.
report turn(runner& exec, const schedule& prefix) {
  std::vector<int> enabled;
  auto r = exec.run(stop_after(prefix.choices(), exec.unit_name(), enabled), true);
  if (!r.stopped)
    return replay(exec, prefix);
  auto out = to_report(std::move(r));
  out.schedules_explored = 1;
  for (int who : enabled) {
    auto choices = prefix.choices();
    choices.push_back(who);
    std::vector<int> after;
    auto next = exec.run(stop_after(choices, exec.unit_name(), after), true);
    if (next.trace.size() != choices.size()) { // the runs of one prefix must repeat
      out.result = outcome::crashed;
      out.verdict = not_deterministic;
      out.choices.clear();
      return out;
    }
    out.choices.push_back(std::move(next.trace.back()));
  }
  return out;
}

// -- bounded systematic search ----------------------------------------------------------------

/// What a choice costs a bounded search. Preemption bounding (CHESS): 1 for leaving a thread that
/// could go on. Delay bounding (Emmi et al.): the scheduler goes round-robin from the one that ran
/// last, and choosing the k-th after its own choice delays k threads.
class cost_model {
public:
  explicit cost_model(strategy kind) : delays_(kind == strategy::delay) {}

  /// The choice that costs nothing after `previous` ran.
  int default_of(const decision& d, int previous) const {
    DCA_ASSERT(!d.enabled.empty());
    if (d.preferred >= 0 || !delays_)
      return default_choice(d);
    for (int who : d.enabled)
      if (who > previous)
        return who;
    return d.enabled.front();
  }

  int cost(const decision& d, int previous, int alternative) const {
    if (!delays_)
      return d.preferred >= 0 && alternative != d.preferred ? 1 : 0;
    auto n = static_cast<long>(d.enabled.size());
    auto at = [&](int who) {
      return std::find(d.enabled.begin(), d.enabled.end(), who) - d.enabled.begin();
    };
    return static_cast<int>((at(alternative) - at(default_of(d, previous)) + n) % n);
  }

private:
  bool delays_;
};

/// A node of the depth-first search: one decision, and which alternatives were already taken.
struct search_node {
  decision taken;
  int previous = -1;   // who ran the step before
  int cost_before = 0; // preemptions (delays) spent before this step
  std::vector<int> tried;
};

std::vector<int> prefix_of(const std::vector<search_node>& nodes) {
  std::vector<int> out;
  for (const auto& n : nodes)
    out.push_back(n.taken.chosen);
  return out;
}

/// A digest of who could run at each of the first `steps` decisions, so a prefix kept for later
/// can tell whether the run that follows it repeats the run it came from.
template <class T, class Decision>
std::uint64_t fingerprint(const std::vector<T>& xs, std::size_t steps, Decision decision_of) {
  std::uint64_t h = 1469598103934665603ULL; // FNV-1a
  for (std::size_t i = 0; i < steps && i < xs.size(); ++i)
    for (int who : decision_of(xs[i]).enabled)
      h = (h ^ static_cast<std::uint64_t>(who + 1)) * 1099511628211ULL;
  return h;
}

const decision& itself(const decision& d) {
  return d;
}

/// A prefix whose last choice costs more than the bound it was found at: explored at its level.
struct deferred_prefix {
  std::vector<int> choices;
  std::uint64_t enabled_digest = 0; // fingerprint of the run it came from, over its length
};

/// Whether run `r` had the same choices at every step of the prefix as the runs before it.
bool repeats(const std::vector<search_node>& nodes, const run_result& r) {
  if (r.decisions.size() < nodes.size())
    return false;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (r.decisions[i].enabled != nodes[i].taken.enabled)
      return false;
  return true;
}

/// Depth-first search within a bound raised one level at a time (0, 1, ... preemptions_max), so
/// the bugs a smaller bound can reach are found first. A choice over the current bound is kept,
/// as the prefix that leads to it, for the level it costs; no schedule runs twice.
class bounded_search {
public:
  bounded_search(runner& exec, const options& opts, clock_type::time_point began)
      : exec_(exec), opts_(opts), model_(opts.search), began_(began) {}

  report run() {
    deferred_[0].push_back({{}, fingerprint(std::vector<decision>{}, 0, itself)});
    while (!deferred_.empty()) {
      auto level = deferred_.begin()->first;
      if (opts_.preemptions_max >= 0 && level > opts_.preemptions_max) {
        rep_.bound_cut = true;
        break;
      }
      auto roots = std::move(deferred_.begin()->second);
      deferred_.erase(deferred_.begin());
      for (auto& root : roots)
        if (auto failure = explore_from(root, opts_.preemptions_max < 0 ? INT_MAX : level))
          return std::move(*failure);
        else if (!rep_.stopped_by.empty())
          return std::move(rep_);
    }
    rep_.search_exhausted = true;
    return std::move(rep_);
  }

private:
  /// Every schedule that starts with `root` and costs at most `bound`; a failure, if one is found.
  std::optional<report> explore_from(const deferred_prefix& root, int bound) {
    std::vector<search_node> nodes;
    auto prefix = root.choices;
    while (may_continue(rep_, began_, opts_)) {
      auto r = exec_.run(timed(chooser_for(prefix), began_, opts_), false);
      ++rep_.schedules_explored;
      if (r.stopped) {
        rep_.stopped_by = "time limit";
        return std::nullopt;
      }
      bool repeated = nodes.empty()
                          ? fingerprint(r.decisions, prefix.size(), itself) == root.enabled_digest
                          : repeats(nodes, r);
      if (!repeated || r.result != outcome::clean) {
        if (repeated)
          return failure_after(exec_, std::move(r), rep_);
        auto out = not_repeated_report(std::move(r), prefix, exec_.unit_name());
        out.schedules_explored = rep_.schedules_explored;
        return out;
      }
      rep_.actors = std::move(r.actors);
      extend(nodes, r.decisions);
      if (!backtrack(nodes, root.choices.size(), bound))
        return std::nullopt;
      prefix = prefix_of(nodes);
    }
    return std::nullopt;
  }

  /// Follows `prefix`, then the choices that cost nothing.
  chooser chooser_for(const std::vector<int>& prefix) {
    auto previous = std::make_shared<int>(-1);
    auto follows = follow(prefix, exec_.unit_name());
    return checked([this, &prefix, previous, follows](std::size_t index, const decision& now) {
      *previous = index < prefix.size() ? follows(index, now) : model_.default_of(now, *previous);
      return *previous;
    });
  }

  /// Adds the decisions a run made past the prefix to the search tree.
  void extend(std::vector<search_node>& nodes, const std::vector<decision>& decisions) const {
    int cost = 0;
    int previous = -1;
    if (!nodes.empty()) {
      const auto& last = nodes.back();
      cost = last.cost_before + model_.cost(last.taken, last.previous, last.taken.chosen);
      previous = last.taken.chosen;
    }
    for (std::size_t i = nodes.size(); i < decisions.size(); ++i) {
      nodes.push_back({decisions[i], previous, cost, {decisions[i].chosen}});
      cost += model_.cost(decisions[i], previous, decisions[i].chosen);
      previous = decisions[i].chosen;
    }
  }

  /// Moves to the deepest decision below `depth_fixed` with an untried alternative within
  /// `bound`; alternatives over it wait for their level. False when none is left.
  bool backtrack(std::vector<search_node>& nodes, std::size_t depth_fixed, int bound) {
    while (nodes.size() > depth_fixed) {
      auto& n = nodes.back();
      for (int alternative : n.taken.enabled) {
        if (contains(n.tried, alternative))
          continue;
        n.tried.push_back(alternative);
        auto cost = n.cost_before + model_.cost(n.taken, n.previous, alternative);
        if (cost <= bound) {
          n.taken.chosen = alternative;
          return true;
        }
        auto prefix = prefix_of(nodes);
        prefix.back() = alternative;
        auto digest = fingerprint(nodes, nodes.size(),
                                  [](const search_node& m) -> const decision& { return m.taken; });
        deferred_[cost].push_back({std::move(prefix), digest});
      }
      nodes.pop_back();
    }
    return false;
  }

  runner& exec_;
  const options& opts_;
  cost_model model_;
  clock_type::time_point began_;
  std::map<int, std::vector<deferred_prefix>> deferred_; // cost -> prefixes that start there
  report rep_;
};

// -- random search (PCT) ----------------------------------------------------------------------

/// Probabilistic concurrency testing (Burckhardt et al.): random priorities, given when a thread
/// (actor) can first run, the highest-priority one runs, and at d - 1 random steps (d: the bug
/// depth aimed at) the one that ran last drops to the lowest priority. Schedule `index` of a
/// search seeds its own generator from (seed, index), so no schedule depends on the draws of
/// another.
class pct_chooser {
public:
  pct_chooser(const options& opts, std::uint64_t index, std::size_t steps_expected)
      : rng_{opts.seed * 0x9E3779B97F4A7C15ULL + index} {
    DCA_ASSERT(steps_expected > 0);
    int change_points = opts.pct_depth > 0 ? opts.pct_depth - 1 : opts.preemptions_max;
    for (int i = 0; i < change_points; ++i)
      change_points_.push_back(1 + rng_() % steps_expected);
  }

  int operator()(std::size_t index, const decision& now) {
    for (int who : now.enabled)
      if (priorities_.count(who) == 0)
        priorities_[who] = 1000 + static_cast<long>(rng_() % 1'000'000);
    if (previous_ >= 0 && contains(change_points_, index))
      priorities_[previous_] = --lowest_;
    previous_ = *std::max_element(now.enabled.begin(), now.enabled.end(),
                                  [&](int a, int b) { return priorities_[a] < priorities_[b]; });
    return previous_;
  }

private:
  std::mt19937_64 rng_;
  std::vector<std::size_t> change_points_;
  std::map<int, long> priorities_;
  long lowest_ = 0;
  int previous_ = -1;
};

report search_random(runner& exec, const options& opts, clock_type::time_point began) {
  report rep;
  rep.seed = opts.seed;
  std::size_t steps_expected = 64; // the longest run seen so far, at least this
  while (may_continue(rep, began, opts)) {
    pct_chooser pick{opts, rep.schedules_explored, steps_expected};
    auto choose = [&pick](std::size_t i, const decision& d) { return pick(i, d); };
    auto r = exec.run(timed(checked(choose), began, opts), false);
    ++rep.schedules_explored;
    steps_expected = std::max(steps_expected, r.decisions.size());
    if (r.stopped) {
      rep.stopped_by = "time limit";
      break;
    }
    if (r.result != outcome::clean)
      return failure_after(exec, std::move(r), rep);
    rep.actors = std::move(r.actors);
  }
  return rep;
}

} // namespace

report search(runner& exec, const options& opts) {
  DCA_ASSERT(opts.steps_max > 0);
  DCA_ASSERT(opts.time_limit.count() >= 0);
  auto began = clock_type::now();
  report out;
  if (opts.turn_after)
    out = turn(exec, *opts.turn_after);
  else if (opts.replay)
    out = replay(exec, *opts.replay);
  else if (opts.search == strategy::random)
    out = search_random(exec, opts, began);
  else if (opts.search == strategy::dpor)
    out = search_dpor(exec, opts, began);
  else
    out = bounded_search{exec, opts, began}.run();
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - began);
  DCA_ASSERT(out.schedules_explored <= std::max<std::uint64_t>(opts.schedules_max, 1));
  if (out.search_exhausted)
    DCA_ASSERT_MSG(!out.failed(), "an exhausted search found nothing");
  if (out.search_exhausted)
    DCA_ASSERT_MSG(out.stopped_by.empty(), "an exhausted search was not stopped");
  if (!out.failed() && !opts.replay && !opts.turn_after)
    DCA_ASSERT_MSG(out.failing_schedule.empty(), "a clean search names no failing schedule");
  return out;
}

} // namespace dca::explore::detail
