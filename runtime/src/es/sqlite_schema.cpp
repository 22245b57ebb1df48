// The SQLite journal's schema, its check, and the SQL run on it (sqlite_schema.hpp).
#include "sqlite_schema.hpp"

#include "dca/es/errors.hpp"
#include "dca/es/sqlite.hpp"

namespace dca::es::schema {

const char* const create_sql = R"sql(
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

const char* const last_position_sql = "SELECT COALESCE(max(position), 0) FROM events";
const char* const stream_heads_sql =
    "SELECT s.id, s.type, s.key, "
    "COALESCE((SELECT max(seq) FROM events e WHERE e.stream = s.id), 0) FROM streams s";

const char* const insert_event_sql =
    "INSERT INTO events(position, stream, seq, type, payload, text, idempotency_key, "
    "written_at_ms) VALUES(?,?,?,?,?,?,?,?)";
const char* const insert_stream_sql = "INSERT INTO streams(type, key) VALUES(?,?)";
const char* const upsert_snapshot_sql =
    "INSERT OR REPLACE INTO snapshots(stream, seq, position, payload, text) VALUES(?,?,?,?,?)";

const char* const find_stream_sql = "SELECT id FROM streams WHERE type = ? AND key = ?";
const char* const read_stream_sql =
    "SELECT position, seq, type, payload, text, idempotency_key FROM events "
    "WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?";
// Replay reads only what recovery needs: the stored type it decodes by, no text.
const char* const replay_stream_sql =
    "SELECT position, seq, type, payload, idempotency_key FROM events "
    "WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?";
const char* const read_all_sql =
    "SELECT e.position, s.type, s.key, e.seq, e.type, e.payload, e.text, e.idempotency_key "
    "FROM events e JOIN streams s ON s.id = e.stream "
    "WHERE e.position > ? AND e.position <= ? ORDER BY e.position LIMIT ?";
const char* const load_snapshot_sql =
    "SELECT seq, position, payload, text FROM snapshots WHERE stream = ?";

caf::expected<std::int64_t> query_int(sqlite3* db, const std::string& path, const char* sql,
                                      const char* doing) {
  sql::statement st;
  if (auto err = sql::statement::prepare(db, sql, st, path))
    return err;
  auto rc = st.step();
  if (rc != SQLITE_ROW)
    return sql::to_error(rc, db, path, doing);
  return st.int64(0);
}

caf::expected<file_kind> check(sqlite3* db, const std::string& path) {
  auto version = query_int(db, path, "PRAGMA user_version", "reading the schema version");
  if (!version)
    return version.error();
  if (*version > version_current)
    return make_error(errc::journal_newer_schema, path + ": schema version " +
                                                      std::to_string(*version) +
                                                      " is newer than this dca supports (" +
                                                      std::to_string(version_current) + ")");
  if (*version > 0)
    return file_kind::journal;
  auto tables = query_int(db, path, "SELECT count(*) FROM sqlite_master", "reading the schema");
  if (!tables)
    return tables.error();
  if (*tables > 0)
    return make_error(errc::journal_not_dca,
                      path + ": a SQLite database, but not a dca journal (no schema version)");
  return file_kind::empty;
}

} // namespace dca::es::schema
