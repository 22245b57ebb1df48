// What is behind the SQLite journal's facade (dca/es/sqlite_journal.hpp), private to the library:
// the writer thread's state (sqlite_journal_writer.cpp), the read pool (sqlite_journal_reads.cpp),
// the WAL's durability (wal_sync.hpp), the I/O threads and the commit listeners; opening and
// closing in sqlite_journal.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dca/es/commit_listeners.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "io_threads.hpp"
#include "journal_batch.hpp"
#include "journal_queue.hpp"
#include "sqlite_schema.hpp"
#include "wal_sync.hpp"

namespace dca::es {

class sqlite_journal::impl {
public:
  impl(std::string path, sqlite_journal_options opts);
  ~impl();

  // -- opening and closing (sqlite_journal.cpp) ---------------------------------------------------
  caf::error init();
  void close();

  // -- the writer (sqlite_journal_writer.cpp) -----------------------------------------------------
  void append(append_request req, append_callback done);
  void save_snapshot(const entity_id& entity, snapshot_record snapshot);

  // -- reads (sqlite_journal_reads.cpp) -----------------------------------------------------------
  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out);
  caf::expected<std::size_t> replay_stream(const entity_id& entity, std::uint64_t from_seq,
                                           std::size_t max, const event_visitor& visit);
  caf::error read_all(std::uint64_t after, std::size_t max, std::vector<event_record>& out);
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity);

  std::string path;
  sqlite_journal_options opts;
  /// The durable committed position: in pipelined mode it advances only after the fdatasync that
  /// covers the commit (committed_position, read_all's bound, commit listeners).
  std::atomic<std::uint64_t> committed{0};
  commit_listeners listeners;
  /// The WAL's durability: the WAL file, the sync thread and the checkpoints in pipelined mode,
  /// the commit count, and the failure that stops the journal. Never null.
  std::unique_ptr<wal_sync> wal;
  /// Where recoveries and projections read. Null until init succeeds.
  std::unique_ptr<io_threads> io;

private:
  using job = journal_job;
  struct stream_info {
    std::int64_t id = 0;
    std::uint64_t head = 0;
  };
  struct reader {
    sql::db_ptr db;
    sql::statement find_stream, read_stream, replay_stream, read_all, load_snapshot;
  };

  bool pipelined() const noexcept { return opts.synchronous_full && opts.pipelined_sync; }

  // -- opening, step by step (sqlite_journal.cpp) -------------------------------------------------
  caf::error check_access() const;
  caf::error open_writer_connection();
  caf::error lock_file();
  caf::error set_pragmas();
  caf::error create_schema_if_empty(schema::file_kind kind);
  caf::error load_heads();
  caf::error start_threads();

  // -- the writer (sqlite_journal_writer.cpp) -----------------------------------------------------
  caf::error prepare_writer_statements();
  void run_writer();
  /// One transaction: every job in `batch` (and those that queue meanwhile), then the hand-over
  /// to the WAL's durability, which acks them.
  void write_batch(std::vector<job>& batch);
  /// Inserts the jobs of `batch` (taking more as they queue) inside the open transaction.
  caf::error insert_jobs(std::vector<job>& batch, std::size_t events);
  /// Checks `j`'s expected sequence and inserts its events with their seqs and positions. A
  /// conflict becomes `result`; a storage failure is returned (and fails the whole batch).
  caf::error write_append(job& j, caf::expected<append_result>& result);
  caf::error insert_event(const stream_info& info, const event_data& ev, const std::string* key);
  caf::error write_snapshot(job& j);
  /// Rolls the transaction back and restores the in-memory heads and next position.
  void undo_batch(std::uint64_t first_position);
  /// Fails every append of `jobs` with `failure` (snapshots have no callback).
  static void fail_jobs(std::vector<job>& jobs, const caf::error& failure);
  /// Publishes `batches` as durable: the committed position, the acks, the commit listeners.
  void complete(std::vector<committed_batch>& batches);
  /// What the WAL's durability does with the batches one fdatasync (or COMMIT) covered:
  /// completes them, or fails them with `failure`.
  void publish(std::vector<committed_batch>& group, const caf::error& failure);

  // -- reads (sqlite_journal_reads.cpp) -----------------------------------------------------------
  using stream_reader = std::function<caf::error(reader&, std::int64_t)>;
  caf::error open_reader(reader& r);
  /// Finds `entity`'s stream id with a pooled reader and runs `read` with both; does nothing
  /// (no error) when the stream does not exist.
  caf::error with_stream(const entity_id& entity, const stream_reader& read);
  std::unique_ptr<reader> checkout_reader();
  void checkin_reader(std::unique_ptr<reader> r);

  int lock_fd_ = -1;

  // -- writer thread only -------------------------------------------------------------------------
  sql::db_ptr wdb_;
  sql::statement insert_event_, insert_stream_, upsert_snapshot_;
  std::unordered_map<entity_id, stream_info, entity_id_hash> streams_;
  std::uint64_t next_position_ = 1;
  // The batch in progress (members so their capacity is reused from batch to batch).
  std::vector<caf::expected<append_result>> results_;
  std::vector<std::pair<stream_info*, std::uint64_t>> touched_; // undo log for the heads
  std::vector<entity_id> created_;
  std::int64_t batch_ms_ = 0;

  // -- the append queue and the writer
  // -------------------------------------------------------------
  journal_queue queue_;
  std::thread writer_;

  // -- the read pool ------------------------------------------------------------------------------
  std::mutex readers_mtx_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<reader>> readers_;
  std::size_t readers_open_ = 0;
};

} // namespace dca::es
