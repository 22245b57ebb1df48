// Checking a learner's exercise: build their message_passing.cpp against the exercise's spec, run
// the spec with a time limit, and say in words what happened. `dca check` and the watch loop share
// it.
#pragma once

#include <string>

#include "context.hpp"

namespace dca::cli {

/// What one check of the learner's exercise found, in words.
struct check_outcome {
  bool passed = false;
  std::string headline; // one line: "lost 3 of 2,000,000 increments — run `dca explore 01`..."
  std::string details;  // the failing checks, or the compiler's first errors
};

/// Builds and runs exercise `e`'s spec against the learner's file; marks progress when it passes.
check_outcome check_exercise(const context& ctx, const exercise_entry& e);

/// Re-checks every exercise passed so far; exit_failed if any regressed.
int check_all(const context& ctx);

} // namespace dca::cli
