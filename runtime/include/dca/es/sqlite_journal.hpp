// The durable journal: one SQLite file in WAL mode, one writer thread doing adaptive group commit
// (it writes, in one transaction, everything that queued up while the previous commit was in
// flight, plus what queues while it inserts; no timer), a sync thread that makes the commits
// durable with one fdatasync of the WAL per group while the writer already writes the next batch
// (pipelined sync; acks only after that fdatasync), checkpoints by the writer between batches that
// keep the WAL bounded, and a small pool of read connections.
//
// Schema (PRAGMA user_version = 1), chosen by measurement (storage-notes.md, bench/es):
//   streams(id INTEGER PRIMARY KEY, type TEXT, key TEXT, UNIQUE(type, key))
//   events(position INTEGER PRIMARY KEY, stream INTEGER, seq INTEGER, type TEXT, payload BLOB,
//          text TEXT, idempotency_key TEXT, written_at_ms INTEGER)  + UNIQUE(stream, seq)
//   snapshots(stream INTEGER PRIMARY KEY, seq, position, payload BLOB, text TEXT)
// Integer stream ids keep the (stream, seq) index small; positions are the rowid, so the global
// scan projections use is the table's own order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dca/es/detail/journal_batch.hpp"
#include "dca/es/journal.hpp"
#include "dca/es/sqlite.hpp"

namespace dca::es {

/// The schema version this build writes; newer files are refused.
constexpr int journal_schema_version = 1;

class wal_sync; // private to the library (src/es/wal_sync.hpp)

struct sqlite_journal_options {
  /// The most events one group commit writes (the batch grows up to this under load).
  std::size_t batch_events_max = 4096;
  /// Requests waiting for the writer; past this, appends fail with errc::overloaded.
  std::size_t append_queue_max = 100'000;
  /// Read connections shared by recoveries and projections.
  std::size_t read_connections_max = 4;
  /// Durable acks are the point of a journal; false (synchronous=NORMAL, no fdatasync of ours)
  /// exists only to measure what durability costs.
  bool synchronous_full = true;
  /// Pipelined WAL sync: COMMIT runs with synchronous=NORMAL (no fsync in it) and the sync thread
  /// fdatasyncs the WAL for every batch committed since its last sync, then acks them, while the
  /// writer already writes the next batch. false: synchronous=FULL, the fsync inside COMMIT (the
  /// previous behaviour, kept to measure the difference).
  bool pipelined_sync = true;
  /// Batches committed but not yet synced and acked; the writer waits before its next batch when
  /// this many are pending (keeps the memory of unacked batches bounded).
  std::size_t unsynced_batches_max = 4;
  /// The WAL is checkpointed (copied into the database file, then started over) once it holds
  /// this many pages: by the writer between batches with pipelined sync, by SQLite in COMMIT
  /// otherwise. Each append rewrites about one page, so SQLite's default of 1,000 checkpointed
  /// every batch or two. 16,384 pages: a WAL of at most about 64 MiB plus one batch.
  std::size_t checkpoint_pages = 16'384;
  /// Pipelined sync: how long a sync waits at most to gather as many committed appends as the
  /// previous sync answered (their callers' next ones; detail/sync_gathering.hpp). Negative: half
  /// the mean fdatasync time, so a fast disk barely waits; 0: never waits.
  std::chrono::microseconds sync_wait_max{-1};
  /// The writer connection's page cache (SQLite's cache_size), allocated only as pages are used.
  /// Each append rewrites the last index page of its stream: when the pages of the streams being
  /// written fit, the writer does not read them back from the OS (1,000 streams: half the insert
  /// time). 64 MiB holds the pages of about 16,000 streams. 0: SQLite's default (2 MB).
  std::size_t page_cache_bytes = std::size_t{64} << 20;
  /// Test hook: called instead of ::fdatasync(wal_fd) (on open and on the sync thread); returns 0
  /// or an errno value. Empty: ::fdatasync.
  std::function<int(int wal_fd)> sync_wal;
};

class sqlite_journal final : public journal {
public:
  /// Opens (creating if absent) the journal at `path`. Fails with a one-line error naming the file
  /// when it is corrupt, not a journal, from a newer schema, locked by another process (each
  /// journal has one writing process: an flock on the file), or not writable. Writes nothing to
  /// a file it refuses.
  static caf::expected<std::shared_ptr<sqlite_journal>> open(const std::string& path,
                                                             sqlite_journal_options opts = {});

  ~sqlite_journal() override;

