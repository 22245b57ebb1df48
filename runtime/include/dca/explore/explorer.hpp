// The interleaving explorer for threads over shared state. It runs the threads of a scenario one at
// a time, switching only at instrumented operations (dca::shared, dca::mutex), and searches the
// schedules -- systematically within a preemption bound, or at random from a seed -- until one
// breaks the scenario's invariant. The failing schedule replays exactly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::explore {

struct thread_body {
  std::string name; // "T1 withdraw(80)": a column header of the trace table
  std::function<void()> run;
};

/// One execution of a scenario: fresh state, the threads to run over it, and the invariant.
struct thread_execution {
  std::vector<thread_body> threads;
  /// Called once every thread has finished. Returns a one-line verdict when the invariant is
  /// broken ("both threads read 0 and wrote 1: one increment lost"), nothing when it holds.
  std::function<std::optional<std::string>(const std::vector<step>& trace)> check;
};

/// Builds a fresh execution; called once per explored schedule, so state must not leak between
/// calls (capture it in the closures by shared_ptr).
using thread_execution_factory = std::function<thread_execution()>;

/// Searches schedules as `opts` says and reports the first failure, or that none was found.
report explore_threads(const thread_execution_factory& make, const options& opts = {});

} // namespace dca::explore
