// What the SQLite journal's writer commits and its sync thread acks: a queued write (an append or
// a snapshot) and a committed batch of them. Private to the library: nothing outside the journal
// uses these types.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "dca/es/journal.hpp"

namespace dca::es {

/// One write waiting for the writer thread: an append with its callback, or a snapshot (which has
/// no callback: it is best effort).
struct journal_job {
  bool is_snapshot = false;
  append_request req;
  append_callback done;
  snapshot_record snapshot;
};

/// A committed batch waiting for the fdatasync that makes it durable: its acks and results, and
/// the committed position after it.
struct committed_batch {
  std::vector<journal_job> jobs;
  std::vector<caf::expected<append_result>> results;
  std::uint64_t last_position = 0;
};

/// The wall clock in ms since the Unix epoch: what a batch stamps its events with (written_at_ms).
inline std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace dca::es
