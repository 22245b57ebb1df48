// The SQLite journal's reads: the pool of read connections, one stream (recovery, snapshots) and
// the global log (projections), on the statements of sqlite_schema.hpp.
#include "dca/es/errors.hpp"
#include "sqlite_journal_impl.hpp"

namespace dca::es {

caf::error sqlite_journal::impl::open_reader(reader& r) {
  sqlite3* raw = nullptr;
  auto rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  r.db.reset(raw);
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening a reader");
  sqlite3_busy_timeout(raw, 1000);
  const std::pair<const char*, sql::statement*> statements[] = {
      {schema::find_stream_sql, &r.find_stream},     {schema::read_stream_sql, &r.read_stream},
      {schema::replay_stream_sql, &r.replay_stream}, {schema::read_all_sql, &r.read_all},
      {schema::load_snapshot_sql, &r.load_snapshot},
  };
  for (auto [sql_text, st] : statements)
    if (auto err = sql::statement::prepare(raw, sql_text, *st, path))
      return err;
  return caf::none;
}

// -- the read pool --------------------------------------------------------------------------------

std::unique_ptr<sqlite_journal::impl::reader> sqlite_journal::impl::checkout_reader() {
  std::unique_lock<std::mutex> guard{readers_mtx_};
  for (;;) {
    if (!readers_.empty()) {
      auto r = std::move(readers_.back());
      readers_.pop_back();
      return r;
    }
    if (readers_open_ < opts.read_connections_max) {
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

void sqlite_journal::impl::checkin_reader(std::unique_ptr<reader> r) {
  {
    std::lock_guard<std::mutex> guard{readers_mtx_};
    readers_.push_back(std::move(r));
  }
  readers_cv_.notify_one();
}

// -- reads ----------------------------------------------------------------------------------------

// Reading one stream (recovery, snapshots) is not bounded by the durable position: it may see an
// append that is committed but not yet synced. That is safe: nothing built on it is acked earlier.
// A recovered entity's next append is fenced behind those events (its expected seq counts them)
// and lands after them in the WAL, so the fdatasync that acks it covers them too; and a power loss
// before that sync loses them together with everything that depended on them, none of it acked.
// (Bounding recovery by the synced position would instead fence the entity against the writer's
// heads, which already count them, and fail its next append.) Once a sync has failed, streams are
// not read at all: their unsynced tail may never reach the disk.
caf::error sqlite_journal::impl::with_stream(const entity_id& entity, const stream_reader& read) {
  if (auto failure = wal->failure())
    return failure;
  auto r = checkout_reader();
  if (!r)
    return make_error(errc::journal_io, path + ": cannot open a read connection");
  caf::error result;
  auto& fs = r->find_stream;
  fs.bind(1, entity.type);
  fs.bind(2, entity.key);
  int rc = fs.step();
  if (rc == SQLITE_ROW)
    result = read(*r, fs.int64(0));
  else if (rc != SQLITE_DONE)
    result = sql::to_error(rc, r->db.get(), path, "finding a stream");
  fs.reset();
  checkin_reader(std::move(r));
  return result;
}

caf::error sqlite_journal::impl::read_stream(const entity_id& entity, std::uint64_t from_seq,
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
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, r.db.get(), path, "reading a stream");
  });
}

caf::expected<std::size_t> sqlite_journal::impl::replay_stream(const entity_id& entity,
                                                               std::uint64_t from_seq,
                                                               std::size_t max,
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
      ev.type = rs.text_view(2);
      ev.payload = rs.blob_view(3);
      ev.idempotency_key = rs.text_view(4);
      ++visited;
      if ((result = visit(ev)))
        break;
    }
    if (!result && rc != SQLITE_DONE)
      result = sql::to_error(rc, r.db.get(), path, "reading a stream");
    rs.reset();
    return result;
  });
  if (err)
    return err;
  return visited;
}

caf::error sqlite_journal::impl::read_all(std::uint64_t after, std::size_t max,
                                          std::vector<event_record>& out) {
  out.clear();
  auto r = checkout_reader();
  if (!r)
    return make_error(errc::journal_io, path + ": cannot open a read connection");
  caf::error result;
  auto& st = r->read_all;
  // Bounded by the durable committed position, not by what SQLite has committed: in pipelined
  // mode a commit is visible to readers before its fdatasync, and a projection must never persist
  // a read model of an event that a power loss could still remove.
  st.bind(1, static_cast<std::int64_t>(after));
  st.bind(2, static_cast<std::int64_t>(committed.load()));
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
    result = sql::to_error(rc, r->db.get(), path, "reading the log");
  st.reset();
  checkin_reader(std::move(r));
  return result;
}

caf::expected<std::optional<snapshot_record>>
sqlite_journal::impl::load_snapshot(const entity_id& entity) {
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
      failure = sql::to_error(rc, r.db.get(), path, "reading a snapshot");
    }
    ls.reset();
    return failure;
  });
  if (err)
    return err;
  return result;
}

} // namespace dca::es
