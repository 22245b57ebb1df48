// `dca journal inspect|verify` on the PostgreSQL journal (postgres_journal_check.hpp).
#include "dca/es/postgres_journal_check.hpp"

#include "dca/es/errors.hpp"
#include "journal_verifier.hpp"
#include "pg.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

namespace {

/// Events read per statement: verify's memory stays bounded on a journal of any size.
constexpr std::int64_t verify_batch_max = 10'000;

/// The fence columns a journal of `version` has (shard, epoch, owner), NULL where it has none:
/// version 1 stored no fences, version 2 no owners.
std::string fence_columns(std::int64_t version, const char* table) {
  auto col = [&](const char* name) { return std::string{table} + "." + name; };
  if (version >= 3)
    return col("shard") + ", " + col("epoch") + ", " + col("owner");
  if (version == 2)
    return col("shard") + ", " + col("epoch") + ", NULL";
  return "NULL, NULL, NULL";
}

/// The most recently written streams' heads, with the fence of each one's last event.
std::string heads_sql(std::int64_t version) {
  return "SELECT s.type, s.key, h.seq, h.position, " + fence_columns(version, "e") +
         " FROM dca_streams s JOIN (SELECT stream, max(seq) AS seq, max(position) AS position "
         "FROM dca_events GROUP BY stream) h ON h.stream = s.id "
         "JOIN dca_events e ON e.position = h.position ORDER BY h.position DESC LIMIT $1";
}
const char* const counts_sql =
    "SELECT (SELECT max(version) FROM dca_journal_schema), (SELECT count(*) FROM dca_events), "
    "(SELECT count(*) FROM dca_streams), (SELECT count(*) FROM dca_snapshots), "
    "(SELECT last FROM dca_positions WHERE id = 1)";
std::string events_sql(std::int64_t version) {
  return "SELECT e.position, e.stream, e.seq, e.type, e.payload, e.text, " +
         fence_columns(version, "e") +
         " FROM dca_events e WHERE e.position > $1 ORDER BY e.position LIMIT $2";
}
/// The first event whose epoch no lease ever reached: an owner nobody granted.
const char* const ungranted_epoch_sql =
    "SELECT e.position, e.shard, e.epoch, l.epoch FROM dca_events e "
    "LEFT JOIN dca_shard_leases l ON l.shard = e.shard "
    "WHERE e.shard IS NOT NULL AND (l.epoch IS NULL OR e.epoch > l.epoch) "
    "ORDER BY e.position LIMIT 1";

/// A read-only snapshot of a journal and its schema version.
struct snapshot {
  pg::conn_ptr conn;
  std::int64_t version = 0;
};

/// A read-only connection inside one consistent snapshot, on a journal that exists.
caf::expected<snapshot> open_snapshot(const std::string& conninfo) {
  auto conn = pg::connect(conninfo);
  if (!conn)
    return conn.error();
  auto version = pg_schema::check_exists(conn->get());
  if (!version)
    return version.error();
  if (auto err = pg::exec(conn->get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                          "beginning a read-only snapshot"))
    return err;
  return snapshot{std::move(*conn), *version};
}

std::uint64_t u64(const PGresult* r, int row, int col) {
  return static_cast<std::uint64_t>(pg::int64(r, row, col));
}

caf::error load_streams(const snapshot& snap, journal_verifier& checks) {
  auto* conn = snap.conn.get();
  auto res =
      pg::exec(conn, "SELECT id, type, key FROM dca_streams", pg::params{}, "reading streams");
  if (!res)
    return res.error();
  for (int r = 0; r < PQntuples(res->get()); ++r)
    checks.add_stream(pg::int64(res->get(), r, 0),
                      entity_id{std::string{pg::text(res->get(), r, 1)},
                                std::string{pg::text(res->get(), r, 2)}});
  return caf::none;
}

/// The fence columns of `row` from column `col` on (shard NULL: an unfenced append; owner NULL:
/// written before owners were recorded).
std::optional<shard_fence> stored_fence(const PGresult* r, int row, int col) {
  if (pg::is_null(r, row, col))
    return std::nullopt;
  auto owner =
      pg::is_null(r, row, col + 2) ? std::string{} : std::string{pg::text(r, row, col + 2)};
  return shard_fence{static_cast<std::uint32_t>(pg::int64(r, row, col)), u64(r, row, col + 1),
                     std::move(owner)};
}

caf::error check_events(const snapshot& snap, journal_verifier& checks) {
  auto* conn = snap.conn.get();
  auto sql = events_sql(snap.version);
  for (;;) {
    auto after = static_cast<std::int64_t>(checks.report().events);
    auto res = pg::exec(conn, sql.c_str(), pg::params{}.int64(after).int64(verify_batch_max),
                        "reading events");
    if (!res)
      return res.error();
    auto* r = res->get();
    for (int row = 0; row < PQntuples(r); ++row) {
      stored_event ev{u64(r, row, 0),         pg::int64(r, row, 1),
                      u64(r, row, 2),         std::string{pg::text(r, row, 3)},
                      pg::bytes(r, row, 4),   std::string{pg::text(r, row, 5)},
                      stored_fence(r, row, 6)};
      if (auto err = checks.check_event(ev))
        return err;
    }
    if (PQntuples(r) < verify_batch_max)
      return caf::none;
  }
}

/// The positions row is where the writers assign from: it must end exactly where the events do.
caf::error check_positions_row(const snapshot& snap, journal_verifier& checks) {
  auto* conn = snap.conn.get();
  auto res = pg::exec(conn, pg_schema::last_position_sql, pg::params{}, "reading positions");
  if (!res)
    return res.error();
  auto last = u64(res->get(), 0, 0);
  if (last != checks.report().events)
    return checks.corrupt("the events end at position " + std::to_string(checks.report().events) +
                          " but dca_positions says " + std::to_string(last));
  return caf::none;
}

/// Every stored epoch was granted: a fenced append passed the lease row's epoch in its own
/// transaction, and a lease's epoch only rises, so no event can carry a higher one.
caf::error check_epochs_granted(const snapshot& snap, journal_verifier& checks) {
  if (snap.version < 2)
    return caf::none;
  auto res = pg::exec(snap.conn.get(), ungranted_epoch_sql, pg::params{}, "reading epochs");
  if (!res)
    return res.error();
  auto* r = res->get();
  if (PQntuples(r) == 0)
    return caf::none;
  auto lease = pg::is_null(r, 0, 3) ? std::string{"no lease"}
                                    : "its lease's epoch is " + std::to_string(u64(r, 0, 3));
  return checks.corrupt("position " + std::to_string(u64(r, 0, 0)) + " was written under shard " +
                        std::to_string(u64(r, 0, 1)) + " epoch " + std::to_string(u64(r, 0, 2)) +
                        " but " + lease + ": an epoch no owner was granted");
}

caf::error check_snapshots(const snapshot& snap, journal_verifier& checks) {
  auto* conn = snap.conn.get();
  auto res =
      pg::exec(conn, "SELECT stream, seq FROM dca_snapshots", pg::params{}, "reading snapshots");
  if (!res)
    return res.error();
  for (int r = 0; r < PQntuples(res->get()); ++r)
    if (auto err = checks.check_snapshot(pg::int64(res->get(), r, 0), u64(res->get(), r, 1)))
      return err;
  return caf::none;
}

} // namespace

