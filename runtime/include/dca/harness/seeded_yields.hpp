// dca::harness::seeded_yields: seeded yields for real runs (`dca run NN --seed S`). While one is
// alive on a thread, that thread gives up its core after a dca::shared read one time in `one_in`,
// drawn from the seed, which widens the window between a read and the write that follows. The
// scope ends the yields even when the worker throws, and restores what was there before.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

namespace dca::harness {

class seeded_yields {
public:
  /// Yields on this thread from `seed + stream` (give each worker its own stream, e.g. its index);
  /// no yields at all when `seed` is empty (a run without --seed). Precondition: one_in > 0.
  seeded_yields(std::optional<std::uint64_t> seed, std::uint64_t stream, std::uint32_t one_in = 8);
  ~seeded_yields();

  seeded_yields(const seeded_yields&) = delete;
  seeded_yields& operator=(const seeded_yields&) = delete;

private:
  struct state;
  std::unique_ptr<state> state_; // null without a seed
};

} // namespace dca::harness
