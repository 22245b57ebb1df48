// The SQLite journal's WAL durability: the pipelined sync thread, the writer's checkpoints, and
// the failure that stops the journal once the WAL could not be synced.
#include "wal_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::es {

wal_sync::wal_sync(std::string journal_path, wal_sync_options opts, publish_fn publish)
    : path_(std::move(journal_path)), opts_(std::move(opts)), publish_(std::move(publish)),
      gathering_(opts_.sync_wait_max) {
  DCA_ASSERT(opts_.unsynced_batches_max > 0);
  DCA_ASSERT(opts_.checkpoint_pages > 0);
}

wal_sync::~wal_sync() {
  stop();
  if (wal_fd_ >= 0) // before the journal's last connection closes (and SQLite deletes the WAL)
    ::close(wal_fd_);
}

// In pipelined mode SQLite's autocheckpoint (itself a commit hook) is replaced by ours, which
// notes the WAL's size; the writer checkpoints between batches (checkpoint_if_due).
void wal_sync::watch_commits(sqlite3* writer_db) {
  sqlite3_wal_hook(writer_db, &wal_sync::on_wal_commit, this);
}

// Our own descriptor: any fd of the inode syncs it on Linux, and SQLite takes no POSIX locks on the
// -wal file, so closing ours releases none of its locks. Sync once before reporting anything as
// committed: a previous process may have committed and died before its sync, leaving frames only
// in the page cache.
caf::error wal_sync::open_wal(bool sync_first) {
  auto wal_path = path_ + "-wal";
  wal_fd_ = ::open(wal_path.c_str(), O_RDWR | O_CLOEXEC);
  if (wal_fd_ < 0)
    return make_error(errc::journal_io, wal_path + ": " + std::strerror(errno));
  if (sync_first)
    if (int err = sync_wal())
      return make_error(errc::journal_io, wal_path + ": fdatasync failed: " + std::strerror(err));
  return caf::none;
}

void wal_sync::start() {
  syncer_ = std::thread{[this] { run_syncer(); }};
}

void wal_sync::stop() {
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    sync_stopping_ = true;
  }
  to_sync_cv_.notify_all();
  if (syncer_.joinable()) // drains what the writer committed
    syncer_.join();
}

// -- pipelined sync -------------------------------------------------------------------------------
//
// The writer commits with synchronous=NORMAL and hands each committed batch here; this thread
// fdatasyncs the WAL once for every batch committed since its last sync (WAL frames are appended
// in commit order, so one sync started after a commit covers it and every earlier one), and only
// then publishes them: committed position, acks, listeners. Meanwhile the writer inserts and
// commits the next batch, so the sync wait overlaps the next batch's CPU time.

void wal_sync::begin_batch() {
  std::unique_lock<std::mutex> guard{sync_mtx_};
  room_cv_.wait(guard, [this] { return unsynced_ < opts_.unsynced_batches_max; });
  writing_ = true;
}

void wal_sync::end_batch() {
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    writing_ = false;
  }
  to_sync_cv_.notify_one();
}

void wal_sync::submit(committed_batch batch) {
  if (!opts_.pipelined) { // durable at COMMIT: published on the writer's thread
    ++commits_;
    std::vector<committed_batch> group;
    group.push_back(std::move(batch));
    publish_(group, caf::error{});
    return;
  }
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    ++commits_;
    for (auto& j : batch.jobs)
      unsynced_appends_ += j.is_snapshot ? 0 : 1;
    to_sync_.push_back(std::move(batch));
    ++unsynced_;
    writing_ = false;
  }
  to_sync_cv_.notify_one();
}

