// The durable journal: one SQLite file in WAL mode, one writer thread doing adaptive group commit
// (it writes, in one transaction, everything that queued up while the previous commit was in
// flight, plus what queues while it inserts; no timer), a sync thread that makes the commits
// durable with one fdatasync of the WAL per group while the writer already writes the next batch
// (pipelined sync; acks only after that fdatasync), checkpoints by the writer between batches that
// keep the WAL bounded, a small pool of read connections, and I/O threads on which recoveries and
// projections read (so a slow disk holds up none of CAF's workers).
//
// This header is the facade: the writer's, the sync thread's and the readers' state live in
// runtime/src/es (sqlite_journal_impl.hpp), the schema in src/es/sqlite_schema.hpp;
// runtime/README.md ("The journal file") describes both.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dca/es/journal.hpp"

namespace dca::es {

struct sqlite_journal_options {
  /// The most events one group commit writes (the batch grows up to this under load).
  std::size_t batch_events_max = 4096;
  /// Requests waiting for the writer; past this, appends fail with errc::overloaded.
  std::size_t append_queue_max = 100'000;
  /// Read connections shared by recoveries and projections, and the I/O threads they read on.
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
  /// previous sync answered (their callers' next ones; src/es/sync_gathering.hpp says why).
  /// Negative: half the mean fdatasync time, so a fast disk barely waits; 0: never waits.
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
  std::uint64_t committed_position() const override;
  int subscribe(commit_listener listener) override;
  void unsubscribe(int id) override;
  /// Reads go to a file: recoveries and projections read on the journal's I/O threads.
  bool reads_block() const noexcept override { return true; }
  void run_io(std::function<void()> task) override;

  /// Stops the writer after it drains the queue. Called by the destructor.
  void close();

  const std::string& path() const noexcept;

  /// Writer statistics, for benchmarks and tests: commits done, and fdatasyncs of the WAL done by
  /// the sync thread (each covers every batch committed before it).
  std::uint64_t commits() const noexcept;
  std::uint64_t syncs() const noexcept;

  class impl; // runtime/src/es/sqlite_journal_impl.hpp

private:
  explicit sqlite_journal(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace dca::es
