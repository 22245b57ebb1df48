// The queue in front of a journal's writer thread (SQLite, PostgreSQL): appends and snapshots wait
// here, bounded by append_queue_max (past it an append fails with errc::overloaded), until the
// writer takes them in batches of at most batch_events_max events. Private to the library.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "journal_batch.hpp"

namespace dca::es {

class journal_queue {
public:
  /// `name` starts the refusals' messages ("/tmp/j.db", "postgres journal").
  journal_queue(std::string name, std::size_t append_queue_max);

  /// Queues an append, or answers it at once: errc::journal_closed after stop(),
  /// errc::overloaded when append_queue_max requests wait.
  void append(append_request req, append_callback done);

  /// Queues a snapshot; drops it when closed or full (best effort: a missing snapshot only
  /// lengthens the next replay).
  void save_snapshot(const entity_id& entity, snapshot_record snapshot);

  /// Blocks until a job waits (true) or the queue is stopped and drained (false).
  bool wait();

  /// Moves waiting jobs into `batch` while it holds at most `events_max` events (`events` so
  /// far; a job counts its events, a snapshot 1; the first job is always taken); returns the new
  /// event count.
  std::size_t take(std::vector<journal_job>& batch, std::size_t events, std::size_t events_max);

  /// Refuses new appends from now on; the writer still drains what waits.
  void stop();

private:
  std::string name_;
  std::size_t append_queue_max_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<journal_job> jobs_;
  bool stopping_ = false;
};

} // namespace dca::es
