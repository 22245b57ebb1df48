// How an exploration searches: systematically within a preemption or delay bound (as CHESS and Loom
// do), exhaustively with dynamic partial-order reduction, or at random from a seed (PCT-style
// priorities). Both explorers, threads and actors, take these, and both read every field the same
// way: one search core runs behind them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "dca/explore/schedule.hpp"

namespace dca::explore {

enum class strategy {
  systematic, // every schedule with at most 0, then 1, ... preemptions_max preemptions (CHESS)
  random,     // schedules_max random schedules from seed (PCT: random priorities, change points)
  dpor,       // every schedule up to equivalence: one per class of reorderings of independent steps
  delay,      // every schedule with at most 0, then 1, ... preemptions_max delays (Emmi et al.)
};

struct options {
  strategy search = strategy::systematic;
  /// A preemption is a choice other than the one the scheduler would make on its own: switching
  /// away from a thread that could have gone on, or handling another actor than the next in FIFO
  /// order. Most concurrency bugs need only one or two (Musuvathi and Qadeer, CHESS), so a small
  /// bound finds them quickly. A negative value means no bound: every schedule (systematic), or no
  /// priority change points (random).
  int preemptions_max = 2;
  /// Random search: the bug depth d PCT aims at, given as d - 1 priority change points per
  /// schedule. Zero (the default) takes preemptions_max change points, as before depth existed.
  int pct_depth = 0;
  /// Random search: the seed of the whole search; the same seed explores the same schedules, and
  /// schedule k draws from its own generator seeded by (seed, k), so each stands alone.
  std::uint64_t seed = 1;
  /// Stop after this many schedules even when the search space is larger ("not proven: budget
  /// reached after N schedules").
  std::uint64_t schedules_max = 100'000;
  /// A schedule longer than this is reported as a livelock (outcome::step_limit).
  std::uint64_t steps_max = 100'000;
  /// Wall-clock bound for the whole search, checked at every step, so a livelocking schedule stops
  /// too ("not proven: time limit reached after N schedules").
  std::chrono::milliseconds time_limit{20'000};
  /// Threads: a dca::condition_variable's wait may also end with no notification, as the standard
  /// allows (a spurious wakeup), so code that waits without re-checking its condition is caught.
  bool spurious_wakeups = false;
  /// When set, run exactly this schedule once instead of searching.
  std::optional<schedule> replay;
  /// When set (`dca play`'s turn): run this schedule, stop where it ends, and report the step each
  /// thread (actor) that can run there would take (report::choices); a finished run reports its
  /// outcome as a replay does. The learner's keys choose the schedule; the explorer runs it.
  std::optional<schedule> turn_after;
};

} // namespace dca::explore