caf::expected<journal_summary> inspect_postgres_journal(const std::string& conninfo,
                                                        std::size_t heads_max) {
  auto snap = open_snapshot(conninfo);
  if (!snap)
    return snap.error();
  auto* conn = snap->conn.get();
  auto counts = pg::exec(conn, counts_sql, pg::params{}, "counting");
  if (!counts)
    return counts.error();
  auto* c = counts->get();
  journal_summary out{pg::int64(c, 0, 0), u64(c, 0, 1), u64(c, 0, 2),
                      u64(c, 0, 3),       u64(c, 0, 4), {}};
  auto heads =
      pg::exec(conn, heads_sql(snap->version).c_str(),
               pg::params{}.int64(static_cast<std::int64_t>(heads_max)), "reading stream heads");
  if (!heads)
    return heads.error();
  auto* h = heads->get();
  for (int r = 0; r < PQntuples(h); ++r)
    out.heads.push_back(
        stream_head{entity_id{std::string{pg::text(h, r, 0)}, std::string{pg::text(h, r, 1)}},
                    u64(h, r, 2), u64(h, r, 3), stored_fence(h, r, 4)});
  return out;
}

caf::expected<verify_report> verify_postgres_journal(const std::string& conninfo,
                                                     const decoder_registry& decoders) {
  auto snap = open_snapshot(conninfo);
  if (!snap)
    return snap.error();
  journal_verifier checks{"postgres " + pg::describe(snap->conn.get()), decoders};
  for (auto step :
       {load_streams, check_events, check_positions_row, check_epochs_granted, check_snapshots})
    if (auto err = step(*snap, checks))
      return err;
  return checks.report();
}

} // namespace dca::es
