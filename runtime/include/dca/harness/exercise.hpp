// What an exercise tells the harness: its knobs, how to run each variant on real threads or actors,
// and how to explore each variant's schedules. Every exercise program (exNN, solNN) is this
// description plus dca::harness::exercise_main, so `dca run` and `dca explore` behave the same for
// every exercise.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::harness {

/// An integer knob of a run, e.g. --increments 1000000.
struct parameter {
  std::string name;
  std::int64_t value_default = 0;
  std::int64_t value_min = 1;
  std::int64_t value_max = 1'000'000'000;
  std::string help;
};

/// The knobs' values for one run, by name.
class arguments {
public:
  explicit arguments(std::map<std::string, std::int64_t> values, std::optional<std::uint64_t> seed)
      : values_(std::move(values)), seed_(seed) {}
  std::int64_t get(const std::string& name) const;
  std::optional<std::uint64_t> seed() const noexcept { return seed_; }

private:
  std::map<std::string, std::int64_t> values_;
  std::optional<std::uint64_t> seed_;
};

/// Lets a long run show how far it got; calling it is optional.
using progress_fn = std::function<void(double fraction_done)>;

/// What one real run observed.
struct run_result {
  bool corrupted = false;
  std::string summary; // one line: "lost 765,433 of 2,000,000 increments"
  std::vector<std::pair<std::string, std::string>> fields; // for --format json
  std::string table; // lines printed above the summary in table format (fields carry them in json)
};

using run_fn = std::function<run_result(const arguments&, const progress_fn&)>;

/// A run that cannot start for a reason the learner fixes (servers not running): what() is one
/// line saying what to do; the program prints it and exits 2, like a bad flag.
struct cannot_run : std::runtime_error {
  using std::runtime_error::runtime_error;
};
using explore_fn = std::function<explore::report(const explore::options&)>;

/// One level of an exercise's failure (`explore --level NAME`, `dca explore NN --levels`): the
/// read and the write apart, and, for actors and nodes, the fix (one message does the whole
/// read-modify-write where the state lives). See levels.hpp.
struct level {
  std::string name; // "threads", "actors", "nodes"
  explore_fn split; // the read and the write apart: corrupts
  explore_fn fixed; // the exercise's fix; empty for threads (the shared-state track has none)
};

struct exercise {
  std::string id;      // "01_lost_update"
  std::string pattern; // "P1"
  std::string title;   // "Lost update on a shared counter"
  std::vector<parameter> parameters;
  run_fn run_shared;
  run_fn run_actors;
  explore_fn explore_shared;
  explore_fn explore_actors; // may be empty while an exercise has no actor exploration
  /// `run --compare`: the same load on several fixes side by side, printing its own table (an
  /// exercise whose lesson includes what each fix costs; empty for the others).
  run_fn run_compare;
  /// `run --real`: the message-passing code against the real servers the exercise's stand-in
  /// actors play (14: etcd and the PostgreSQL journal); empty for the others.
  run_fn run_real;
  /// The same failure as threads, actors and nodes, in that order (empty for most exercises).
  std::vector<level> levels;
};

/// The main() of every exercise program: `run` and `explore` subcommands with --help, one-line
/// errors (exit 2) for bad flags, and --format json for programs that read the result.
int exercise_main(int argc, char** argv, const exercise& ex);

/// 2000000 -> "2,000,000": figures people can read at a glance.
std::string with_commas(std::int64_t value);

} // namespace dca::harness
