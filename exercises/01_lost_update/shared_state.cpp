// Exercise 01, shared-state track: every worker reads the count, adds one and writes it back.
// Each read and each write is atomic on its own, yet increments vanish: run `dca explore 01`.
#include "scenario.hpp"

namespace lost_update {

// [slide:add_many]
void add_many(shared_counter& counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i) {
    std::int64_t seen = counter.load(); // read...
    counter.store(seen + 1);            // ...then write: another thread may have written since
  }
}
// [/slide:add_many]

} // namespace lost_update
