// What an exercise program (exNN, solNN) reported with `--format json`, read once here for every
// command that runs one (`dca tour`, `dca grade`): no command re-parses the programs' human text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dca::cli {

/// `PROGRAM run --variant V --format json`: one real run.
struct run_report {
  bool corrupted = false;
  std::string summary; // "lost 765,433 of 2,000,000 increments"
  std::int64_t elapsed_ms = 0;

  /// "SUMMARY  (N ms)", as the program's table says it after "ok: " or "CORRUPTED: ".
  std::string summary_line() const;
};

/// `PROGRAM explore --variant V --format json`: a search of the schedules.
struct explore_report {
  std::string outcome;            // "clean", "invariant_broken", "deadlock", ...
  std::string verdict;            // what broke, in words
  std::vector<std::string> cycle; // a deadlock's waits: "A waits for a reply from B", ...
  std::string schedule;           // the failing schedule, replayable with --replay
  std::int64_t schedules_explored = 0;
  bool search_exhausted = false;
  std::string proof; // the explorer's own words for what a clean search proved (proof_text)
  std::optional<std::int64_t> seed;
  std::int64_t elapsed_us = 0;
  std::vector<std::string> steps; // the failing interleaving, one step a line

  bool failed() const { return outcome != "clean"; }
  /// What went wrong: the deadlock's cycle joined by `separator`, else the verdict (with the
  /// outcome when it is not a broken invariant).
  std::string what_broke(const std::string& separator = "; ") const;
  /// "16 schedules in 2.0 ms, every schedule clean: 2 classes, 72 interleavings": the explorer's
  /// proof as it worded it, so `dca` never says less (or more) than the search showed.
  std::string explored_words() const;
};

/// The run report in a program's output; nullopt when it printed none (it crashed, or is not an
/// exercise program).
std::optional<run_report> read_run_report(const std::string& output);

/// The explore report in a program's output; nullopt when it printed none.
std::optional<explore_report> read_explore_report(const std::string& output);

} // namespace dca::cli
