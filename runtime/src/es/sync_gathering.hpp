// When pipelined sync starts its next fdatasync of the WAL. A pure policy, so it is tested without
// threads or clocks; the sync thread (wal_sync.cpp) asks it under its lock. Private to the library.
//
// Why wait at all: callers that were just acked send their next command at once (a closed loop).
// If the next fdatasync starts the moment the previous one ends, it covers only what the writer
// committed meanwhile, and the acked callers' appends, committed a few milliseconds later, wait for
// the sync after it: the callers split into two cohorts that alternate syncs of half the appends
// each. On a disk whose fdatasync takes longer than the callers take to come back, that halves
// throughput (measured: 12 ms syncs, 1,000 callers: 648 appends per sync and 43 K/s without the
// wait, 960 and 51 K/s with it). So a sync first gathers as many committed appends as the previous
// one answered. Never a floor under latency: the first sync, and a sync after a sync that answered
// one append, wait for nothing more than what is there; the wait ends when the writer is blocked
// on the unsynced batches, and it never lasts longer than `wait_bound()` (by default half the mean
// fdatasync time, so a fast disk barely waits). The sync thread then waits, within the same bound,
// for a batch the writer is in the middle of.
#pragma once

#include <chrono>
#include <cstddef>

namespace dca::es {

class sync_gathering {
public:
  using clock = std::chrono::steady_clock;

  /// `wait_max`: negative for half the mean fdatasync time (adaptive), 0 to never wait (every
  /// sync starts as soon as there is a commit), positive for that fixed bound.
  explicit sync_gathering(std::chrono::microseconds wait_max) : wait_max_(wait_max) {}

  /// A sync that took `took` answered `answered` appends: the next one gathers as many.
  void synced(std::size_t answered, clock::duration took) {
    answered_ = answered;
    // A moving average over about 8 syncs: one slow sync does not double the next wait.
    mean_sync_ = syncs_ == 0 ? took : (mean_sync_ * 7 + took) / 8;
    ++syncs_;
  }

  /// How long a sync waits at most, from the moment it has something to sync.
  clock::duration wait_bound() const {
    if (wait_max_.count() < 0)
      return mean_sync_ / 2;
    return wait_max_;
  }

  /// Whether the sync may start now: `committed` appends are waiting for it, the writer is (not)
  /// blocked until some are synced, and it has waited `waited` so far.
  bool may_start(std::size_t committed, bool writer_blocked, clock::duration waited) const {
    return committed >= answered_ || writer_blocked || waited >= wait_bound();
  }

  clock::duration mean_sync_time() const { return mean_sync_; }

private:
  std::chrono::microseconds wait_max_;
  std::size_t answered_ = 0;
  clock::duration mean_sync_{0};
  std::size_t syncs_ = 0;
};

} // namespace dca::es
