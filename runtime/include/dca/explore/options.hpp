// How an exploration searches: systematically within a preemption bound (as CHESS and Loom do), or
// at random from a seed (PCT-style priorities). Both explorers, threads and actors, take these, and
// both read every field the same way: one search core runs behind them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "dca/explore/schedule.hpp"

namespace dca::explore {

enum class strategy {
  systematic, // depth-first over every schedule with at most preemptions_max preemptions
  random,     // schedules_max random schedules from seed (PCT: random priorities, change points)
};

struct options {
  strategy search = strategy::systematic;
  /// A preemption is a choice other than the one the scheduler would make on its own: switching
  /// away from a thread that could have gone on, or handling another actor than the next in FIFO
  /// order. Most concurrency bugs need only one or two (Musuvathi and Qadeer, CHESS), so a small
  /// bound finds them quickly. A negative value means no bound: every schedule (systematic), or no
  /// priority change points (random).
  int preemptions_max = 2;
  /// Random search: the seed of the whole search; the same seed explores the same schedules, and
  /// schedule k draws from its own generator seeded by (seed, k), so each stands alone.
  std::uint64_t seed = 1;
  /// Stop after this many schedules even when the search space is larger.
  std::uint64_t schedules_max = 100'000;
  /// A schedule longer than this is reported as a livelock (outcome::step_limit).
  std::uint64_t steps_max = 100'000;
  /// Wall-clock bound for the whole search; the report says whether the search was exhausted.
  std::chrono::milliseconds time_limit{20'000};
  /// When set, run exactly this schedule once instead of searching.
  std::optional<schedule> replay;
};

} // namespace dca::explore
