// The seam between instrumented types (dca::shared, dca::mutex) and the thread explorer. Outside an
// exploration `current_thread` is null and every hook is skipped, so a normal run pays one
// thread-local load per operation and nothing else. Private to the explorer: dca::shared and
// dca::mutex are the explorer's own instrumented types (they belong to the dca::explore target),
// the harness sets the noise through dca::harness::seeded_yields, and dca::services' connections
// make each SQL statement or Redis command a scheduling point (statement, wait); nothing else
// includes this.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include "dca/explore/report.hpp"

namespace dca::explore::detail {

class thread_context;

/// The explored thread running on this OS thread, or null outside an exploration.
inline thread_local thread_context* current_thread = nullptr;

enum class op_kind {
  load,
  store,
  read_modify_write,
  lock,
  try_lock,
  unlock,
  point,
  statement, // a request to a server (SQL, Redis): traced as its name, dependent on all others
  wait,      // waiting for something outside the model (a row lock): runs once ready() says so
};

/// What a thread blocked outside the explorer's model waits for, e.g. a row lock in PostgreSQL.
/// The scheduler asks ready() (on its own thread, while the waiting thread is parked) whenever it
/// picks the next thread, and never schedules the waiter before it says true.
class wait_condition {
public:
  virtual ~wait_condition() = default;
  /// Whether the wait is over. Must settle before it answers (never "not yet, but soon"), so a
  /// schedule replays exactly; once true it stays true.
  virtual bool ready() = 0;
};

/// Announces the operation this thread is about to perform and blocks until the scheduler picks
/// this thread. Returns false when the operation must not touch the modelled state any more
/// (the exploration is being torn down while the stack unwinds).
bool before(thread_context& self, op_kind kind, const void* object, const char* name,
            source_location where);

/// Like before(op_kind::wait, ...), but the scheduler picks this thread only once `until.ready()`.
bool before_wait(thread_context& self, wait_condition& until, const void* object, const char* name,
                 source_location where);

/// Records what the operation just granted read or wrote, for the trace.
void record(thread_context& self, std::string value);

/// For try_lock: whether the modelled mutex was free and is now held by this thread.
bool try_lock_succeeded(thread_context& self, const void* mutex);

/// Seeded yields for real runs (`dca run NN --seed S`): after a shared read, a thread gives up its
/// core one time in `one_in`, which widens the window between a read and the write that follows.
struct noise {
  std::uint64_t state = 0;
  std::uint32_t one_in = 8;
};

inline thread_local noise* current_noise = nullptr;

inline void maybe_yield() {
  if (auto* n = current_noise) {
    n->state = n->state * 6364136223846793005ULL + 1442695040888963407ULL; // a 64-bit LCG step
    if ((n->state >> 33) % n->one_in == 0)
      std::this_thread::yield();
  }
}

} // namespace dca::explore::detail
