// The SQLite journal: validation on open, the group-commit writer thread, and the read pool.
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
  if (auto err = sql::exec(
          raw, opts_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
          path_))
    return err;
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
  writer_ = std::thread{[this] { run_writer(); }};
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
          "WHERE e.position > ? ORDER BY e.position LIMIT ?",
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
  if (writer_.joinable())
    writer_.join();
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
  std::vector<caf::expected<append_result>> results;
  results.reserve(batch.size());
  // Undo log for the in-memory heads if the transaction fails.
  std::vector<std::pair<stream_info*, std::uint64_t>> touched;
  std::vector<entity_id> created;
  auto first_position = next_position_;
  caf::error failure;
  auto fail = [&](int rc, const char* doing) {
    if (!failure)
      failure = sql::to_error(rc, db, path_, doing);
  };
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    fail(rc, "beginning a batch");
  auto ts = now_ms();
  for (std::size_t next = 0;; ++next) {
    if (failure)
      break;
    if (next == batch.size()) {
      if (events < opts_.batch_events_max)
        events = take_jobs(batch, events);
      if (next == batch.size())
        break;
    }
    auto& j = batch[next];
    auto i = streams_.find(j.req.entity);
    if (j.is_snapshot) {
      results.emplace_back(append_result{});
      if (i == streams_.end())
        continue;
      upsert_snapshot_.bind(1, i->second.id);
      upsert_snapshot_.bind(2, static_cast<std::int64_t>(j.snapshot.seq));
      upsert_snapshot_.bind(3, static_cast<std::int64_t>(j.snapshot.position));
      upsert_snapshot_.bind_blob(4, j.snapshot.payload);
      upsert_snapshot_.bind(5, j.snapshot.text);
      if ((rc = upsert_snapshot_.step()) != SQLITE_DONE)
        fail(rc, "writing a snapshot");
      upsert_snapshot_.reset();
      continue;
    }
    auto head = i == streams_.end() ? 0 : i->second.head;
    if (head != j.req.expected_seq) {
      results.emplace_back(
          make_error(errc::sequence_conflict, j.req.entity.to_string() + ": expected sequence " +
                                                  std::to_string(j.req.expected_seq) +
                                                  ", stream is at " + std::to_string(head)));
      continue;
    }
    if (i == streams_.end()) {
      insert_stream_.bind(1, j.req.entity.type);
      insert_stream_.bind(2, j.req.entity.key);
      if ((rc = insert_stream_.step()) != SQLITE_DONE) {
        fail(rc, "creating a stream");
        break;
      }
      insert_stream_.reset();
      i = streams_.emplace(j.req.entity, stream_info{sqlite3_last_insert_rowid(db), 0}).first;
      created.push_back(j.req.entity);
    } else {
      touched.emplace_back(&i->second, i->second.head);
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
      insert_event_.bind(8, ts);
      rc = insert_event_.step();
      insert_event_.reset();
      if (rc != SQLITE_DONE) {
        fail(rc, "appending an event");
        break;
      }
      ++next_position_;
      ++info.head;
    }
    res.last_seq = info.head;
    res.last_position = next_position_ - 1;
    results.emplace_back(res);
  }
  if (!failure && (rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr)) != SQLITE_OK)
    fail(rc, "committing a batch");
  if (failure) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    for (auto it = touched.rbegin(); it != touched.rend(); ++it)
      it->first->head = it->second;
    for (auto& id : created)
      streams_.erase(id);
    next_position_ = first_position;
    for (auto& j : batch)
      if (!j.is_snapshot)
        j.done(failure);
    return;
  }
  committed_ = next_position_ - 1;
  ++commits_;
  for (std::size_t k = 0; k < batch.size(); ++k)
    if (!batch[k].is_snapshot)
      batch[k].done(std::move(results[k]));
  if (next_position_ != first_position)
    notify(next_position_ - 1);
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

caf::error sqlite_journal::with_stream(const entity_id& entity, const stream_reader& read) {
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
  st.bind(1, static_cast<std::int64_t>(after));
  st.bind(2, static_cast<std::int64_t>(max));
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
