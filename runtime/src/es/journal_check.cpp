// `dca journal inspect` and `verify` over a read-only connection.
#include "dca/es/journal_check.hpp"

#include <unistd.h>

#include "dca/es/errors.hpp"
#include "dca/es/sqlite.hpp"
#include "journal_verifier.hpp"
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
    result.heads.push_back(stream_head{
        entity_id{st.text(0), st.text(1)}, static_cast<std::uint64_t>(st.int64(2)),
        static_cast<std::uint64_t>(st.int64(3)), std::nullopt}); // one process's journal: no owners
  if (rc != SQLITE_DONE)
    return sql::to_error(rc, raw, path, "reading stream heads");
  return result;
}

journal_verifier::journal_verifier(std::string where, const decoder_registry& decoders)
    : where_(std::move(where)), decoders_(decoders) {}

void journal_verifier::add_stream(std::int64_t id, entity_id entity) {
  streams_.emplace(id, stream_seen{std::move(entity), 0, std::nullopt});
}

caf::error journal_verifier::corrupt(const std::string& what) const {
  return make_error(errc::journal_corrupt, where_ + ": " + what);
}

caf::error journal_verifier::check_event(const stored_event& ev) {
  if (ev.position != report_.events + 1)
    return corrupt("global position gap: expected " + std::to_string(report_.events + 1) +
                   ", found " + std::to_string(ev.position));
  auto s = streams_.find(ev.stream);
  if (s == streams_.end())
    return corrupt("position " + std::to_string(ev.position) + ": unknown stream id " +
                   std::to_string(ev.stream));
  auto& info = s->second;
  if (ev.seq != info.seq + 1)
    return corrupt(info.id.to_string() + ": sequence gap at position " +
                   std::to_string(ev.position) + ": expected seq " + std::to_string(info.seq + 1) +
                   ", found " + std::to_string(ev.seq));
  info.seq = ev.seq;
  if (auto err = check_fence(ev, info))
    return err;
  if (auto err = check_owner(ev, info))
    return err;
  if (auto err = check_payload(ev, info.id))
    return err;
  ++report_.events;
  return caf::none;
}

caf::error journal_verifier::check_fence(const stored_event& ev, stream_seen& info) {
  if (!ev.fence)
    return caf::none;
  auto now = *ev.fence;
  auto before = info.fence;
  info.fence = now;
  if (!before)
    return caf::none;
  auto under = [](const shard_fence& f) {
    return "shard " + std::to_string(f.shard) + " epoch " + std::to_string(f.epoch);
  };
  auto where = info.id.to_string() + " seq " + std::to_string(ev.seq) + " (position " +
               std::to_string(ev.position) + ")";
  if (now.shard != before->shard)
    return corrupt(where + " was written under " + under(now) + " after " + under(*before) +
                   (now.epoch == before->epoch ? ": two owners at one epoch"
                                               : ": a stream belongs to one shard"));
  if (now.epoch < before->epoch)
    return corrupt(where + " was written under " + under(now) + " after " + under(*before) +
                   ": the epoch went back (an old owner wrote after a newer one)");
  return caf::none;
}

caf::error journal_verifier::check_owner(const stored_event& ev, const stream_seen& info) {
  if (!ev.fence || ev.fence->owner.empty())
    return caf::none;
  auto& f = *ev.fence;
  auto [first, fresh] = owners_.try_emplace({f.shard, f.epoch},
                                            epoch_owner{f.owner, info.id.to_string(), ev.position});
  if (fresh || first->second.owner == f.owner)
    return caf::none;
  auto& other = first->second;
  return corrupt(info.id.to_string() + " seq " + std::to_string(ev.seq) + " (position " +
                 std::to_string(ev.position) + ") was written under shard " +
                 std::to_string(f.shard) + " epoch " + std::to_string(f.epoch) + " by node " +
                 f.owner + ", but node " + other.owner + " wrote under the same (" + other.stream +
                 " position " + std::to_string(other.position) + "): two owners at one epoch");
}

caf::error journal_verifier::check_payload(const stored_event& ev, const entity_id& id) {
  auto* dec = decoders_.find(id.type);
  if (dec == nullptr) {
    ++report_.undecoded;
    return caf::none;
  }
  auto where = "position " + std::to_string(ev.position) + " (" + id.to_string() + " seq " +
               std::to_string(ev.seq) + ")";
  auto rendering = (*dec)(ev.type, ev.payload);
  if (!rendering)
    return corrupt(where + " does not decode: " + render(rendering.error()));
  if (*rendering != ev.text)
    return corrupt(where + " decodes to " + *rendering + " but its text says " + ev.text);
  ++report_.decoded;
  return caf::none;
}

caf::error journal_verifier::check_snapshot(std::int64_t stream, std::uint64_t seq) {
  auto s = streams_.find(stream);
  if (s == streams_.end())
    return corrupt("snapshot of unknown stream id " + std::to_string(stream));
  if (seq > s->second.seq)
    return corrupt(s->second.id.to_string() + ": snapshot at seq " + std::to_string(seq) +
                   " is ahead of the stream's head " + std::to_string(s->second.seq));
  ++report_.snapshots;
  return caf::none;
}

namespace {

/// Checks of one journal file: SQLite's rows handed to the shared verifier.
struct verifier {
  sqlite3* db;
  const std::string& path;
  journal_verifier checks;

  /// 1. Pages: SQLite's own structural check.
  caf::error check_pages() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "PRAGMA quick_check", st, path))
      return err;
    auto rc = st.step();
    if (rc != SQLITE_ROW)
      return sql::to_error(rc, db, path, "checking integrity");
    if (auto msg = st.text(0); msg != "ok")
      return checks.corrupt("integrity check: " + msg);
    return caf::none;
  }

  /// 2. Streams.
  caf::error load_streams() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "SELECT id, type, key FROM streams", st, path))
      return err;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      checks.add_stream(st.int64(0), entity_id{st.text(1), st.text(2)});
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
    while ((rc = st.step()) == SQLITE_ROW) {
      stored_event ev{static_cast<std::uint64_t>(st.int64(0)),
                      st.int64(1),
                      static_cast<std::uint64_t>(st.int64(2)),
                      st.text(3),
                      st.blob(4),
                      st.text(5),
                      std::nullopt}; // the SQLite journal is one process's: no fences
      if (auto err = checks.check_event(ev))
        return err;
    }
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "reading events");
  }

  /// 4. Snapshots never ahead of their stream.
  caf::error check_snapshots() {
    sql::statement st;
    if (auto err = sql::statement::prepare(db, "SELECT stream, seq FROM snapshots", st, path))
      return err;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      if (auto err = checks.check_snapshot(st.int64(0), static_cast<std::uint64_t>(st.int64(1))))
        return err;
    return rc == SQLITE_DONE ? caf::none : sql::to_error(rc, db, path, "reading snapshots");
  }
};

} // namespace

bool is_postgres_conninfo(const std::string& path) {
  return path.rfind("postgresql://", 0) == 0 || path.rfind("postgres://", 0) == 0 ||
         path.find('=') != std::string::npos;
}

caf::expected<verify_report> verify_journal(const std::string& path,
                                            const decoder_registry& decoders) {
  auto db = open_read_only(path);
  if (!db)
    return db.error();
  verifier v{db->get(), path, journal_verifier{path, decoders}};
  for (auto step : {&verifier::check_pages, &verifier::load_streams, &verifier::check_events,
                    &verifier::check_snapshots})
    if (auto err = (v.*step)())
      return err;
  return v.checks.report();
}

} // namespace dca::es
