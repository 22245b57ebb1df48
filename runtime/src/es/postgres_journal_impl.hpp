// What is behind the PostgreSQL journal's facade (dca/es/postgres_journal.hpp), private to the
// library: the writer thread and its queue (postgres_journal_writer.cpp), the read pool
// (postgres_journal_reads.cpp), the listener that follows other processes' commits, the I/O
// threads and the commit listeners; opening and closing in postgres_journal.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dca/es/commit_listeners.hpp"
#include "dca/es/postgres_journal.hpp"
#include "io_threads.hpp"
#include "journal_batch.hpp"
#include "journal_queue.hpp"
#include "pg.hpp"
#include "postgres_batch.hpp"

namespace dca::es {

class postgres_journal::impl {
public:
  impl(std::string conninfo, postgres_journal_options opts);
  ~impl();

  // -- opening and closing (postgres_journal.cpp) -------------------------------------------------
  caf::error init();
  void close();

  // -- the writer (postgres_journal_writer.cpp) ---------------------------------------------------
  void append(append_request req, append_callback done);
  void save_snapshot(const entity_id& entity, snapshot_record snapshot);

  // -- reads (postgres_journal_reads.cpp) ---------------------------------------------------------
  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out);
  caf::error read_all(std::uint64_t after, std::size_t max, std::vector<event_record>& out);
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity);

  /// Raises the committed position to `position` (never lowers it); true when it rose.
  bool raise_committed(std::uint64_t position);
  /// raise_committed, then tells the listeners when it rose.
  void advance(std::uint64_t position);

  std::string conninfo;
  postgres_journal_options opts;
  /// The highest position known committed: by this process's writer or, through the listener,
  /// by another process.
  std::atomic<std::uint64_t> committed{0};
  std::atomic<std::uint64_t> commits{0};
  commit_listeners listeners;
  std::unique_ptr<io_threads> io; // null until init succeeds

private:
  using job = journal_job;

  // -- the writer ---------------------------------------------------------------------------------
  void run_writer();
  void write_batch(std::vector<job>& batch);
  /// After a failed batch: ends the sessions stalled in a journal COPY (end_stalled_copies_sql).
  void end_stalled_copies();
  static void fail_jobs(std::vector<job>& jobs, const caf::error& failure);

  // -- the listener -------------------------------------------------------------------------------
  void run_listener();
  /// Waits (bounded) for notifications on the listener connection; false when it broke.
  bool await_notifications();

  // -- reads --------------------------------------------------------------------------------------
  using read_fn = std::function<caf::error(PGconn*)>;
  /// Runs `read` on a pooled read connection (opened on demand, at most read_connections_max).
  caf::error with_reader(const read_fn& read);

  // -- writer thread only -------------------------------------------------------------------------
  pg::conn_ptr wconn_;
  pg_stream_ids ids_;

  // -- the append queue and the writer
  // -------------------------------------------------------------
  journal_queue queue_;
  std::thread writer_;

  // -- the listener thread ------------------------------------------------------------------------
  pg::conn_ptr lconn_;
  std::atomic<bool> listener_stop_{false};
  std::thread listener_;

  // -- the read pool ------------------------------------------------------------------------------
  std::mutex readers_mtx_;
  std::condition_variable readers_cv_;
  std::vector<pg::conn_ptr> readers_;
  std::size_t readers_open_ = 0;
};

} // namespace dca::es
