// The steps every search strategy shares, private to search.cpp and dpor.cpp: choosers that follow
// a schedule or watch the clock, and the report of a failing run (run again with its trace).
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "search.hpp"

namespace dca::explore::detail {

using clock_type = std::chrono::steady_clock;

template <class T>
bool contains(const std::vector<T>& xs, T x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::vector<int> choices_of(const std::vector<decision>& ds);

/// `choose` with its postcondition checked: whoever it picks can run.
chooser checked(chooser choose);

/// Follows `choices` step by step, then the runner's own choices. A choice of someone who cannot
/// run raises schedule_mismatch, naming the step and the `unit` ("thread 5", "actor 2").
chooser follow(const std::vector<int>& choices, const char* unit);

/// `choose`, but a schedule still running when `opts.time_limit` has passed since `began` stops.
chooser timed(chooser choose, clock_type::time_point began, const options& opts);

bool out_of_time(clock_type::time_point began, const options& opts);

/// The report of a failing run, with its trace: a run found without one is run again, traced; a
/// run that ends differently the second time means the scenario is not deterministic.
report traced_report(runner& exec, run_result r);

/// traced_report of the run that failed after the schedules of `so_far`, with its counts.
report failure_after(runner& exec, run_result r, const report& so_far);

/// A schedule whose prefix did not repeat: who could run at some step was not who could before.
report not_repeated_report(run_result&& r, std::vector<int> prefix, const char* unit);

/// Whether a search that has explored `explored` schedules may start one more; when not, says
/// why in `rep.stopped_by`.
bool may_continue(report& rep, clock_type::time_point began, const options& opts);

/// Exhaustive search with dynamic partial-order reduction and sleep sets (dpor.cpp).
report search_dpor(runner& exec, const options& opts, clock_type::time_point began);

} // namespace dca::explore::detail