std::size_t wal_sync::gather(std::vector<committed_batch>& group) {
  using clock = sync_gathering::clock;
  std::unique_lock<std::mutex> guard{sync_mtx_};
  to_sync_cv_.wait(guard, [this] { return sync_stopping_ || !to_sync_.empty(); });
  if (to_sync_.empty())
    return 0; // stopping and drained (the writer has stopped before us)
  // Gather the appends of the callers the previous sync answered (sync_gathering.hpp says why
  // and for how long at most).
  auto since = clock::now();
  auto gathered = [this, since] {
    return sync_stopping_ ||
           gathering_.may_start(unsynced_appends_, unsynced_ >= opts_.unsynced_batches_max,
                                clock::now() - since);
  };
  to_sync_cv_.wait_for(guard, gathering_.wait_bound(), gathered);
  // And a batch the writer is writing now joins this sync if it is committed within the same
  // bound: its callers were answered by the previous sync too. Waiting for it whatever it takes
  // cost 10% on a fast disk (5 A/B pairs), where writing a batch takes about as long as syncing
  // one; on slow disks it made no difference.
  to_sync_cv_.wait_for(guard, gathering_.wait_bound(),
                       [this] { return sync_stopping_ || !writing_; });
  group.swap(to_sync_);
  auto answered = unsynced_appends_;
  unsynced_appends_ = 0;
  return answered;
}

caf::error wal_sync::sync_group(std::size_t answered) {
  using clock = sync_gathering::clock;
  // After one failed fdatasync the kernel may have dropped the dirty pages and a later one can
  // succeed without them having reached the disk: nothing is acked any more.
  if (auto failed = failure())
    return failed;
  auto started = clock::now();
  int err = sync_wal();
  gathering_.synced(answered, clock::now() - started);
  if (err == 0) {
    ++syncs_;
    return caf::none;
  }
  fail(make_error(errc::journal_io, path_ + "-wal: fdatasync failed: " + std::strerror(err) +
                                        " (the journal accepts no more appends)"));
  return failure();
}

void wal_sync::run_syncer() {
  std::vector<committed_batch> group;
  for (;;) {
    group.clear();
    auto answered = gather(group);
    if (group.empty())
      return;
    publish_(group, sync_group(answered));
    // Only now, after the acks: the bound covers the batches whose callbacks are still running.
    {
      std::lock_guard<std::mutex> guard{sync_mtx_};
      unsynced_ -= group.size();
    }
    room_cv_.notify_all();
  }
}

int wal_sync::sync_wal() {
  if (opts_.sync_wal)
    return opts_.sync_wal(wal_fd_);
  return ::fdatasync(wal_fd_) == 0 ? 0 : errno;
}

caf::error wal_sync::failure() const {
  return failed_.load(std::memory_order_acquire) ? failure_ : caf::error{};
}

void wal_sync::fail(caf::error failure) {
  std::call_once(failure_once_, [&] {
    failure_ = std::move(failure);
    failed_.store(true, std::memory_order_release);
  });
}

// -- checkpoints ----------------------------------------------------------------------------------
//
// Every append rewrites the last index page of its stream, so the WAL grows by about a page per
// event. A checkpoint can let the WAL start over only when it has copied every frame and no
// transaction has begun since: run on another connection while the writer commits, it never
// caught up, and the WAL grew without bound (1.4 GB in 6 s of the append benchmark). So the writer
// checkpoints itself, between batches, once the WAL holds checkpoint_pages (by default 16,384:
// 64 MiB; SQLite's 1,000 meant a checkpoint every batch or two, measured 30% slower), and its next
// transaction starts the WAL over. Meanwhile the sync thread keeps syncing and acking the
// batches committed before it.

int wal_sync::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  static_cast<wal_sync*>(self)->wal_pages_ = wal_pages;
  return SQLITE_OK;
}

// A checkpoint under synchronous=NORMAL is as safe as under FULL: it fdatasyncs the WAL before it
// copies any frame into the database file (so the file never holds a commit that is not on disk
// in the WAL, acked or not), and fdatasyncs the database file before it marks the frames copied;
// only then may the writer start the WAL over. PASSIVE: a reader still on an older snapshot keeps
// the frames it needs, and the next batch's check tries again.
void wal_sync::checkpoint_if_due(sqlite3* writer_db) {
  if (wal_pages_ < opts_.checkpoint_pages || failure())
    return;
  int rc =
      sqlite3_wal_checkpoint_v2(writer_db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) // a failed sync, not a race
    fail(sql::to_error(rc, writer_db, path_, "checkpointing the WAL"));
}

} // namespace dca::es
