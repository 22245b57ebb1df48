// The SQLite journal: validation on open, the group-commit writer thread, the sync thread that
// makes its commits durable (pipelined WAL sync), and the read pool.
#include "dca/es/sqlite_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "dca/es/errors.hpp"

namespace dca::es {

namespace {

constexpr const char* schema_sql = R"sql(
CREATE TABLE streams(
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  UNIQUE(type, key));
CREATE TABLE events(
  position INTEGER PRIMARY KEY,
  stream INTEGER NOT NULL REFERENCES streams(id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  payload BLOB NOT NULL,
  text TEXT NOT NULL,
  idempotency_key TEXT,
  written_at_ms INTEGER NOT NULL);
CREATE UNIQUE INDEX events_by_stream ON events(stream, seq);
CREATE TABLE snapshots(
  stream INTEGER PRIMARY KEY REFERENCES streams(id),
  seq INTEGER NOT NULL,
  position INTEGER NOT NULL,
  payload BLOB NOT NULL,
  text TEXT NOT NULL);
PRAGMA user_version = 1;
)sql";

/// WAL pages after a commit that ask for a checkpoint (SQLite's own autocheckpoint default).
constexpr int wal_checkpoint_pages = 1000;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

sqlite_journal::sqlite_journal(std::string path, sqlite_journal_options opts)
    : path_(std::move(path)), opts_(opts) {
  assert(opts_.batch_events_max > 0);
  assert(opts_.append_queue_max > 0);
  assert(opts_.read_connections_max > 0);
  assert(opts_.unsynced_batches_max > 0);
}

caf::expected<std::shared_ptr<sqlite_journal>> sqlite_journal::open(const std::string& path,
                                                                    sqlite_journal_options opts) {
  std::shared_ptr<sqlite_journal> result{new sqlite_journal(path, opts)};
  if (auto err = result->init())
    return err;
  return result;
}

caf::error sqlite_journal::init() {
  bool exists = ::access(path_.c_str(), F_OK) == 0;
  if (!exists && ::access(parent_dir(path_).c_str(), W_OK) != 0)
    return make_error(errc::journal_read_only,
                      path_ + ": cannot create the journal: directory not writable");
  if (exists && ::access(path_.c_str(), W_OK) != 0)
    return make_error(errc::journal_read_only, path_ + ": not writable (read-only file)");
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path_.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  wdb_.reset(raw);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path_, "opening");
  if (sqlite3_db_readonly(raw, "main") == 1)
    return make_error(errc::journal_read_only, path_ + ": opened read-only");
  sqlite3_busy_timeout(raw, 1000);
  // One writing process per journal: the expected-sequence cache is only authoritative then.
  lock_fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (lock_fd_ < 0)
    return make_error(errc::journal_io, path_ + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
    return make_error(errc::journal_locked,
                      path_ + ": locked by another process (a dca runtime has it open)");
  // Validate before writing anything: a file we refuse stays as it was.
  sql::statement st;
  if (auto err = sql::statement::prepare(raw, "PRAGMA user_version", st, path_))
    return err;
  rc = st.step();
  if (rc != SQLITE_ROW)
    return sql::to_error(rc, raw, path_, "reading the schema version");
  auto version = st.int64(0);
  st = sql::statement{};
  if (version > journal_schema_version)
    return make_error(errc::journal_newer_schema, path_ + ": schema version " +
                                                      std::to_string(version) +
                                                      " is newer than this dca supports (" +
                                                      std::to_string(journal_schema_version) + ")");
  if (auto err = sql::statement::prepare(raw, "SELECT count(*) FROM sqlite_master", st, path_))
    return err;
  rc = st.step();
  if (rc != SQLITE_ROW)
    return sql::to_error(rc, raw, path_, "reading the schema");
  auto tables = st.int64(0);
  st = sql::statement{};
  if (version == 0 && tables > 0)
    return make_error(errc::journal_not_dca,
                      path_ + ": a SQLite database, but not a dca journal (no schema version)");
  if (auto err = sql::exec(raw, "PRAGMA journal_mode=WAL", path_))
    return err;
  // Pipelined sync: in WAL mode NORMAL does not sync the WAL at COMMIT (the sync thread does,
  // before any ack), and still syncs at checkpoints: a checkpoint fdatasyncs the WAL before it
  // copies frames into the database file and syncs that file before the WAL is reused, so the
  // database file never holds a frame that is not on disk in the WAL, and a power loss before our
  // fdatasync can lose only unacked commits (their frames fail their checksums and are ignored),
  // never corrupt the file.
  bool full = opts_.synchronous_full && !opts_.pipelined_sync;
  if (auto err =
          sql::exec(raw, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", path_))
    return err;
  // In pipelined mode the writer does not checkpoint (a checkpoint in its COMMIT would fsync the
  // WAL and the database file serially, on the writer): its commits ask the checkpointer thread,
  // which runs SQLite's PASSIVE checkpoint on its own connection, with the same syncs.
  if (pipelined())
    sqlite3_wal_hook(raw, &sqlite_journal::on_wal_commit, this);
  if (version == 0) {
    if (auto err = sql::exec(raw, "BEGIN IMMEDIATE", path_))
      return err;
    if (auto err = sql::exec(raw, schema_sql, path_)) {
      sql::exec(raw, "ROLLBACK", path_);
      return err;
    }
    if (auto err = sql::exec(raw, "COMMIT", path_))
      return err;
  }
  // Load the heads: the writer fences every append against them.
  const char* heads_sql = "SELECT s.id, s.type, s.key, "
                          "COALESCE((SELECT max(seq) FROM events e WHERE e.stream = s.id), 0) "
                          "FROM streams s";
  if (auto err = sql::statement::prepare(raw, heads_sql, st, path_))
    return err;
  while ((rc = st.step()) == SQLITE_ROW)
    streams_.emplace(entity_id{st.text(1), st.text(2)},
                     stream_info{st.int64(0), static_cast<std::uint64_t>(st.int64(3))});
  if (rc != SQLITE_DONE)
    return sql::to_error(rc, raw, path_, "loading stream heads");
  st = sql::statement{};
  if (auto err =
          sql::statement::prepare(raw, "SELECT COALESCE(max(position), 0) FROM events", st, path_))
    return err;
  if ((rc = st.step()) != SQLITE_ROW)
    return sql::to_error(rc, raw, path_, "reading the last position");
  next_position_ = static_cast<std::uint64_t>(st.int64(0)) + 1;
  // The WAL exists now (WAL mode is on and the reads above opened it). Our own descriptor: any fd
  // of the inode syncs it on Linux, and SQLite takes no POSIX locks on the -wal file, so closing
  // ours releases none of its locks. Sync once before reporting anything as committed: a previous
  // process may have committed and died before its sync, leaving frames only in the page cache.
  auto wal_path = path_ + "-wal";
  wal_fd_ = ::open(wal_path.c_str(), O_RDWR | O_CLOEXEC);
  if (wal_fd_ < 0)
    return make_error(errc::journal_io, wal_path + ": " + std::strerror(errno));
  if (opts_.synchronous_full)
    if (int err = sync_wal())
      return make_error(errc::journal_io, wal_path + ": fdatasync failed: " + std::strerror(err));
  committed_ = next_position_ - 1;
  st = sql::statement{};
  if (auto err = sql::statement::prepare(
          raw,
          "INSERT INTO events(position, stream, seq, type, payload, text, idempotency_key, "
          "written_at_ms) VALUES(?,?,?,?,?,?,?,?)",
          insert_event_, path_))
    return err;
  if (auto err = sql::statement::prepare(raw, "INSERT INTO streams(type, key) VALUES(?,?)",
                                         insert_stream_, path_))
    return err;
  if (auto err = sql::statement::prepare(raw,
                                         "INSERT OR REPLACE INTO snapshots(stream, seq, position, "
                                         "payload, text) VALUES(?,?,?,?,?)",
                                         upsert_snapshot_, path_))
    return err;
  // One reader up front: a journal that cannot be read fails here, not in a recovery.
  auto r = std::make_unique<reader>();
  if (auto err = open_reader(*r))
    return err;
  readers_.push_back(std::move(r));
  readers_open_ = 1;
  if (pipelined()) {
    sqlite3* cdb = nullptr;
    rc = sqlite3_open_v2(path_.c_str(), &cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    checkpoint_db_.reset(cdb);
    if (rc != SQLITE_OK)
      return sql::to_error(rc, cdb, path_, "opening the checkpoint connection");
  }
  writer_ = std::thread{[this] { run_writer(); }};
  if (pipelined()) {
    syncer_ = std::thread{[this] { run_syncer(); }};
    checkpointer_ = std::thread{[this] { run_checkpointer(); }};
  }
  return caf::none;
}

caf::error sqlite_journal::open_reader(reader& r) {
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  r.db.reset(raw);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path_, "opening a reader");
  sqlite3_busy_timeout(raw, 1000);
  if (auto err = sql::statement::prepare(raw, "SELECT id FROM streams WHERE type = ? AND key = ?",
                                         r.find_stream, path_))
    return err;
  if (auto err = sql::statement::prepare(
          raw,
          "SELECT position, seq, type, payload, text, idempotency_key FROM events "
          "WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?",
          r.read_stream, path_))
    return err;
  // Replay reads only what recovery needs: no type, no text.
  if (auto err =
          sql::statement::prepare(raw,
                                  "SELECT position, seq, payload, idempotency_key FROM events "
                                  "WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?",
                                  r.replay_stream, path_))
    return err;
  if (auto err = sql::statement::prepare(
          raw,
          "SELECT e.position, s.type, s.key, e.seq, e.type, e.payload, e.text, e.idempotency_key "
          "FROM events e JOIN streams s ON s.id = e.stream "
          "WHERE e.position > ? AND e.position <= ? ORDER BY e.position LIMIT ?",
          r.read_all, path_))
    return err;
  if (auto err = sql::statement::prepare(
          raw, "SELECT seq, position, payload, text FROM snapshots WHERE stream = ?",
          r.load_snapshot, path_))
    return err;
  return caf::none;
}

sqlite_journal::~sqlite_journal() {
  close();
  readers_.clear();
  insert_event_ = sql::statement{};
  insert_stream_ = sql::statement{};
  upsert_snapshot_ = sql::statement{};
  checkpoint_db_.reset();
  if (wal_fd_ >= 0) // before the last connection closes (and SQLite deletes the WAL)
    ::close(wal_fd_);
  wal_fd_ = -1;
  wdb_.reset();
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

void sqlite_journal::close() {
  {
    std::lock_guard<std::mutex> guard{queue_mtx_};
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) // drains the queue; the sync thread still acks what it commits
    writer_.join();
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

// -- appends -----------------------------------------------------------------------------------

void sqlite_journal::append(append_request req, append_callback done) {
  assert(!req.events.empty());
  std::unique_lock<std::mutex> guard{queue_mtx_};
  if (stopping_) {
    guard.unlock();
    done(make_error(errc::journal_closed, path_ + ": journal closed"));
    return;
  }
  if (queue_.size() >= opts_.append_queue_max) {
    guard.unlock();
    done(make_error(errc::overloaded, path_ + ": append queue full (append_queue_max = " +
                                          std::to_string(opts_.append_queue_max) + ")"));
    return;
  }
  queue_.push_back(job{false, std::move(req), std::move(done), {}});
  guard.unlock();
  queue_cv_.notify_one();
}

void sqlite_journal::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  std::unique_lock<std::mutex> guard{queue_mtx_};
  if (stopping_ || queue_.size() >= opts_.append_queue_max)
    return; // best effort: a missing snapshot only lengthens the next replay
  append_request req;
  req.entity = entity;
  queue_.push_back(job{true, std::move(req), nullptr, std::move(snapshot)});
  guard.unlock();
  queue_cv_.notify_one();
}

void sqlite_journal::run_writer() {
  std::vector<job> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock<std::mutex> guard{queue_mtx_};
      queue_cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping and drained
    }
    wait_for_sync_room();
    write_batch(batch);
  }
}

std::size_t sqlite_journal::take_jobs(std::vector<job>& batch, std::size_t events) {
  std::lock_guard<std::mutex> guard{queue_mtx_};
  while (!queue_.empty()) {
    auto n = std::max<std::size_t>(queue_.front().req.events.size(), 1);
    if (!batch.empty() && events + n > opts_.batch_events_max)
      break;
    events += n;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return events;
}

void sqlite_journal::write_batch(std::vector<job>& batch) {
  auto* db = wdb_.get();
  // Adaptive group commit without a timer: the transaction takes what queued while the previous
  // commit was in flight, and keeps taking what queues while it inserts, until it finds the queue
  // empty (or holds batch_events_max events). Appends that arrive while earlier ones are being
  // inserted join this commit instead of waiting a whole commit for the next one.
  std::size_t events = take_jobs(batch, 0);
  if (auto failure = sync_failure()) { // a log that cannot be synced must not take more appends
    fail_jobs(batch, failure);
    return;
  }
  results_.clear();
  touched_.clear();
  created_.clear();
  auto first_position = next_position_;
  batch_ms_ = now_ms();
  caf::error failure;
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    failure = sql::to_error(rc, db, path_, "beginning a batch");
  for (std::size_t next = 0; !failure; ++next) {
    if (next == batch.size() && events < opts_.batch_events_max)
      events = take_jobs(batch, events);
    if (next == batch.size())
      break;
    auto& j = batch[next];
    results_.emplace_back(append_result{});
    failure = j.is_snapshot ? write_snapshot(j) : write_append(j, results_.back());
  }
  if (!failure && (rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr)) != SQLITE_OK)
    failure = sql::to_error(rc, db, path_, "committing a batch");
  if (failure) {
    undo_batch(first_position);
    fail_jobs(batch, failure); // all or nothing: every job of the batch fails
    return;
  }
  std::vector<committed_batch> done(1);
  done[0] = committed_batch{std::move(batch), std::move(results_), next_position_ - 1};
  batch.clear();
  results_.clear();
  if (!pipelined()) { // the fsync was in COMMIT (or durability is off): durable now
    ++commits_;
    complete(done);
    return;
  }
  {
    std::lock_guard<std::mutex> guard{sync_mtx_};
    to_sync_.push_back(std::move(done[0]));
    ++unsynced_;
  }
  to_sync_cv_.notify_one();
  ++commits_; // after the hand-off: a test that sees the count knows the sync thread has it
}

void sqlite_journal::fail_jobs(std::vector<job>& jobs, const caf::error& failure) {
  for (auto& j : jobs)
    if (!j.is_snapshot)
      j.done(failure);
}

void sqlite_journal::complete(std::vector<committed_batch>& batches) {
  // The position first: an acked client that asks committed_position() sees its own append.
  auto before = committed_.load();
  auto position = batches.back().last_position;
  committed_ = position;
  for (auto& b : batches)
    for (std::size_t k = 0; k < b.jobs.size(); ++k)
      if (!b.jobs[k].is_snapshot)
        b.jobs[k].done(std::move(b.results[k]));
  if (position != before)
    notify(position);
}

// -- pipelined sync ----------------------------------------------------------------------------
//
// The writer commits with synchronous=NORMAL and hands each committed batch here; this thread
// fdatasyncs the WAL once for every batch committed since its last sync (WAL frames are appended
// in commit order, so one sync started after a commit covers it and every earlier one), and only
// then publishes them: committed position, acks, listeners. Meanwhile the writer inserts and
// commits the next batch, so the sync wait overlaps the next batch's CPU time.

void sqlite_journal::wait_for_sync_room() {
  std::unique_lock<std::mutex> guard{sync_mtx_};
  room_cv_.wait(guard, [this] { return unsynced_ < opts_.unsynced_batches_max; });
}

int sqlite_journal::sync_wal() {
  if (opts_.sync_wal)
    return opts_.sync_wal(wal_fd_);
  return ::fdatasync(wal_fd_) == 0 ? 0 : errno;
}

caf::error sqlite_journal::sync_failure() const {
  return sync_failed_.load(std::memory_order_acquire) ? sync_failure_ : caf::error{};
}

void sqlite_journal::fail_sync(caf::error failure) {
  std::call_once(failure_once_, [&] {
    sync_failure_ = std::move(failure);
    sync_failed_.store(true, std::memory_order_release);
  });
}

int sqlite_journal::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  if (wal_pages >= wal_checkpoint_pages) {
    auto* j = static_cast<sqlite_journal*>(self);
    {
      std::lock_guard<std::mutex> guard{j->checkpoint_mtx_};
      j->checkpoint_wanted_ = true;
    }
    j->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

// A checkpoint under synchronous=NORMAL is as safe as under FULL: it fdatasyncs the WAL before it
// copies any frame into the database file (so the file never holds a commit that is not on disk
// in the WAL, acked or not), and fdatasyncs the database file before it marks the frames copied;
// only then may the writer start the WAL over. PASSIVE: it never blocks the writer, and copies
// what no reader still needs; what it leaves, the next one takes.
void sqlite_journal::run_checkpointer() {
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
      fail_sync(sql::to_error(rc, db, path_, "checkpointing the WAL"));
  }
}

void sqlite_journal::run_syncer() {
  std::vector<committed_batch> group;
  for (;;) {
    group.clear();
    {
      std::unique_lock<std::mutex> guard{sync_mtx_};
      to_sync_cv_.wait(guard, [this] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty())
        return; // stopping and drained (the writer has stopped before us)
      group.swap(to_sync_);
    }
    // After one failed fdatasync the kernel may have dropped the dirty pages and a later one can
    // succeed without them having reached the disk: nothing is acked any more.
    auto failure = sync_failure();
    if (!failure) {
      if (int err = sync_wal()) {
        fail_sync(make_error(errc::journal_io, path_ +
                                                   "-wal: fdatasync failed: " + std::strerror(err) +
                                                   " (the journal accepts no more appends)"));
        failure = sync_failure();
      } else {
        ++syncs_;
      }
    }
    if (failure)
      for (auto& b : group)
        fail_jobs(b.jobs, failure);
    else
      complete(group);
    // Only now, after the acks: the bound covers the batches whose callbacks are still running.
    {
      std::lock_guard<std::mutex> guard{sync_mtx_};
      unsynced_ -= group.size();
    }
    room_cv_.notify_all();
  }
}

caf::error sqlite_journal::write_append(job& j, caf::expected<append_result>& result) {
  auto i = streams_.find(j.req.entity);
  auto head = i == streams_.end() ? 0 : i->second.head;
  if (head != j.req.expected_seq) {
    result = make_error(errc::sequence_conflict, j.req.entity.to_string() + ": expected sequence " +
                                                     std::to_string(j.req.expected_seq) +
                                                     ", stream is at " + std::to_string(head));
    return caf::none;
  }
  if (i == streams_.end()) {
    insert_stream_.bind(1, j.req.entity.type);
    insert_stream_.bind(2, j.req.entity.key);
    auto rc = insert_stream_.step();
    insert_stream_.reset();
    if (rc != SQLITE_DONE)
      return sql::to_error(rc, wdb_.get(), path_, "creating a stream");
    i = streams_.emplace(j.req.entity, stream_info{sqlite3_last_insert_rowid(wdb_.get()), 0}).first;
    created_.push_back(j.req.entity);
  } else {
    touched_.emplace_back(&i->second, i->second.head);
  }
  auto& info = i->second;
  append_result res;
  res.first_seq = info.head + 1;
  res.first_position = next_position_;
  for (std::size_t k = 0; k < j.req.events.size(); ++k) {
    auto& ev = j.req.events[k];
    insert_event_.bind(1, static_cast<std::int64_t>(next_position_));
    insert_event_.bind(2, info.id);
    insert_event_.bind(3, static_cast<std::int64_t>(info.head + 1));
    insert_event_.bind(4, ev.type);
    insert_event_.bind_blob(5, ev.payload);
    insert_event_.bind(6, ev.text);
    if (k + 1 == j.req.events.size() && !j.req.idempotency_key.empty())
      insert_event_.bind(7, j.req.idempotency_key);
    else
      insert_event_.bind_null(7);
    insert_event_.bind(8, batch_ms_);
    auto rc = insert_event_.step();
    insert_event_.reset();
    if (rc != SQLITE_DONE)
      return sql::to_error(rc, wdb_.get(), path_, "appending an event");
    ++next_position_;
    ++info.head;
  }
  res.last_seq = info.head;
  res.last_position = next_position_ - 1;
  result = res;
  return caf::none;
}

caf::error sqlite_journal::write_snapshot(job& j) {
  auto i = streams_.find(j.req.entity);
  if (i == streams_.end())
    return caf::none;
  upsert_snapshot_.bind(1, i->second.id);
  upsert_snapshot_.bind(2, static_cast<std::int64_t>(j.snapshot.seq));
  upsert_snapshot_.bind(3, static_cast<std::int64_t>(j.snapshot.position));
  upsert_snapshot_.bind_blob(4, j.snapshot.payload);
  upsert_snapshot_.bind(5, j.snapshot.text);
  auto rc = upsert_snapshot_.step();
  upsert_snapshot_.reset();
  return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, wdb_.get(), path_, "writing a snapshot");
}

void sqlite_journal::undo_batch(std::uint64_t first_position) {
  sqlite3_exec(wdb_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  for (auto it = touched_.rbegin(); it != touched_.rend(); ++it)
    it->first->head = it->second;
  for (auto& id : created_)
    streams_.erase(id);
  next_position_ = first_position;
}

void sqlite_journal::notify(std::uint64_t position) {
  std::vector<commit_listener> fns;
  {
    std::lock_guard<std::mutex> guard{listeners_mtx_};
    for (auto& [id, fn] : listeners_)
      fns.push_back(fn);
  }
  for (auto& fn : fns)
    fn(position);
}

int sqlite_journal::subscribe(commit_listener listener) {
  std::lock_guard<std::mutex> guard{listeners_mtx_};
  auto id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void sqlite_journal::unsubscribe(int id) {
  std::lock_guard<std::mutex> guard{listeners_mtx_};
  listeners_.erase(id);
}

// -- reads -------------------------------------------------------------------------------------

std::unique_ptr<sqlite_journal::reader> sqlite_journal::checkout_reader() {
  std::unique_lock<std::mutex> guard{readers_mtx_};
  for (;;) {
    if (!readers_.empty()) {
      auto r = std::move(readers_.back());
      readers_.pop_back();
      return r;
    }
    if (readers_open_ < opts_.read_connections_max) {
      ++readers_open_;
      guard.unlock();
      auto r = std::make_unique<reader>();
      if (auto err = open_reader(*r)) {
        std::lock_guard<std::mutex> again{readers_mtx_};
        --readers_open_;
        return nullptr;
      }
      return r;
    }
    readers_cv_.wait(guard);
  }
}

void sqlite_journal::checkin_reader(std::unique_ptr<reader> r) {
  {
    std::lock_guard<std::mutex> guard{readers_mtx_};
    readers_.push_back(std::move(r));
  }
  readers_cv_.notify_one();
}

// Reading one stream (recovery, snapshots) is not bounded by the durable position: it may see an
// append that is committed but not yet synced. That is safe: nothing built on it is acked earlier.
// A recovered entity's next append is fenced behind those events (its expected seq counts them)
// and lands after them in the WAL, so the fdatasync that acks it covers them too; and a power loss
// before that sync loses them together with everything that depended on them, none of it acked.
// (Bounding recovery by the synced position would instead fence the entity against the writer's
// heads, which already count them, and fail its next append.) Once a sync has failed, streams are
// not read at all: their unsynced tail may never reach the disk.
caf::error sqlite_journal::with_stream(const entity_id& entity, const stream_reader& read) {
  if (auto failure = sync_failure())
    return failure;
  auto r = checkout_reader();
  if (!r)
    return make_error(errc::journal_io, path_ + ": cannot open a read connection");
  caf::error result;
  auto& fs = r->find_stream;
  fs.bind(1, entity.type);
  fs.bind(2, entity.key);
  int rc = fs.step();
  if (rc == SQLITE_ROW)
    result = read(*r, fs.int64(0));
  else if (rc != SQLITE_DONE)
    result = sql::to_error(rc, r->db.get(), path_, "finding a stream");
  fs.reset();
  checkin_reader(std::move(r));
  return result;
}

caf::error sqlite_journal::read_stream(const entity_id& entity, std::uint64_t from_seq,
                                       std::size_t max, std::vector<event_record>& out) {
  out.clear();
  return with_stream(entity, [&](reader& r, std::int64_t stream) {
    auto& rs = r.read_stream;
    rs.bind(1, stream);
    rs.bind(2, static_cast<std::int64_t>(from_seq));
    rs.bind(3, static_cast<std::int64_t>(max));
    int rc;
    while ((rc = rs.step()) == SQLITE_ROW) {
      event_record rec;
      rec.position = static_cast<std::uint64_t>(rs.int64(0));
      rec.entity = entity;
      rec.seq = static_cast<std::uint64_t>(rs.int64(1));
      rec.type = rs.text(2);
      rec.payload = rs.blob(3);
      rec.text = rs.text(4);
      rec.idempotency_key = rs.text(5);
      out.push_back(std::move(rec));
    }
    rs.reset();
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, r.db.get(), path_, "reading a stream");
  });
}

caf::expected<std::size_t> sqlite_journal::replay_stream(const entity_id& entity,
                                                         std::uint64_t from_seq, std::size_t max,
                                                         const event_visitor& visit) {
  std::size_t visited = 0;
  auto err = with_stream(entity, [&](reader& r, std::int64_t stream) {
    auto& rs = r.replay_stream;
    rs.bind(1, stream);
    rs.bind(2, static_cast<std::int64_t>(from_seq));
    rs.bind(3, static_cast<std::int64_t>(max));
    caf::error result;
    int rc;
    // The views point into SQLite's row buffers: valid until the next step, which is all the
    // visitor needs.
    while ((rc = rs.step()) == SQLITE_ROW) {
      event_view ev;
      ev.position = static_cast<std::uint64_t>(rs.int64(0));
      ev.seq = static_cast<std::uint64_t>(rs.int64(1));
      ev.payload = rs.blob_view(2);
      ev.idempotency_key = rs.text_view(3);
      ++visited;
      if ((result = visit(ev)))
        break;
    }
    if (!result && rc != SQLITE_DONE)
      result = sql::to_error(rc, r.db.get(), path_, "reading a stream");
    rs.reset();
    return result;
  });
  if (err)
    return err;
  return visited;
}

caf::error sqlite_journal::read_all(std::uint64_t after, std::size_t max,
                                    std::vector<event_record>& out) {
  out.clear();
  auto r = checkout_reader();
  if (!r)
    return make_error(errc::journal_io, path_ + ": cannot open a read connection");
  caf::error result;
  auto& st = r->read_all;
  // Bounded by the durable committed position, not by what SQLite has committed: in pipelined
  // mode a commit is visible to readers before its fdatasync, and a projection must never persist
  // a read model of an event that a power loss could still remove.
  st.bind(1, static_cast<std::int64_t>(after));
  st.bind(2, static_cast<std::int64_t>(committed_.load()));
  st.bind(3, static_cast<std::int64_t>(max));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    event_record rec;
    rec.position = static_cast<std::uint64_t>(st.int64(0));
    rec.entity = entity_id{st.text(1), st.text(2)};
    rec.seq = static_cast<std::uint64_t>(st.int64(3));
    rec.type = st.text(4);
    rec.payload = st.blob(5);
    rec.text = st.text(6);
    rec.idempotency_key = st.text(7);
    out.push_back(std::move(rec));
  }
  if (rc != SQLITE_DONE)
    result = sql::to_error(rc, r->db.get(), path_, "reading the log");
  st.reset();
  checkin_reader(std::move(r));
  return result;
}

caf::expected<std::optional<snapshot_record>>
sqlite_journal::load_snapshot(const entity_id& entity) {
  std::optional<snapshot_record> result;
  auto err = with_stream(entity, [&](reader& r, std::int64_t stream) {
    auto& ls = r.load_snapshot;
    ls.bind(1, stream);
    caf::error failure;
    int rc = ls.step();
    if (rc == SQLITE_ROW) {
      snapshot_record snap;
      snap.seq = static_cast<std::uint64_t>(ls.int64(0));
      snap.position = static_cast<std::uint64_t>(ls.int64(1));
      snap.payload = ls.blob(2);
      snap.text = ls.text(3);
      result = std::move(snap);
    } else if (rc != SQLITE_DONE) {
      failure = sql::to_error(rc, r.db.get(), path_, "reading a snapshot");
    }
    ls.reset();
    return failure;
  });
  if (err)
    return err;
  return result;
}

} // namespace dca::es
