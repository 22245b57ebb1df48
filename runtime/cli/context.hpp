// What every dca command needs to know: where the learner's checkout and its build are, and the
// curriculum. Plus the helpers most commands share.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "manifest.hpp"
#include "process.hpp"

namespace dca::cli {

/// Exit statuses of dca: 0 ok, 1 the thing checked failed, 2 bad usage.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

struct context {
  std::filesystem::path source_dir; // the checkout: exercises/, solutions/, .dca/
  std::filesystem::path build_dir;  // its CMake build tree
  manifest curriculum;

  /// The exercise named on the command line, or a usage error naming what to type instead.
  const exercise_entry& exercise(const std::string& name) const;

  /// `cmake --build` of the given targets; on failure the result holds the compiler's output.
  process_result build(const std::vector<std::string>& targets) const;

  /// Path of a program built from exercises/ (e.g. "ex01", "sol01", "ex01_spec").
  std::filesystem::path program(const std::string& target) const;
};

/// A usage error: printed as one line, exit status 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The learner's progress, kept in .dca/progress in the checkout (never touched by upgrades).
class progress {
public:
  explicit progress(const std::filesystem::path& source_dir);
  bool passed(const std::string& id) const;
  void mark_passed(const std::string& id);
  void forget(const std::string& id);

private:
  void save() const;
  std::filesystem::path file_;
  std::vector<std::string> passed_;
};

/// Parses a command's words into `vm`; up to `positional_max` bare words (-1: any number) go to
/// option `positional`. Prints the usage and returns false when --help was asked, so the command
/// can return exit_ok at once.
bool parse_words(const boost::program_options::options_description& desc,
                 const std::vector<std::string>& args, boost::program_options::variables_map& vm,
                 const char* positional = nullptr, int positional_max = 0);

/// "20261127-093701": local time, for backup and scratch folder names that sort by age.
std::string timestamp();

/// The lines of compiler output worth showing a learner: errors and their context, at most `max`.
std::string compiler_errors(const std::string& output, std::size_t max = 25);

int list_command(const context&, const std::vector<std::string>& args);
int hint_command(const context&, const std::vector<std::string>& args);
int run_command(const context&, const std::vector<std::string>& args, const std::string& mode);
int check_command(const context&, const std::vector<std::string>& args);
int tour_command(const context&, const std::vector<std::string>& args);
int grade_command(const context&, const std::vector<std::string>& args);
int watch_command(const context&, const std::vector<std::string>& args);
int reset_command(const context&, const std::vector<std::string>& args);
int solution_command(const context&, const std::vector<std::string>& args);
int dev_command(const context&, const std::vector<std::string>& args);

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
