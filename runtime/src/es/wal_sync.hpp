// The SQLite journal's WAL durability, private to the library: our descriptor of `<path>-wal` and
// its fdatasync, the sync thread that makes committed batches durable before they are acked
// (pipelined sync), the writer's checkpoints that keep the WAL bounded, and the failure that stops
// the journal once the WAL (or a checkpoint) could not be synced. It counts the commits too: every
// committed batch passes through submit, pipelined or not.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dca/es/sqlite.hpp"
#include "journal_batch.hpp"
#include "sync_gathering.hpp"

namespace dca::es {

/// What wal_sync needs to know; the journal maps its sqlite_journal_options onto it.
struct wal_sync_options {
  /// Pipelined: a sync thread fdatasyncs the WAL after COMMIT and then publishes. Not pipelined:
  /// the fsync was in COMMIT (or durability is off), and a submitted batch is published at once.
  bool pipelined = true;
  /// Batches committed but not yet synced and published; the writer waits for room past it.
  std::size_t unsynced_batches_max = 4;
  /// Pages in the WAL past which the writer checkpoints (at most INT_MAX).
  int checkpoint_pages = 16'384;
  /// How long a sync waits at most to gather appends (sync_gathering.hpp).
  std::chrono::microseconds sync_wait_max{-1};
  /// Test hook in place of ::fdatasync(wal_fd); returns 0 or an errno value. Empty: ::fdatasync.
  std::function<int(int wal_fd)> sync_wal;
};

class wal_sync {
public:
  /// Called on the sync thread with every batch committed since the previous sync, in commit
  /// order: `failure` is empty when the fdatasync covering them succeeded (publish them), else the
  /// error every one of their appends gets.
  using publish_fn =
      std::function<void(std::vector<committed_batch>& group, const caf::error& failure)>;

  wal_sync(std::string journal_path, wal_sync_options opts, publish_fn publish);

  /// Stops the sync thread if still running, then closes the WAL file.
  /// Destroy this before the journal's last connection (which deletes the WAL when it closes).
  ~wal_sync();

  wal_sync(const wal_sync&) = delete;
  wal_sync& operator=(const wal_sync&) = delete;

  // -- setup, in this order, on the opening thread ------------------------------------------------

  /// Watches `writer_db`'s commits for the WAL's size instead of letting its COMMIT checkpoint.
  void watch_commits(sqlite3* writer_db);
  /// Opens `<path>-wal` (WAL mode must be on and the file opened by SQLite) and, with
  /// `sync_first`, syncs it once: a previous process may have committed and died before its sync.
  caf::error open_wal(bool sync_first);
  /// Starts the sync thread.
  void start();

  // -- the writer thread --------------------------------------------------------------------------

  /// Waits until fewer than unsynced_batches_max batches are committed but not yet acked, then
  /// marks a batch as being written: a sync that is about to start may wait for it (run_syncer).
  void begin_batch();
  /// The batch begun is submitted or abandoned (it failed, or there was nothing to write).
  void end_batch();
  /// Hands a committed batch over and counts it, the one place commits are counted. Pipelined: to
  /// the sync thread, counted under the same lock, so whoever sees the count knows the sync thread
  /// has the batch, and whoever gets an ack of it sees the count. Else published at once, after
  /// it is counted.
  void submit(committed_batch batch);
  /// Between batches: once the WAL holds checkpoint_pages, checkpoints it on the writer's
  /// connection, so that the writer's next transaction starts the WAL over.
  void checkpoint_if_due(sqlite3* writer_db);

  // -- any thread ---------------------------------------------------------------------------------

  /// The error every append gets once an fdatasync of the WAL (or a checkpoint) failed; none
  /// before.
  caf::error failure() const;
  /// Batches committed (submitted).
  std::uint64_t commits() const noexcept { return commits_.load(); }
  /// fdatasyncs of the WAL done by the sync thread.
  std::uint64_t syncs() const noexcept { return syncs_.load(); }
  /// Stops the sync thread after it drained what the writer committed (the writer has stopped).
  void stop();

private:
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void run_syncer();
  /// Waits for committed batches and moves them into `group` once gathered (or stopping);
  /// returns how many appends they answer. `group` stays empty when stopped and drained.
  std::size_t gather(std::vector<committed_batch>& group);
  /// One fdatasync for the gathered group; the error its appends get, or none.
  caf::error sync_group(std::size_t answered);
  /// fdatasync of the WAL (or the test hook); 0 or an errno value.
  int sync_wal();
  /// Records the first failure to sync; later ones keep it.
  void fail(caf::error failure);

  std::string path_; // the journal's
  wal_sync_options opts_;
  publish_fn publish_;
  int wal_fd_ = -1; // the <path>-wal file, opened once WAL mode is on; the sync thread syncs it
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> commits_{0};

  // Writer -> sync thread: committed batches in commit order, and how many are not yet acked.
  std::mutex sync_mtx_;
  std::condition_variable to_sync_cv_; // the sync thread waits for batches
  std::condition_variable room_cv_;    // the writer waits for unsynced_ < unsynced_batches_max
  std::vector<committed_batch> to_sync_;
  std::size_t unsynced_ = 0;
  bool writing_ = false;             // the writer is between begin_batch and submit or end_batch
  std::size_t unsynced_appends_ = 0; // appends in to_sync_ (snapshots are not answered)
  sync_gathering gathering_;         // when the next sync starts; the sync thread's
  bool sync_stopping_ = false;
  std::thread syncer_;

  // Set once (fail) before failed_ is; never changed after.
  std::once_flag failure_once_;
  caf::error failure_;
  std::atomic<bool> failed_{false};

  // The writer's thread only: the WAL's size in pages after its last commit (the commit hook).
  int wal_pages_ = 0;
};

} // namespace dca::es
