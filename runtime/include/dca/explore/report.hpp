// What an exploration found: the schedule that broke the invariant (or proof that none did within
// the bound), as a trace a learner can read step by step. Both explorers, the one for threads over
// shared state and the one for actors over messages, report in this shape.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dca/explore/schedule.hpp"

namespace dca::explore {

/// Where an instrumented operation was written in the source.
struct source_location {
  const char* file = "";
  int line = 0;

  /// Captures the caller's location when used as a default argument.
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           int line = __builtin_LINE()) noexcept {
    return {file, line};
  }
};

/// One step of a schedule: a thread (or actor) ran one visible operation.
struct step {
  int actor = 0;         // index into report::actors
  std::string operation; // "load", "store", "lock", "unlock", "handle", ...
  std::string object;    // the shared variable, mutex or message it acted on
  std::string value;     // what it read, wrote or sent, rendered for people; may be empty
  source_location where; // the line that did it
  /// Actors only: what waits in each actor's mailbox (by actor index) once the step is done, each
  /// message in the order the actor would handle it, so a reader sees a step reorder deliveries.
  std::vector<std::vector<std::string>> mailboxes;
};

/// How an exploration ended.
enum class outcome {
  clean,            // every explored schedule kept the invariant
  invariant_broken, // a schedule broke the invariant: see verdict and trace
  deadlock,         // no thread could move and some had not finished: see cycle
  step_limit,       // one schedule ran past options::steps_max (a livelock, or a bound too low)
  crashed,          // a thread threw: see verdict
};

const char* to_string(outcome x) noexcept;

struct report {
  outcome result = outcome::clean;
  std::vector<std::string> actors; // names of the threads (or actors), in index order
  std::vector<step> trace;         // the failing schedule's steps (empty when clean)
  schedule failing_schedule;       // replays the failure exactly
  std::string verdict;             // one line: what went wrong, in the scenario's words
  bool between_nodes = false;      // the actors are nodes: the report has the message table
  std::vector<std::string> cycle;  // for a deadlock: "T1 holds A, waits for B", ...
  std::uint64_t schedules_explored = 0;
  bool search_exhausted = false; // true when every schedule within the bound was tried
  bool bound_cut = false;        // true when the bound left out schedules (a larger one has more)
  std::string stopped_by;        // why the search stopped early: "budget", "time limit"
  std::uint64_t classes_explored = 0;    // DPOR: complete schedules, one per equivalence class
  std::uint64_t interleavings_naive = 0; // DPOR: the orders of those steps without reduction
  std::optional<std::uint64_t> seed;     // the seed of a random search, to repeat it
  std::chrono::microseconds elapsed{0};
  /// options::turn_after: the step each thread (actor) that can run next would take, in index
  /// order; empty once the run is over (then `result` says how it ended). JSON "choices".
  std::vector<step> choices;

  bool failed() const noexcept { return result != outcome::clean; }
};

/// The step a reader should look at first, counting from 1: the last step of the failing trace that
/// is not a lock's release (releasing changes no data), after which the run was over and its check
/// (or the deadlock) held. 0 for a clean run or an empty trace. JSON "breaking_step".
std::size_t breaking_step(const report& r);

/// What a search that found nothing proved: "every schedule clean: 6 classes, 34650
/// interleavings", "every schedule within the bound clean: 12 schedules", or "not proven: budget
/// reached after 100 schedules". Empty for a failed search or a replay.
std::string proof_text(const report& r);

/// Prints the failing schedule as a table with one column per thread (Lincheck-style), then the
/// verdict, the replay command and the search statistics. `replay_hint` is the command line that
/// replays it, e.g. "dca explore 01 --replay".
void print_table(std::ostream& out, const report& r, const std::string& replay_hint = {});

/// The same report as one JSON object, for tools (slides, graders).
void print_json(std::ostream& out, const report& r);

/// A duration as the explorer's table says it: "850 us", "2.0 ms", "12.5 s".
std::string duration_text(std::chrono::microseconds elapsed);

/// A count as people read it: 18900 -> "18,900" (every figure a learner sees is written so).
std::string with_commas(std::uint64_t count);

} // namespace dca::explore
