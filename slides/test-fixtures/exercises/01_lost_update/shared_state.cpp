// FIXTURE, not the exercise: a stand-in for exercises/01_lost_update/shared_state.cpp with the regions
// the deck includes, so the deck builds and is tested even without the exercises (DCA_SLIDES_FIXTURES).
#include <atomic>
#include <cstdint>

namespace lost_update {

using shared_counter = std::atomic<std::int64_t>;

// [slide:add_many]
void add_many(shared_counter& counter, std::int64_t increments) {
  for (std::int64_t i = 0; i < increments; ++i) {
    std::int64_t seen = counter.load(); // FIXTURE: read...
    counter.store(seen + 1);            // FIXTURE: ...then write
  }
}
// [/slide:add_many]

} // namespace lost_update
