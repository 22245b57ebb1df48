// `dca journal inspect` and `verify` over a read-only connection.
#include "dca/es/journal_check.hpp"

#include <unistd.h>

#include <unordered_map>

#include "dca/es/errors.hpp"
#include "dca/es/sqlite.hpp"
#include "sqlite_schema.hpp"

namespace dca::es {

namespace {

caf::expected<sql::db_ptr> open_read_only(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0)
    return make_error(errc::journal_io, path + ": no such file");
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sql::db_ptr db{raw};
  if (rc != SQLITE_OK)
    return sql::to_error(rc, raw, path, "opening");
  sqlite3_busy_timeout(raw, 1000);
  auto kind = schema::check(raw, path);
  if (!kind)
    return kind.error();
  if (*kind == schema::file_kind::empty)
    return make_error(errc::journal_not_dca, path + ": not a dca journal (no schema version)");
  return db;
}

caf::expected<std::uint64_t> count(sqlite3* db, const std::string& path, const char* sql) {
  auto n = schema::query_int(db, path, sql, sql);
  if (!n)
    return n.error();
  return static_cast<std::uint64_t>(*n);
}

} // namespace

caf::expected<journal_summary> inspect_journal(const std::string& path, std::size_t heads_max) {
  auto db = open_read_only(path);
  if (!db)
    return db.error();
  auto* raw = db->get();
  journal_summary result;
  result.schema_version = schema::version_current;
  auto events = count(raw, path, "SELECT count(*) FROM events");
  auto streams = count(raw, path, "SELECT count(*) FROM streams");
  auto snapshots = count(raw, path, "SELECT count(*) FROM snapshots");
  auto last = count(raw, path, schema::last_position_sql);
  for (auto* x : {&events, &streams, &snapshots, &last})
    if (!*x)
      return x->error();
  result.events = *events;
  result.streams = *streams;
  result.snapshots = *snapshots;
  result.last_position = *last;
  sql::statement st;
  if (auto err =
          sql::statement::prepare(raw,
                                  "SELECT s.type, s.key, h.seq, h.position FROM streams s JOIN "
                                  "(SELECT stream, max(seq) AS seq, max(position) AS position FROM "
                                  "events GROUP BY stream) h "
                                  "ON h.stream = s.id ORDER BY h.position DESC LIMIT ?",
                                  st, path))
    return err;
  st.bind(1, static_cast<std::int64_t>(heads_max));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    result.heads.push_back(stream_head{entity_id{st.text(0), st.text(1)},
                                       static_cast<std::uint64_t>(st.int64(2)),
                                       static_cast<std::uint64_t>(st.int64(3))});
  if (rc != SQLITE_DONE)
    return sql::to_error(rc, raw, path, "reading stream heads");
  return result;
}

namespace {

/// What verify knows of a stream: its id and the last sequence number seen so far.
struct stream_seen {
  entity_id id;
  std::uint64_t seq = 0;
};
using streams_seen = std::unordered_map<std::int64_t, stream_seen>;

/// Checks of one journal file; each step reports the first problem as errc::journal_corrupt.
struct verifier {
  sqlite3* db;
  const std::string& path;
  const decoder_registry& decoders;
  streams_seen streams;
  verify_report report;

  caf::error corrupt(const std::string& what) const {
    return make_error(errc::journal_corrupt, path + ": " + what);
  }

  /// 1. Pages: SQLite's own structural check.
  caf::error check_pages() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "PRAGMA quick_check", st, path))
      return err;
    auto rc = st.step();
    if (rc != SQLITE_ROW)
      return sql::to_error(rc, db, path, "checking integrity");
    if (auto msg = st.text(0); msg != "ok")
      return corrupt("integrity check: " + msg);
    return caf::none;
  }

  /// 2. Streams.
  caf::error load_streams() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "SELECT id, type, key FROM streams", st, path))
      return err;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      streams.emplace(st.int64(0), stream_seen{entity_id{st.text(1), st.text(2)}, 0});
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "reading streams");
  }

  /// 3. Events in global order: positions, sequences, payloads.
  caf::error check_events() {
    sql::statement st;
    if (auto err = sql::statement::prepare(
            db, "SELECT position, stream, seq, type, payload, text FROM events ORDER BY position",
            st, path))
      return err;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      if (auto err = check_event(st))
        return err;
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "reading events");
  }

  caf::error check_event(const sql::statement& st) {
    auto position = static_cast<std::uint64_t>(st.int64(0));
    if (position != report.events + 1)
      return corrupt("global position gap: expected " + std::to_string(report.events + 1) +
                     ", found " + std::to_string(position));
    auto s = streams.find(st.int64(1));
    if (s == streams.end())
      return corrupt("position " + std::to_string(position) + ": unknown stream id " +
                     std::to_string(st.int64(1)));
    auto seq = static_cast<std::uint64_t>(st.int64(2));
    auto& info = s->second;
    if (seq != info.seq + 1)
      return corrupt(info.id.to_string() + ": sequence gap at position " +
                     std::to_string(position) + ": expected seq " + std::to_string(info.seq + 1) +
                     ", found " + std::to_string(seq));
    info.seq = seq;
    if (auto err = check_payload(st, info.id, position, seq))
      return err;
    ++report.events;
    return caf::none;
  }

  /// An event of a registered type decodes and renders to its stored text.
  caf::error check_payload(const sql::statement& st, const entity_id& id, std::uint64_t position,
                           std::uint64_t seq) {
    auto* dec = decoders.find(id.type);
    if (dec == nullptr) {
      ++report.undecoded;
      return caf::none;
    }
    auto where = "position " + std::to_string(position) + " (" + id.to_string() + " seq " +
                 std::to_string(seq) + ")";
    auto rendering = (*dec)(st.text(3), st.blob(4));
    if (!rendering)
      return corrupt(where + " does not decode: " + render(rendering.error()));
    if (*rendering != st.text(5))
      return corrupt(where + " decodes to " + *rendering + " but its text says " + st.text(5));
    ++report.decoded;
    return caf::none;
  }

  /// 4. Snapshots never ahead of their stream.
  caf::error check_snapshots() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "SELECT stream, seq FROM snapshots", st, path))
      return err;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      auto s = streams.find(st.int64(0));
      auto seq = static_cast<std::uint64_t>(st.int64(1));
      if (s == streams.end())
        return corrupt("snapshot of unknown stream id " + std::to_string(st.int64(0)));
      if (seq > s->second.seq)
        return corrupt(s->second.id.to_string() + ": snapshot at seq " + std::to_string(seq) +
                       " is ahead of the stream's head " + std::to_string(s->second.seq));
      ++report.snapshots;
    }
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "reading snapshots");
  }
};

} // namespace

caf::expected<verify_report> verify_journal(const std::string& path,
                                            const decoder_registry& decoders) {
  auto db = open_read_only(path);
  if (!db)
    return db.error();
  verifier v{db->get(), path, decoders, {}, {}};
  for (auto step : {&verifier::check_pages, &verifier::load_streams, &verifier::check_events,
                    &verifier::check_snapshots})
    if (auto err = (v.*step)())
      return err;
  return v.report;
}

} // namespace dca::es
