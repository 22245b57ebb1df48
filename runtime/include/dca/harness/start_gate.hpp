// dca::harness::start_gate: holds the workers of a real run until all of them have arrived, so
// they really run at the same time (starting a thread takes longer than a small run). It can be
// passed again and again: each pass is one round in which every party passes once.
#pragma once

#include <atomic>
#include <cstdint>

namespace dca::harness {

class start_gate {
public:
  /// A gate for `parties` threads. Precondition: parties > 0.
  explicit start_gate(std::int64_t parties);

  start_gate(const start_gate&) = delete;
  start_gate& operator=(const start_gate&) = delete;

  /// Waits (spinning, yielding the core) until every party has arrived at this round of the gate.
  /// Each party calls it once per round, and rounds follow one another.
  void pass();

private:
  const std::int64_t parties_;
  std::atomic<std::int64_t> arrived_{0}; // arrivals over every round so far
};

} // namespace dca::harness
