// The SQLite journal: validation on open, the order it is closed in, commit listeners, and the
// read pool. The writer is in sqlite_journal_writer.cpp, the WAL's durability in wal_sync.cpp.
#include "dca/es/sqlite_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstring>

#include "dca/es/errors.hpp"
#include "wal_sync.hpp"

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

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

sqlite_journal::sqlite_journal(std::string path, sqlite_journal_options opts)
    : path_(std::move(path)), opts_(opts),
      wal_(std::make_unique<wal_sync>(
          path_, opts_, [this](std::vector<committed_batch>& group, const caf::error& failure) {
            publish(group, failure);
          })) {
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
  if (opts_.page_cache_bytes > 0) {
    auto kib = std::min<std::size_t>(opts_.page_cache_bytes / 1024, INT_MAX);
    auto pragma = "PRAGMA cache_size=-" + std::to_string(kib);
    if (auto err = sql::exec(raw, pragma.c_str(), path_))
      return err;
  }
  // The WAL is checkpointed once it holds checkpoint_pages: by the writer between batches in
  // pipelined mode (wal_sync.cpp says why), by SQLite in COMMIT otherwise.
  if (pipelined()) {
    wal_->watch_commits(raw);
  } else {
    auto pages = std::min<std::size_t>(opts_.checkpoint_pages, INT_MAX);
    auto pragma = "PRAGMA wal_autocheckpoint=" + std::to_string(pages);
    if (auto err = sql::exec(raw, pragma.c_str(), path_))
      return err;
  }
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
  // The WAL exists now (WAL mode is on and the reads above opened it). Sync it once before
  // reporting anything as committed (wal_sync::open_wal says why).
  if (auto err = wal_->open_wal(opts_.synchronous_full))
    return err;
  committed_ = next_position_ - 1;
  st = sql::statement{};
  if (auto err = prepare_writer_statements())
    return err;
  // One reader up front: a journal that cannot be read fails here, not in a recovery.
  auto r = std::make_unique<reader>();
  if (auto err = open_reader(*r))
    return err;
  readers_.push_back(std::move(r));
  readers_open_ = 1;
  writer_ = std::thread{[this] { run_writer(); }};
  if (pipelined())
    wal_->start();
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
  if (wdb_) // the hook points at wal_, which goes first
    sqlite3_wal_hook(wdb_.get(), nullptr, nullptr);
  wal_.reset(); // the WAL fd: before the last connection closes (and SQLite deletes the WAL)
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
  wal_->stop(); // the sync thread drains what the writer committed
}

std::uint64_t sqlite_journal::syncs() const noexcept {
  return wal_->syncs();
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
  if (auto failure = wal_->failure())
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
