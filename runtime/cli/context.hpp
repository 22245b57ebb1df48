// What every dca command needs to know: where the learner's checkout and its build are, and the
// curriculum. Plus the helpers most commands share: exit statuses, usage errors, parsing words.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "manifest.hpp"
#include "process.hpp"

namespace dca::cli {

/// Exit statuses of dca: 0 ok, 1 the thing checked failed, 2 bad usage, 130 stopped by Ctrl-C.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_interrupted = 130; // Ctrl-C, as a shell reports it

struct context {
  std::filesystem::path source_dir; // the checkout: exercises/, solutions/, .dca/
  std::filesystem::path build_dir;  // its CMake build tree
  manifest curriculum;              // the exercises this command works on
  manifest manifest_all;            // every exercise of the manifest, built or not

  /// The exercise named on the command line, or a usage error naming what to type instead.
  const exercise_entry& exercise(const std::string& name) const;

  /// `cmake --build` of the given targets; on failure the result holds the compiler's output.
  process_result build(const std::vector<std::string>& targets) const;

  /// Whether the build has this exercise: one that needs the services (PostgreSQL, Redis) is
  /// built only when the build was configured with -DDCA_WITH_SERVICES=ON.
  bool builds(const exercise_entry& e) const;

  /// Why the build lacks exercise `e` (builds(e) is false), as the rest of a learner's line: the
  /// packages this machine still needs and what to run ("postgresql-15 redis-server are not
  /// installed: run scripts/bootstrap --services, then ./dca again"), or how to turn module B on.
  std::string why_not_built(const exercise_entry& e) const;

  /// Path of a program built from exercises/ (e.g. "ex01", "sol01", "ex01_spec").
  std::filesystem::path program(const std::string& target) const;
};

/// A usage error: printed as one line, exit status 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses a command's words into `vm`; up to `positional_max` bare words (-1: any number) go to
/// option `positional`. Prints the usage and returns false when --help was asked, so the command
/// can return exit_ok at once.
bool parse_words(const boost::program_options::options_description& desc,
                 const std::vector<std::string>& args, boost::program_options::variables_map& vm,
                 const char* positional = nullptr, int positional_max = 0);

/// For a command about one exercise: adds the bare word "exercise" to `desc`, parses `args`, and
/// returns the exercise named; null when --help was asked (the usage is printed). With no
/// exercise named, the one the learner is on when `default_current` (and there is one), else a
/// usage error that shows `example` ("dca hint 01").
const exercise_entry* parse_exercise_words(const context& ctx,
                                           boost::program_options::options_description& desc,
                                           const std::vector<std::string>& args,
                                           const std::string& example,
                                           bool default_current = false);

/// The id of the exercise the learner is on (.dca/current, written by the watch loop), or "".
std::string current_exercise(const context& ctx);

/// "20261127-093701": local time, for backup and scratch folder names that sort by age.
std::string timestamp();

/// The lines of compiler output worth showing a learner: errors and their context, at most
/// `lines_max`.
std::string compiler_errors(const std::string& output, std::size_t lines_max = 25);

} // namespace dca::cli
