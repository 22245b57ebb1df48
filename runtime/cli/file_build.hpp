// Building one exercise's spec and program from a message_passing.cpp that is not the one in the
// build tree (a submission to replay, the committed skeleton when the learner has edited theirs),
// with the instructor's flags and objects: the plan `dca grade` uses (grade/build_plan.hpp).
#pragma once

#include <filesystem>
#include <string>

#include "context.hpp"

namespace dca::cli {

/// What building from a file made, or why it could not.
struct file_built {
  std::filesystem::path spec;    // the spec binary, when built
  std::filesystem::path program; // the exercise program (run, explore), when built
  std::string error;             // one line, then the compiler's first errors; empty when built

  bool ok() const noexcept { return error.empty(); }
};

/// Builds exercise `e`'s spec and program from `source` into `dir` (created if need be).
file_built build_from_file(const context& ctx, const exercise_entry& e,
                           const std::filesystem::path& source, const std::filesystem::path& dir);

} // namespace dca::cli
