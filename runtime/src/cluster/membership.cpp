// The membership tables in PostgreSQL (membership.hpp). A join is one transaction under an
// advisory lock, so two processes starting with the same id cannot both pass the liveness check.
#include "dca/cluster/membership.hpp"

#include "dca/assert.hpp"
#include "dca/cluster/errors.hpp"
#include "dca/es/errors.hpp"
#include "pg.hpp"

namespace dca::cluster {

namespace pg = dca::es::pg;

namespace {

const char* const create_sql = R"sql(
CREATE TABLE IF NOT EXISTS dca_cluster(
  id integer PRIMARY KEY CHECK (id = 1),
  schema_version integer NOT NULL,
  shards integer NOT NULL);
CREATE TABLE IF NOT EXISTS dca_members(
  node text PRIMARY KEY,
  address text NOT NULL,
  incarnation bigint NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  joined_at timestamptz NOT NULL);
ALTER TABLE dca_cluster ADD COLUMN IF NOT EXISTS entity_type text;
ALTER TABLE dca_members ADD COLUMN IF NOT EXISTS entity_type text;
)sql";

/// Version 1 recorded no entity type: the first node of this build to join states it. Version 1
/// nodes still running keep their rows (they never touch the new columns); one that restarts is
/// refused with "run the dca the cluster runs".
const char* const migrate_cluster_sql =
    "UPDATE dca_cluster SET schema_version = $1, entity_type = $2 "
    "WHERE id = 1 AND schema_version = 1";

/// An arbitrary constant, not the journal schema's: held while tables are created and by joins.
const char* const membership_lock_sql = "SELECT pg_advisory_xact_lock(7366274521)";

const char* const cluster_sql =
    "SELECT schema_version, shards, entity_type FROM dca_cluster WHERE id = 1";

const char* const holder_sql =
    "SELECT address, incarnation, (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint "
    "FROM dca_members WHERE node = $1";

const char* const upsert_sql =
    "INSERT INTO dca_members AS m(node, address, incarnation, heartbeat_at, joined_at, "
    "entity_type) VALUES ($1, $2, 1, now(), now(), $3) ON CONFLICT (node) DO UPDATE SET address = "
    "EXCLUDED.address, incarnation = m.incarnation + 1, heartbeat_at = now(), joined_at = now(), "
    "entity_type = EXCLUDED.entity_type RETURNING incarnation";

const char* const members_sql =
    "SELECT node, address, incarnation, "
    "GREATEST(0, (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint), "
    "coalesce(entity_type, '') FROM dca_members ORDER BY node";

std::string describe_ms(std::int64_t ms) {
  return std::to_string(ms) + " ms";
}

} // namespace

class membership::impl {
public:
  pg::conn_ptr conn;

  caf::error exec(const char* sql, const char* doing) { return pg::exec(conn.get(), sql, doing); }

  /// In the join's transaction: the cluster's row (written by the first node) must match.
  caf::error check_cluster(std::uint32_t shards, const std::string& entity_type) {
    auto ins =
        pg::exec(conn.get(),
                 "INSERT INTO dca_cluster(id, schema_version, shards, entity_type) "
                 "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
                 pg::params{}.int64(membership_schema_version).int64(shards).text(entity_type),
                 "creating the cluster's row");
    if (!ins)
      return ins.error();
    auto migrated = pg::exec(conn.get(), migrate_cluster_sql,
                             pg::params{}.int64(membership_schema_version).text(entity_type),
                             "migrating the cluster's row");
    if (!migrated)
      return migrated.error();
    auto res = pg::exec(conn.get(), cluster_sql, pg::params{}, "reading the cluster's row");
    if (!res)
      return res.error();
    auto version = pg::int64(res->get(), 0, 0);
    auto theirs = pg::int64(res->get(), 0, 1);
    auto hosted = std::string{pg::text(res->get(), 0, 2)};
    if (version != membership_schema_version)
      return make_error(errc::cluster_mismatch, "the cluster's membership schema is version " +
                                                    std::to_string(version) +
                                                    ", this dca writes version " +
                                                    std::to_string(membership_schema_version) +
                                                    ": run the dca the cluster runs");
    if (theirs != shards)
      return make_error(errc::cluster_mismatch,
                        "the cluster has " + std::to_string(theirs) +
                            " shards, this node was started with " + std::to_string(shards) +
                            ": start it with --shards " + std::to_string(theirs));
    if (hosted != entity_type)
      return make_error(errc::cluster_mismatch,
                        "the cluster hosts entity type " + hosted + ", this node hosts " +
                            entity_type +
                            ": one entity type per cluster (start it on another database)");
    return caf::none;
  }

