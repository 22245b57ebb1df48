// The one search behind both explorers. A runner executes one schedule of a fresh execution
// (threads for the thread explorer, CAF's test coordinator for the actor explorer), asking a
// chooser at every step; the search decides what to ask: a replayed schedule, depth-first within
// a preemption or delay bound, DPOR, or PCT priorities. Both explorers therefore read options the
// same way.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::explore::detail {

/// What a step does to the object it touches, for partial-order reduction: two steps on one
/// object are dependent unless both read.
enum class access_kind {
  read,      // a load
  write,     // a store or a read-modify-write; an actor's delivery that wakes the receiver
  acquire,   // a blocking lock: never enabled while another thread holds the mutex
  release,   // an unlock
  attempt,   // a try_lock: always enabled, its result depends on the order
  deliver,   // appending to a mailbox that already holds the message its owner handles next
  handle,    // an actor handling the first message of its own mailbox: commutes with `deliver`
  quiescent, // a step that can only happen once nothing else can (a timeout): never swapped
  spawn,     // starts thread `thread`: every step of it happens after this one
  join,      // returns once thread `thread` finished: happens after every step of it
};

struct access {
  const void* object = nullptr; // null: touches nothing another thread sees
  access_kind kind = access_kind::write;
  int thread = -1; // spawn, join: the thread started or joined
};

/// Whether the order of two steps of different threads can change what either does.
bool dependent(const access& a, const access& b);

/// Everything one step touches: one access for a thread's operation; for an actor's step, its own
/// mailbox, every mailbox it delivered to, and the actors' lifecycle (see actor_explorer.cpp).
using footprint = std::vector<access>;

/// Whether any access of `a` is dependent with any of `b`.
bool dependent(const footprint& a, const footprint& b);

/// One step of a schedule: who could run, whom the runner would run on its own, who ran.
struct decision {
  std::vector<int> enabled; // the threads (actors) that could run, in the runner's order
  int preferred = -1;       // the non-preemptive choice; -1 when no choice is a preemption
  int chosen = -1;          // who ran; -1 until chosen
  /// What each of `enabled` would do, in the same order; empty when the runner cannot say
  /// before the step runs (actors: what a handler sends is known once it ran), and then
  /// `touched` says it afterwards.
  std::vector<footprint> next;
  /// What the chosen step touched, set in run_result::decisions once it ran, by a runner that
  /// cannot say it beforehand. Empty: `next` says it, or, with both empty, every two steps count
  /// as dependent.
  footprint touched;
  /// The `touched` of the step before this one, so that a chooser building on it (DPOR's sleep
  /// sets) learns it before it chooses.
  footprint touched_before;
};

/// Picks the `chosen` of `now` at step `index` (counting from 0). Throws schedule_mismatch when a
/// schedule being followed names someone who cannot run.
using chooser = std::function<int(std::size_t index, const decision& now)>;

/// Raised by a chooser that follows a schedule which does not fit the execution.
class schedule_mismatch : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Why a runner stopped a schedule before its end, at the chooser's request.
enum class stop_reason {
  time_limit, // options::time_limit passed during the schedule
  redundant,  // DPOR: every thread that could run is asleep, an equivalent schedule was explored
  turn,       // options::turn_after: the schedule chosen so far ends here (dca play)
};

/// Thrown by a chooser to end the current schedule early. Not a std::exception, so a runner's
/// handlers for the scenario's own exceptions do not take it for a crash.
struct stop_run {
  stop_reason why;
};

/// What one schedule of one execution did.
struct run_result {
  outcome result = outcome::clean;
  std::string verdict;
  std::vector<std::string> cycle;
  std::vector<std::string> actors;    // names, in index order
  std::vector<step> trace;            // empty unless the run was traced
  std::vector<decision> decisions;    // one per step
  bool traced = false;                // whether `trace` was recorded
  std::optional<stop_reason> stopped; // set when the chooser stopped the schedule early
  bool between_nodes = false;         // the actors are nodes (actor_world::between_nodes)
};

/// Executes one schedule of a fresh execution. Implementations: threads (explorer.cpp), actors
/// (actor_explorer.cpp).
class runner {
public:
  virtual ~runner() = default;

  /// Runs one schedule, asking `choose` at every step. `traced` asks for the trace; a runner may
  /// record it anyway (and then says so in run_result::traced). A stop_run thrown by `choose` ends
  /// the schedule: the runner unwinds it and returns with `stopped` set and no verdict.
  virtual run_result run(const chooser& choose, bool traced) = 0;

  /// What the runner schedules, for messages: "thread" or "actor".
  virtual const char* unit_name() const noexcept = 0;
};

/// Runs the search `opts` asks for over `exec`, and reports the first failure or that none was
/// found. A negative `opts.preemptions_max` means no bound.
report search(runner& exec, const options& opts);

} // namespace dca::explore::detail
