// The search both explorers share: replay, depth-first within a preemption bound (CHESS), and PCT
// (Burckhardt et al.). It sees an execution only through a runner, so every rule lives here once:
// a negative bound means no bound, each random schedule draws from a generator of its own (it
// stands alone), a failure found without a trace is run again to record one, and a scenario whose
// schedules do not repeat is reported as not deterministic.
#include "search.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <utility>

#include "dca/assert.hpp"

namespace dca::explore::detail {

namespace {

using clock_type = std::chrono::steady_clock;

const char* const replay_mismatch = "the schedule does not match this scenario";
const char* const not_deterministic =
    "the scenario is not deterministic: a schedule did not repeat when run again";

template <class T>
bool contains(const std::vector<T>& xs, T x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

/// The runner's own choice: who it prefers, else the first who can run.
int default_choice(const decision& d) {
  DCA_ASSERT(!d.enabled.empty());
  return d.preferred >= 0 ? d.preferred : d.enabled.front();
}

/// 1 when choosing `alternative` at `d` is a preemption, else 0.
int preemption_cost(const decision& d, int alternative) {
  return d.preferred >= 0 && alternative != d.preferred ? 1 : 0;
}

/// Whether `preemptions` fit in `preemptions_max` (negative: no bound).
bool within(int preemptions, int preemptions_max) {
  return preemptions_max < 0 || preemptions <= preemptions_max;
}

std::vector<int> choices_of(const std::vector<decision>& ds) {
  std::vector<int> out;
  for (const auto& d : ds)
    out.push_back(d.chosen);
  return out;
}

/// `choose` with its postcondition checked: whoever it picks can run.
chooser checked(chooser choose) {
  return [choose = std::move(choose)](std::size_t index, const decision& now) {
    DCA_ASSERT(!now.enabled.empty());
    int chosen = choose(index, now);
    DCA_ASSERT_MSG(contains(now.enabled, chosen), "a chooser picks someone who can run");
    return chosen;
  };
}

/// Follows `choices` step by step, then the runner's own choices. A choice of someone who cannot
/// run raises schedule_mismatch, naming the step and the `unit` ("thread 5", "actor 2").
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

report to_report(run_result&& r) {
  report out;
  out.result = r.result;
  out.actors = std::move(r.actors);
  out.verdict = std::move(r.verdict);
  out.cycle = std::move(r.cycle);
  out.trace = std::move(r.trace);
  out.failing_schedule = schedule{choices_of(r.decisions)};
  DCA_ASSERT(out.trace.size() <= out.failing_schedule.size());
  return out;
}

/// The report of a failing run, with its trace: a run found without one is run again, traced; a
/// run that ends differently the second time means the scenario is not deterministic.
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

// -- systematic search
// -----------------------------------------------------------------------------

/// A node of the depth-first search: one decision, and which alternatives were already taken.
struct search_node {
  decision taken;
  int preemptions_before = 0;
  std::vector<int> tried;
};

std::vector<int> prefix_of(const std::vector<search_node>& nodes) {
  std::vector<int> out;
  for (const auto& n : nodes)
    out.push_back(n.taken.chosen);
  return out;
}

/// Whether run `r` had the same choices at every step of the prefix as the runs before it.
bool repeats(const std::vector<search_node>& nodes, const run_result& r) {
  if (r.decisions.size() < nodes.size())
    return false;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (r.decisions[i].enabled != nodes[i].taken.enabled)
      return false;
  return true;
}

/// Adds the decisions a run made past the prefix to the search tree.
void extend(std::vector<search_node>& nodes, const std::vector<decision>& decisions) {
  int preemptions = 0;
  if (!nodes.empty()) {
    const auto& last = nodes.back();
    preemptions = last.preemptions_before + preemption_cost(last.taken, last.taken.chosen);
  }
  for (std::size_t i = nodes.size(); i < decisions.size(); ++i) {
    nodes.push_back({decisions[i], preemptions, {decisions[i].chosen}});
    preemptions += preemption_cost(decisions[i], decisions[i].chosen);
  }
}

/// Moves to the deepest decision with an untried alternative within the bound. False when every
/// schedule within the bound has been tried.
bool backtrack(std::vector<search_node>& nodes, int preemptions_max) {
  while (!nodes.empty()) {
    auto& n = nodes.back();
    for (int alternative : n.taken.enabled) {
      if (contains(n.tried, alternative))
        continue;
      if (!within(n.preemptions_before + preemption_cost(n.taken, alternative), preemptions_max))
        continue;
      n.tried.push_back(alternative);
      n.taken.chosen = alternative;
      return true;
    }
    nodes.pop_back();
  }
  return false;
}

/// A schedule whose prefix did not repeat: who could run at some step was not who could before.
report not_repeated_report(run_result&& r, std::vector<int> prefix, const char* unit) {
  report out;
  out.result = outcome::crashed;
  out.verdict = std::string{not_deterministic} + " (other " + unit + "s had work to do)";
  out.actors = std::move(r.actors);
  out.failing_schedule = schedule{std::move(prefix)};
  return out;
}

bool out_of_time(clock_type::time_point began, const options& opts) {
  return clock_type::now() - began >= opts.time_limit;
}

report search_systematic(runner& exec, const options& opts, clock_type::time_point began) {
  std::vector<search_node> nodes;
  report rep;
  while (rep.schedules_explored < opts.schedules_max && !out_of_time(began, opts)) {
    auto prefix = prefix_of(nodes);
    auto r = exec.run(follow(prefix, exec.unit_name()), false);
    ++rep.schedules_explored;
    if (!repeats(nodes, r)) {
      auto out = not_repeated_report(std::move(r), std::move(prefix), exec.unit_name());
      out.schedules_explored = rep.schedules_explored;
      return out;
    }
    if (r.result != outcome::clean) {
      auto out = traced_report(exec, std::move(r));
      out.schedules_explored = rep.schedules_explored;
      return out;
    }
    rep.actors = std::move(r.actors);
    extend(nodes, r.decisions);
    if (!backtrack(nodes, opts.preemptions_max)) {
      rep.search_exhausted = true;
      break;
    }
  }
  return rep;
}

// -- random search (PCT)
// ---------------------------------------------------------------------------

/// Probabilistic concurrency testing (Burckhardt et al.): random priorities, given when a thread
/// (actor) can first run, the highest-priority one runs, and at `preemptions_max` random steps the
/// one that ran last drops to the lowest priority. Schedule `index` of a search seeds its own
/// generator from (seed, index), so no schedule depends on the draws of another.
class pct_chooser {
public:
  pct_chooser(const options& opts, std::uint64_t index, std::size_t steps_expected)
      : rng_{opts.seed * 0x9E3779B97F4A7C15ULL + index} {
    DCA_ASSERT(steps_expected > 0);
    for (int i = 0; i < opts.preemptions_max; ++i)
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
  while (rep.schedules_explored < opts.schedules_max && !out_of_time(began, opts)) {
    pct_chooser pick{opts, rep.schedules_explored, steps_expected};
    auto r =
        exec.run(checked([&pick](std::size_t i, const decision& d) { return pick(i, d); }), false);
    ++rep.schedules_explored;
    steps_expected = std::max(steps_expected, r.decisions.size());
    if (r.result != outcome::clean) {
      auto out = traced_report(exec, std::move(r));
      out.schedules_explored = rep.schedules_explored;
      out.seed = opts.seed;
      return out;
    }
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
  if (opts.replay)
    out = replay(exec, *opts.replay);
  else if (opts.search == strategy::random)
    out = search_random(exec, opts, began);
  else
    out = search_systematic(exec, opts, began);
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - began);
  DCA_ASSERT(out.schedules_explored <= std::max<std::uint64_t>(opts.schedules_max, 1));
  if (out.search_exhausted)
    DCA_ASSERT_MSG(!out.failed(), "an exhausted search found nothing");
  if (!out.failed() && !opts.replay)
    DCA_ASSERT_MSG(out.failing_schedule.empty(), "a clean search names no failing schedule");
  return out;
}

} // namespace dca::explore::detail
