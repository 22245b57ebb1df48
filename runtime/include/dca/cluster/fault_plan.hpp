// A seeded fault plan for the links between nodes: how often a message is dropped, duplicated,
// delayed or reordered. The dice are a seeded mt19937_64 rolled once per message in arrival order,
// so one seed replays a run exactly under CAF's deterministic scheduler, and the same plan drives
// real multi-process runs (there only the faults repeat, not the timing).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace dca::cluster {

/// What a link does with one message.
enum class fault { deliver, drop, duplicate, delay, reorder };

/// The fault's name, e.g. "drop".
const char* to_string(fault x) noexcept;

/// Per-mille rates (out of 1000 messages) and the delay; the rates add up to at most 1000.
struct fault_plan {
  std::uint64_t seed = 1;
  std::uint32_t drop_per_mille = 0;
  std::uint32_t duplicate_per_mille = 0;
  std::uint32_t delay_per_mille = 0;
  std::uint32_t reorder_per_mille = 0;
  /// How long a delayed message waits, and the longest a reordered one is held back.
  std::chrono::milliseconds delay{50};
};

/// Parses "drop=100,dup=100,delay=200,reorder=50,delay_ms=80,seed=7" (any subset, any order).
/// Returns an empty string and fills `out`, or one line naming what was wrong.
std::string parse_fault_plan(const std::string& text, fault_plan& out);

/// The plan's dice: one roll per message, in the order the link sees them.
class fault_dice {
public:
  explicit fault_dice(const fault_plan& plan);

  fault roll();

  const fault_plan& plan() const noexcept { return plan_; }

private:
  fault_plan plan_;
  std::mt19937_64 rng_;
};

} // namespace dca::cluster