  void append(append_request req, append_callback done) override;
  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out) override;
  caf::expected<std::size_t> replay_stream(const entity_id& entity, std::uint64_t from_seq,
                                           std::size_t max, const event_visitor& visit) override;
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override;
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity) override;
  void save_snapshot(const entity_id& entity, snapshot_record snapshot) override;
  std::uint64_t committed_position() const override { return committed_.load(); }
  int subscribe(commit_listener listener) override;
  void unsubscribe(int id) override;

  /// Stops the writer after it drains the queue. Called by the destructor.
  void close();

  const std::string& path() const noexcept { return path_; }

  /// Writer statistics, for benchmarks and tests: commits done, and fdatasyncs of the WAL done by
  /// the sync thread (each covers every batch committed before it).
  std::uint64_t commits() const noexcept { return commits_.load(); }
  std::uint64_t syncs() const noexcept;

private:
  using job = detail::journal_job;
  using committed_batch = detail::committed_batch;
  struct stream_info {
    std::int64_t id = 0;
    std::uint64_t head = 0;
  };
  struct reader {
    sql::db_ptr db;
    sql::statement find_stream, read_stream, replay_stream, read_all, load_snapshot;
  };

  explicit sqlite_journal(std::string path, sqlite_journal_options opts);
  caf::error init();
  caf::error open_reader(reader& r);
  bool pipelined() const noexcept { return opts_.synchronous_full && opts_.pipelined_sync; }

  // -- the writer (sqlite_journal_writer.cpp) -----------------------------------------------------
  caf::error prepare_writer_statements();
  void run_writer();
  /// Moves queued jobs into `batch` while it holds at most batch_events_max events (`events` so
  /// far); returns the new event count.
  std::size_t take_jobs(std::vector<job>& batch, std::size_t events);
  /// One transaction: every job in `batch` (and those that queue meanwhile), then the acks.
  void write_batch(std::vector<job>& batch);
  /// Checks `j`'s expected sequence and inserts its events with their seqs and positions. A
  /// conflict becomes `result`; a storage failure is returned (and fails the whole batch).
  caf::error write_append(job& j, caf::expected<append_result>& result);
  caf::error write_snapshot(job& j);
  /// Rolls the transaction back and restores the in-memory heads and next position.
  void undo_batch(std::uint64_t first_position);
  /// Fails every append of `jobs` with `failure` (snapshots have no callback).
  static void fail_jobs(std::vector<job>& jobs, const caf::error& failure);
  /// Publishes `batches` as durable: the committed position, the acks, the commit listeners.
  void complete(std::vector<committed_batch>& batches);
  /// What the sync thread does with the batches one fdatasync covered: completes them, or fails
  /// them with `failure`.
  void publish(std::vector<committed_batch>& group, const caf::error& failure);

  // -- reads -------------------------------------------------------------------------------------
  using stream_reader = std::function<caf::error(reader&, std::int64_t)>;
  /// Finds `entity`'s stream id with a pooled reader and runs `read` with both; does nothing
  /// (no error) when the stream does not exist.
  caf::error with_stream(const entity_id& entity, const stream_reader& read);
  std::unique_ptr<reader> checkout_reader();
  void checkin_reader(std::unique_ptr<reader> r);
  void notify(std::uint64_t position);

  std::string path_;
  sqlite_journal_options opts_;
  int lock_fd_ = -1;

  // -- writer thread only ------------------------------------------------------------------------
  sql::db_ptr wdb_;
  sql::statement insert_event_, insert_stream_, upsert_snapshot_;
  std::unordered_map<entity_id, stream_info, entity_id_hash> streams_;
  std::uint64_t next_position_ = 1;
  // The batch in progress (members so their capacity is reused from batch to batch).
  std::vector<caf::expected<append_result>> results_;
  std::vector<std::pair<stream_info*, std::uint64_t>> touched_; // undo log for the heads
  std::vector<entity_id> created_;
  std::int64_t batch_ms_ = 0;

  // -- shared -------------------------------------------------------------------------------------
  std::mutex queue_mtx_;
  std::condition_variable queue_cv_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::thread writer_;
  // The durable committed position: in pipelined mode it advances only after the fdatasync that
  // covers the commit (committed_position, read_all's bound, commit listeners).
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> commits_{0};

  // The WAL's durability (wal_sync.hpp, private to the library): the WAL file, the sync thread
  // and the checkpoints in pipelined mode, and the failure that stops the journal. Never null.
  std::unique_ptr<wal_sync> wal_;

  std::mutex readers_mtx_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<reader>> readers_;
  std::size_t readers_open_ = 0;

  std::mutex listeners_mtx_;
  std::map<int, commit_listener> listeners_;
  int next_listener_ = 1;
};

} // namespace dca::es
