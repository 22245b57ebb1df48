// The PostgreSQL journal's schema, its check, and the SQL run on it (postgres_schema.hpp).
// Positions come from the one row of dca_positions, never from a sequence (postgres_journal.hpp
// says why); heads are read from the (stream, seq) index, so no head column is rewritten per
// append.
#include "postgres_schema.hpp"

#include "dca/es/errors.hpp"
#include "pg.hpp"

namespace dca::es::pg_schema {

namespace {

const char* const create_sql = R"sql(
CREATE TABLE dca_journal_schema(version integer NOT NULL);
INSERT INTO dca_journal_schema VALUES (3);
CREATE TABLE dca_streams(
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  key text NOT NULL,
  UNIQUE(type, key));
CREATE TABLE dca_events(
  position bigint PRIMARY KEY,
  stream bigint NOT NULL REFERENCES dca_streams(id),
  seq bigint NOT NULL,
  type text NOT NULL,
  payload bytea NOT NULL,
  text text NOT NULL,
  idempotency_key text,
  written_at_ms bigint NOT NULL,
  shard bigint,
  epoch bigint,
  owner text,
  CHECK ((shard IS NULL) = (epoch IS NULL)),
  CHECK (owner IS NULL OR shard IS NOT NULL),
  UNIQUE(stream, seq));
CREATE TABLE dca_snapshots(
  stream bigint PRIMARY KEY REFERENCES dca_streams(id),
  seq bigint NOT NULL,
  position bigint NOT NULL,
  payload bytea NOT NULL,
  text text NOT NULL);
CREATE TABLE dca_positions(id integer PRIMARY KEY CHECK (id = 1), last bigint NOT NULL);
INSERT INTO dca_positions VALUES (1, 0);
CREATE TABLE dca_shard_leases(
  shard integer PRIMARY KEY,
  owner text,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL);
)sql";

/// Version 1 to 2: the (shard, epoch) of the fence each event was appended under. Adding nullable
/// columns rewrites no row; the events written before stay unfenced (NULL), which verify accepts.
const char* const migrate_1_to_2_sql = R"sql(
ALTER TABLE dca_events ADD COLUMN shard bigint, ADD COLUMN epoch bigint,
  ADD CHECK ((shard IS NULL) = (epoch IS NULL));
UPDATE dca_journal_schema SET version = 2;
)sql";

/// Version 2 to 3: the owner's node id beside each event's fence. Like 1 to 2 it only adds a
/// nullable column (no row is rewritten, so it is instant on a journal of any size and loses
/// nothing); events fenced before it keep a NULL owner, which verify reads as "not recorded".
const char* const migrate_2_to_3_sql = R"sql(
ALTER TABLE dca_events ADD COLUMN owner text, ADD CHECK (owner IS NULL OR shard IS NOT NULL);
UPDATE dca_journal_schema SET version = 3;
)sql";

/// Any one of these without dca_journal_schema: someone else's tables, not ours to touch.
const char* const foreign_tables_sql =
    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename IN "
    "('dca_streams', 'dca_events', 'dca_snapshots', 'dca_positions', 'dca_shard_leases')";

/// An arbitrary constant: the advisory lock openers take while they check or create the schema.
constexpr const char* schema_lock_sql = "SELECT pg_advisory_xact_lock(7366274520)";

/// The version, or 0 when there is no schema table.
caf::expected<std::int64_t> stored_version(PGconn* conn) {
  auto has = pg::exec(conn, "SELECT to_regclass('dca_journal_schema') IS NOT NULL", {},
                      "reading the schema");
  if (!has)
    return has.error();
  if (pg::text(has->get(), 0, 0) != "t")
    return std::int64_t{0};
  auto v = pg::exec(conn, "SELECT max(version) FROM dca_journal_schema", {},
                    "reading the schema version");
  if (!v)
    return v.error();
  return pg::is_null(v->get(), 0, 0) ? std::int64_t{0} : pg::int64(v->get(), 0, 0);
}

caf::error check_version(PGconn* conn, std::int64_t version) {
  if (version > version_current)
    return make_error(errc::journal_newer_schema,
                      "postgres " + pg::describe(conn) + ": schema version " +
                          std::to_string(version) + " is newer than this dca supports (" +
                          std::to_string(version_current) + ")");
  return caf::none;
}

caf::error refuse_foreign_tables(PGconn* conn) {
  auto n = pg::exec(conn, foreign_tables_sql, {}, "reading the schema");
  if (!n)
    return n.error();
  if (pg::int64(n->get(), 0, 0) > 0)
    return make_error(errc::journal_not_dca,
                      "postgres " + pg::describe(conn) +
                          ": has dca_* tables but no dca_journal_schema: not a dca journal");
  return caf::none;
}

