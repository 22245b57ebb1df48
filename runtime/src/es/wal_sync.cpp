// The SQLite journal's WAL durability: the pipelined sync thread, the checkpointer, and the
// failure that stops the journal once the WAL could not be synced.
#include "wal_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dca/es/errors.hpp"

namespace dca::es {

namespace {

/// WAL pages after a commit that ask for a checkpoint (SQLite's own autocheckpoint default).
constexpr int wal_checkpoint_pages = 1000;

} // namespace

wal_sync::wal_sync(std::string journal_path, const sqlite_journal_options& opts, publish_fn publish)
    : path_(std::move(journal_path)), sync_hook_(opts.sync_wal),
      unsynced_batches_max_(opts.unsynced_batches_max), publish_(std::move(publish)),
      gathering_(opts.sync_wait_max) {}

wal_sync::~wal_sync() {
  stop();
  checkpoint_db_.reset();
  if (wal_fd_ >= 0) // before the journal's last connection closes (and SQLite deletes the WAL)
    ::close(wal_fd_);
}

// In pipelined mode the writer does not checkpoint (a checkpoint in its COMMIT would fsync the WAL
// and the database file serially, on the writer): its commits ask the checkpointer thread, which
// runs SQLite's PASSIVE checkpoint on its own connection, with the same syncs.
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

caf::error wal_sync::open_checkpoint_connection() {
  sqlite3* cdb = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  checkpoint_db_.reset(cdb);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, cdb, path_, "opening the checkpoint connection");
  return caf::none;
}

void wal_sync::start() {
  syncer_ = std::thread{[this] { run_syncer(); }};
  checkpointer_ = std::thread{[this] { run_checkpointer(); }};
}

void wal_sync::stop() {
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    sync_stopping_ = true;
  }
  to_sync_cv_.notify_all();
  if (syncer_.joinable()) // drains what the writer committed
    syncer_.join();
  {
    std::lock_guard<std::mutex> guard{checkpoint_mtx_};
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) // the last connection's close checkpoints what is left
    checkpointer_.join();
}

// -- pipelined sync ----------------------------------------------------------------------------
//
// The writer commits with synchronous=NORMAL and hands each committed batch here; this thread
// fdatasyncs the WAL once for every batch committed since its last sync (WAL frames are appended
// in commit order, so one sync started after a commit covers it and every earlier one), and only
// then publishes them: committed position, acks, listeners. Meanwhile the writer inserts and
// commits the next batch, so the sync wait overlaps the next batch's CPU time.

void wal_sync::begin_batch() {
  std::unique_lock<std::mutex> guard{sync_mtx_};
  room_cv_.wait(guard, [this] { return unsynced_ < unsynced_batches_max_; });
  writing_ = true;
}

void wal_sync::end_batch() {
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    writing_ = false;
  }
  to_sync_cv_.notify_one();
}

void wal_sync::submit(detail::committed_batch batch, std::atomic<std::uint64_t>& commits) {
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    ++commits;
    for (auto& j : batch.jobs)
      unsynced_appends_ += j.is_snapshot ? 0 : 1;
    to_sync_.push_back(std::move(batch));
    ++unsynced_;
    writing_ = false;
  }
  to_sync_cv_.notify_one();
}

void wal_sync::run_syncer() {
  using clock = detail::sync_gathering::clock;
  std::vector<detail::committed_batch> group;
  for (;;) {
    group.clear();
    std::size_t answered = 0;
    {
      std::unique_lock<std::mutex> guard{sync_mtx_};
      to_sync_cv_.wait(guard, [this] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty())
        return; // stopping and drained (the writer has stopped before us)
      // Gather the appends of the callers the previous sync answered (sync_gathering.hpp says
      // why and for how long at most).
      auto since = clock::now();
      auto gathered = [this, since] {
        return sync_stopping_ ||
               gathering_.may_start(unsynced_appends_, unsynced_ >= unsynced_batches_max_,
                                    clock::now() - since);
      };
      to_sync_cv_.wait_for(guard, gathering_.wait_bound(), gathered);
      // And a batch the writer is writing now joins this sync: its callers were answered by the
      // previous sync too. The writer commits as soon as it finds its queue empty.
      to_sync_cv_.wait(guard, [this] { return sync_stopping_ || !writing_; });
      group.swap(to_sync_);
      answered = unsynced_appends_;
      unsynced_appends_ = 0;
    }
    // After one failed fdatasync the kernel may have dropped the dirty pages and a later one can
    // succeed without them having reached the disk: nothing is acked any more.
    auto failed = failure();
    if (!failed) {
      auto started = clock::now();
      int err = sync_wal();
      gathering_.synced(answered, clock::now() - started);
      if (err) {
        fail(make_error(errc::journal_io, path_ + "-wal: fdatasync failed: " + std::strerror(err) +
                                              " (the journal accepts no more appends)"));
        failed = failure();
      } else {
        ++syncs_;
      }
    }
    publish_(group, failed);
    // Only now, after the acks: the bound covers the batches whose callbacks are still running.
    {
      std::lock_guard<std::mutex> guard{sync_mtx_};
      unsynced_ -= group.size();
    }
    room_cv_.notify_all();
  }
}

int wal_sync::sync_wal() {
  if (sync_hook_)
    return sync_hook_(wal_fd_);
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

// -- checkpoints -------------------------------------------------------------------------------

int wal_sync::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  if (wal_pages >= wal_checkpoint_pages) {
    auto* ws = static_cast<wal_sync*>(self);
    {
      std::lock_guard<std::mutex> guard{ws->checkpoint_mtx_};
      ws->checkpoint_wanted_ = true;
    }
    ws->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

// A checkpoint under synchronous=NORMAL is as safe as under FULL: it fdatasyncs the WAL before it
// copies any frame into the database file (so the file never holds a commit that is not on disk
// in the WAL, acked or not), and fdatasyncs the database file before it marks the frames copied;
// only then may the writer start the WAL over. PASSIVE: it never blocks the writer, and copies
// what no reader still needs; what it leaves, the next one takes.
void wal_sync::run_checkpointer() {
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{checkpoint_mtx_};
      checkpoint_cv_.wait(guard, [this] { return checkpoint_stopping_ || checkpoint_wanted_; });
      if (checkpoint_stopping_)
        return;
      checkpoint_wanted_ = false;
    }
    auto* db = checkpoint_db_.get();
    int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) // a failed sync, not a race
      fail(sql::to_error(rc, db, path_, "checkpointing the WAL"));
  }
}

} // namespace dca::es
