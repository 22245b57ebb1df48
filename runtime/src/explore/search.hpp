// The one search behind both explorers. A runner executes one schedule of a fresh execution
// (threads for the thread explorer, CAF's test coordinator for the actor explorer), asking a
// chooser at every step; the search decides what to ask: a replayed schedule, depth-first within
// a preemption bound, or PCT priorities. Both explorers therefore read options the same way.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::explore::detail {

/// One step of a schedule: who could run, whom the runner would run on its own, who ran.
struct decision {
  std::vector<int> enabled; // the threads (actors) that could run, in the runner's order
  int preferred = -1;       // the non-preemptive choice; -1 when no choice is a preemption
  int chosen = -1;          // who ran; -1 until chosen
};

/// Picks the `chosen` of `now` at step `index` (counting from 0). Throws schedule_mismatch when a
/// schedule being followed names someone who cannot run.
using chooser = std::function<int(std::size_t index, const decision& now)>;

/// Raised by a chooser that follows a schedule which does not fit the execution.
class schedule_mismatch : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// What one schedule of one execution did.
struct run_result {
  outcome result = outcome::clean;
  std::string verdict;
  std::vector<std::string> cycle;
  std::vector<std::string> actors; // names, in index order
  std::vector<step> trace;         // empty unless the run was traced
  std::vector<decision> decisions; // one per step
  bool traced = false;             // whether `trace` was recorded
};

/// Executes one schedule of a fresh execution. Implementations: threads (explorer.cpp), actors
/// (actor_explorer.cpp).
class runner {
public:
  virtual ~runner() = default;

  /// Runs one schedule, asking `choose` at every step. `traced` asks for the trace; a runner may
  /// record it anyway (and then says so in run_result::traced).
  virtual run_result run(const chooser& choose, bool traced) = 0;

  /// What the runner schedules, for messages: "thread" or "actor".
  virtual const char* unit_name() const noexcept = 0;
};

/// Runs the search `opts` asks for over `exec`, and reports the first failure or that none was
/// found. A negative `opts.preemptions_max` means no bound.
report search(runner& exec, const options& opts);

} // namespace dca::explore::detail
