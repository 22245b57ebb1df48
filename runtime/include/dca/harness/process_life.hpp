// dca::harness::process_life: kill -9 for the exercises whose lesson is a process dying between
// two writes (07's dual write, 12's transfer). The killed process notices only at its crash points,
// where it unwinds as a process that dies runs nothing more; under the explorer the kill and the
// check are scheduling points (dca::shared), so `dca explore` chooses where the process dies.
// `crash_rolled` decides, from a seed, where a real run kills it. Header-only.
#pragma once

#include <cstdint>

#include "dca/shared.hpp"

namespace dca::harness {

/// Thrown at a crash point once the process has been killed: its stack unwinds, as a process that
/// dies runs nothing more.
struct process_killed {};

/// Whether a process is still alive. `kill` is kill -9 (a deploy, the OOM killer); the process
/// notices only at its crash points, where it dies if it was killed by then.
class process_life {
public:
  void kill(dca::explore::source_location where = dca::explore::source_location::current()) {
    killed_.store(true, where);
  }
  /// Throws process_killed when the process was killed. The trace shows the caller's line.
  void crash_point(
      dca::explore::source_location where = dca::explore::source_location::current()) const {
    if (killed_.load(where))
      throw process_killed{};
  }

private:
  dca::shared<bool> killed_{"killed"};
};

/// Whether a real run kills the process at the point (a, b, c) (e.g. service, order, step): a roll
/// under `percent` of 100, the same for the same seed, unrelated for neighbouring points.
inline bool crash_rolled(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c,
                         std::int64_t percent) {
  auto x = seed * 0x9E3779B97F4A7C15ULL + a * 0xBF58476D1CE4E5B9ULL + b * 0x94D049BB133111EBULL +
           c * 0xD6E8FEB86659FD93ULL;
  x ^= x >> 31; // splitmix64's finaliser: neighbouring inputs give unrelated rolls
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  return static_cast<std::int64_t>(x % 100) < percent;
}

} // namespace dca::harness