  /// In the join's transaction: no live row holds `node`.
  caf::error check_not_live(const std::string& node, std::chrono::milliseconds live_max) {
    auto res = pg::exec(conn.get(), holder_sql, pg::params{}.text(node), "reading a member");
    if (!res)
      return res.error();
    if (PQntuples(res->get()) == 0)
      return caf::none;
    auto age = pg::int64(res->get(), 0, 2);
    if (age >= live_max.count())
      return caf::none; // a dead member's row: taken over with the next incarnation
    return make_error(errc::node_id_taken,
                      "node id " + node + " is live at " + std::string{pg::text(res->get(), 0, 0)} +
                          " (heartbeat " + describe_ms(age) +
                          " ago): stop that node or start this one with another id");
  }

  caf::expected<std::uint64_t> join_locked(const member_claim& claim,
                                           std::chrono::milliseconds live_max) {
    if (auto err = exec(membership_lock_sql, "locking the member table"))
      return err;
    if (auto err = check_cluster(claim.shards, claim.entity_type))
      return err;
    if (auto err = check_not_live(claim.node, live_max))
      return err;
    auto res = pg::exec(conn.get(), upsert_sql,
                        pg::params{}.text(claim.node).text(claim.address).text(claim.entity_type),
                        "writing the member's row");
    if (!res)
      return res.error();
    return static_cast<std::uint64_t>(pg::int64(res->get(), 0, 0));
  }

  /// Runs `sql` for `node`'s `incarnation`; membership_lost when no row matched.
  caf::error change_own_row(const char* sql, const std::string& node, std::uint64_t incarnation,
                            const char* doing) {
    auto args = pg::params{}.text(node).int64(static_cast<std::int64_t>(incarnation));
    auto res = pg::exec(conn.get(), sql, args, doing);
    if (!res)
      return res.error();
    if (std::string_view{PQcmdTuples(res->get())} == "0")
      return make_error(errc::membership_lost, "node " + node + " incarnation " +
                                                   std::to_string(incarnation) +
                                                   " is no longer a member (another process "
                                                   "joined with its id after it went silent)");
    return caf::none;
  }
};

membership::membership(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

membership::~membership() = default;

caf::expected<std::unique_ptr<membership>> membership::open(const std::string& conninfo) {
  auto conn = pg::connect(conninfo);
  if (!conn)
    return conn.error();
  auto state = std::make_unique<impl>();
  state->conn = std::move(*conn);
  // CREATE TABLE IF NOT EXISTS notices on every open after the first are not news.
  if (auto err = state->exec("SET client_min_messages = warning", "setting the message level"))
    return err;
  if (auto err = state->exec("BEGIN", "beginning the membership schema"))
    return err;
  auto failure = state->exec(membership_lock_sql, "locking the member table");
  if (!failure)
    failure = state->exec(create_sql, "creating the member table");
  if (failure) {
    state->exec("ROLLBACK", "rolling back the membership schema");
    return failure;
  }
  if (auto err = state->exec("COMMIT", "committing the membership schema"))
    return err;
  return std::unique_ptr<membership>{new membership(std::move(state))};
}

caf::expected<std::uint64_t> membership::join(const member_claim& claim,
                                              std::chrono::milliseconds live_max) {
  DCA_ASSERT(!claim.node.empty() && !claim.entity_type.empty());
  if (auto err = impl_->exec("BEGIN", "beginning a join"))
    return err;
  auto joined = impl_->join_locked(claim, live_max);
  if (!joined) {
    impl_->exec("ROLLBACK", "rolling back a refused join");
    return joined.error();
  }
  if (auto err = impl_->exec("COMMIT", "committing a join"))
    return err;
  return joined;
}

caf::error membership::heartbeat(const std::string& node, std::uint64_t incarnation) {
  return impl_->change_own_row(
      "UPDATE dca_members SET heartbeat_at = now() WHERE node = $1 AND incarnation = $2", node,
      incarnation, "writing a heartbeat");
}

caf::error membership::leave(const std::string& node, std::uint64_t incarnation) {
  return impl_->change_own_row("DELETE FROM dca_members WHERE node = $1 AND incarnation = $2", node,
                               incarnation, "leaving the cluster");
}

caf::expected<std::vector<member>> membership::members(std::chrono::milliseconds live_max) {
  auto res = pg::exec(impl_->conn.get(), members_sql, pg::params{}, "reading the members");
  if (!res)
    return res.error();
  std::vector<member> out;
  for (int r = 0; r < PQntuples(res->get()); ++r) {
    auto age = pg::int64(res->get(), r, 3);
    out.push_back(member{std::string{pg::text(res->get(), r, 0)},
                         std::string{pg::text(res->get(), r, 1)},
                         static_cast<std::uint64_t>(pg::int64(res->get(), r, 2)), age,
                         age < live_max.count(), std::string{pg::text(res->get(), r, 4)}});
  }
  return out;
}

caf::expected<std::uint32_t> membership::shards() {
  auto res = pg::exec(impl_->conn.get(), cluster_sql, pg::params{}, "reading the cluster's row");
  if (!res)
    return res.error();
  if (PQntuples(res->get()) == 0)
    return std::uint32_t{0};
  return static_cast<std::uint32_t>(pg::int64(res->get(), 0, 1));
}

} // namespace dca::cluster