/// Brings an older journal to version_current, step by step, in the opener's transaction: all
/// steps commit together or none does.
caf::error migrate(PGconn* conn, std::int64_t version) {
  if (version == 1)
    if (auto err =
            pg::exec(conn, migrate_1_to_2_sql, "migrating the journal schema from version 1 to 2"))
      return err;
  return pg::exec(conn, migrate_2_to_3_sql, "migrating the journal schema from version 2 to 3");
}

caf::error create_or_check_locked(PGconn* conn) {
  if (auto err = pg::exec(conn, schema_lock_sql, "locking the schema"))
    return err;
  auto version = stored_version(conn);
  if (!version)
    return version.error();
  if (*version > 0 && *version < version_current)
    return migrate(conn, *version);
  if (*version > 0)
    return check_version(conn, *version);
  if (auto err = refuse_foreign_tables(conn))
    return err;
  return pg::exec(conn, create_sql, "creating the journal schema");
}

} // namespace

caf::error create_or_check(PGconn* conn) {
  if (auto err = pg::exec(conn, "BEGIN", "beginning the schema check"))
    return err;
  auto failure = create_or_check_locked(conn);
  if (failure) {
    pg::exec(conn, "ROLLBACK", "rolling back the schema check");
    return failure;
  }
  return pg::exec(conn, "COMMIT", "committing the schema");
}

caf::expected<std::int64_t> check_exists(PGconn* conn) {
  auto version = stored_version(conn);
  if (!version)
    return version.error();
  if (*version == 0)
    return make_error(errc::journal_not_dca,
                      "postgres " + pg::describe(conn) + ": no dca journal in this database");
  if (auto err = check_version(conn, *version))
    return err;
  return version;
}

const char* const lock_positions_sql = "SELECT last FROM dca_positions WHERE id = 1 FOR UPDATE";
const char* const advance_positions_sql =
    "WITH p AS (UPDATE dca_positions SET last = $1 WHERE id = 1 RETURNING last) "
    "SELECT pg_notify('dca_journal', last::text) FROM p";
const char* const lease_epochs_sql =
    "SELECT shard, epoch FROM dca_shard_leases WHERE shard = ANY($1::integer[]) FOR SHARE";
const char* const find_streams_sql =
    "SELECT s.id, s.type, s.key FROM dca_streams s "
    "JOIN unnest($1::text[], $2::text[]) AS u(type, key) ON s.type = u.type AND s.key = u.key";
const char* const create_streams_sql =
    "INSERT INTO dca_streams(type, key) SELECT * FROM unnest($1::text[], $2::text[]) "
    "ON CONFLICT DO NOTHING";
const char* const stream_heads_sql =
    "SELECT u.id, COALESCE((SELECT max(seq) FROM dca_events e WHERE e.stream = u.id), 0) "
    "FROM unnest($1::bigint[]) AS u(id)";
const char* const copy_events_sql =
    "COPY dca_events(position, stream, seq, type, payload, text, idempotency_key, written_at_ms, "
    "shard, epoch, owner) FROM STDIN (FORMAT binary)";
const char* const upsert_snapshot_sql =
    "INSERT INTO dca_snapshots(stream, seq, position, payload, text) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (stream) DO UPDATE SET seq = EXCLUDED.seq, position = EXCLUDED.position, "
    "payload = EXCLUDED.payload, text = EXCLUDED.text";

const char* const read_stream_sql =
    "SELECT e.position, e.seq, e.type, e.payload, e.text, e.idempotency_key FROM dca_events e "
    "WHERE e.stream = (SELECT id FROM dca_streams WHERE type = $1 AND key = $2) AND e.seq >= $3 "
    "ORDER BY e.seq LIMIT $4";
const char* const read_all_sql =
    "SELECT e.position, s.type, s.key, e.seq, e.type, e.payload, e.text, e.idempotency_key "
    "FROM dca_events e JOIN dca_streams s ON s.id = e.stream "
    "WHERE e.position > $1 ORDER BY e.position LIMIT $2";
const char* const load_snapshot_sql =
    "SELECT n.seq, n.position, n.payload, n.text FROM dca_snapshots n "
    "JOIN dca_streams s ON s.id = n.stream WHERE s.type = $1 AND s.key = $2";
const char* const last_position_sql = "SELECT last FROM dca_positions WHERE id = 1";

const char* const end_stalled_copies_sql =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' "
    "AND wait_event = 'ClientRead' AND query LIKE 'COPY dca_events%' "
    "AND now() - state_change > make_interval(secs => $1::double precision / 1000)";

const char* const notify_channel = "dca_journal";

} // namespace dca::es::pg_schema
