// Checking a learner's exercise: build their message_passing.cpp against the exercise's spec, run
// the spec with a time limit, and say in words what happened. `dca check` and the watch loop share
// it.
#pragma once

#include <chrono>
#include <string>

#include "context.hpp"

namespace dca::cli {

/// What one check of the learner's exercise found, in words.
struct check_outcome {
  bool passed = false;
  bool timed_out = false;   // the spec ran past its time limit
  bool interrupted = false; // Ctrl-C stopped it (the spec's process group is killed)
  std::string headline; // one line: "lost 3 of 2,000,000 increments — run `dca explore 01`..."
  std::string details;  // the failing checks, or the compiler's first errors
};

/// Builds and runs exercise `e`'s spec against the learner's file; marks progress when it passes.
check_outcome check_exercise(const context& ctx, const exercise_entry& e);

/// "  still running WHAT: 12 s of at most 120 s (Ctrl-C stops it)", on a terminal only.
void still_running(const std::string& what, std::chrono::steady_clock::time_point started,
                   std::chrono::seconds limit);

/// Re-checks every exercise passed so far; exit_failed if any regressed.
int check_all(const context& ctx);

} // namespace dca::cli
