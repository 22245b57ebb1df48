// Shard leases over the journal's dca_shard_leases table (dca/es/shard_leases.hpp). Each call is
// one statement, so it is atomic on its own; expiry is compared with the database's now().
#include "dca/es/shard_leases.hpp"

#include "dca/es/errors.hpp"
#include "pg.hpp"
#include "postgres_schema.hpp"

namespace dca::es {

namespace {

constexpr const char* lease_columns = " RETURNING shard, COALESCE(owner, ''), epoch, "
                                      "(extract(epoch FROM expires_at) * 1000)::bigint";

// Free (no row), released, expired or already ours: take it, with a new epoch.
const std::string acquire_sql =
    std::string{"INSERT INTO dca_shard_leases AS l(shard, owner, epoch, expires_at) "
                "VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond') "
                "ON CONFLICT (shard) DO UPDATE SET owner = EXCLUDED.owner, epoch = l.epoch + 1, "
                "expires_at = EXCLUDED.expires_at "
                "WHERE l.owner IS NULL OR l.owner = EXCLUDED.owner OR l.expires_at < now()"} +
    lease_columns;

const std::string renew_sql =
    std::string{"UPDATE dca_shard_leases SET expires_at = now() + $4 * interval '1 millisecond' "
                "WHERE shard = $1 AND owner = $2 AND epoch = $3"} +
    lease_columns;

// An epoch a consensus store issued (etcd's revision): installed only when it is newer than the
// row's, so a zombie that installs its old one changes nothing, and expiry stays the store's.
const std::string adopt_sql =
    std::string{"INSERT INTO dca_shard_leases AS l(shard, owner, epoch, expires_at) "
                "VALUES ($1, $2, $3, now() + interval '100 years') "
                "ON CONFLICT (shard) DO UPDATE SET owner = EXCLUDED.owner, epoch = EXCLUDED.epoch, "
                "expires_at = EXCLUDED.expires_at WHERE l.epoch < EXCLUDED.epoch"} +
    lease_columns;

const std::string release_sql =
    std::string{"UPDATE dca_shard_leases SET owner = NULL, expires_at = now() "
                "WHERE shard = $1 AND owner = $2 AND epoch = $3"} +
    lease_columns;

const char* const holder_sql =
    "SELECT owner, epoch, GREATEST(0, (extract(epoch FROM expires_at - now()) * 1000)::bigint) "
    "FROM dca_shard_leases WHERE shard = $1";

// The renewals and the read of a node's pass in one round trip. The outer SELECT sees the table
// as it was before the UPDATE, so a renewed row's expiry comes from the UPDATE's RETURNING.
const char* const renew_all_sql =
    "WITH renewed AS (UPDATE dca_shard_leases l "
    "SET expires_at = now() + $3 * interval '1 millisecond' "
    "FROM unnest($1::integer[], $2::bigint[]) AS t(shard, epoch) "
    "WHERE l.shard = t.shard AND l.epoch = t.epoch AND l.owner = $4 "
    "RETURNING l.shard, (extract(epoch FROM l.expires_at) * 1000)::bigint AS expires_ms) "
    "SELECT l.shard, COALESCE(l.owner, ''), l.epoch, "
    "COALESCE(r.expires_ms, (extract(epoch FROM l.expires_at) * 1000)::bigint), "
    "(r.shard IS NOT NULL)::integer, (extract(epoch FROM now()) * 1000)::bigint "
    "FROM dca_shard_leases l LEFT JOIN renewed r ON r.shard = l.shard ORDER BY l.shard";

const char* const list_sql = "SELECT shard, COALESCE(owner, ''), epoch, "
                             "(extract(epoch FROM expires_at) * 1000)::bigint "
                             "FROM dca_shard_leases ORDER BY shard";

shard_lease lease_at(const PGresult* r, int row) {
  return shard_lease{static_cast<std::uint32_t>(pg::int64(r, row, 0)),
                     std::string{pg::text(r, row, 1)},
                     static_cast<std::uint64_t>(pg::int64(r, row, 2)), pg::int64(r, row, 3)};
}

} // namespace

class shard_leases::impl {
public:
  pg::conn_ptr conn;

  /// The shard's lease after `sql`, or `refused` when the statement changed no row.
  caf::expected<shard_lease> change(const std::string& sql, const pg::params& args,
                                    const char* doing, caf::error refused) {
    auto res = pg::exec(conn.get(), sql.c_str(), args, doing);
    if (!res)
      return res.error();
    if (PQntuples(res->get()) == 0)
      return refused;
    return lease_at(res->get(), 0);
  }

  /// Who holds `shard`, for the refusal of a call that found it someone else's.
  std::string holder(std::uint32_t shard) {
    auto res = pg::exec(conn.get(), holder_sql, pg::params{}.int64(shard), "reading a lease");
    if (!res || PQntuples(res->get()) == 0)
      return "no one";
    auto* r = res->get();
    if (pg::is_null(r, 0, 0))
      return "no one (released at epoch " + std::string{pg::text(r, 0, 1)} + ")";
    return std::string{pg::text(r, 0, 0)} + " at epoch " + std::string{pg::text(r, 0, 1)} +
           " for " + std::string{pg::text(r, 0, 2)} + " ms more";
  }

  caf::error lost(std::uint32_t shard, const std::string& node, std::uint64_t epoch) {
    return make_error(errc::stale_epoch, "shard " + std::to_string(shard) + " is no longer " +
                                             node + "'s at epoch " + std::to_string(epoch) +
                                             ": held by " + holder(shard));
  }
};

shard_leases::shard_leases(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

shard_leases::~shard_leases() = default;

caf::expected<std::unique_ptr<shard_leases>> shard_leases::open(const std::string& conninfo) {
  auto conn = pg::connect(conninfo);
  if (!conn)
    return conn.error();
  if (auto err = pg_schema::create_or_check(conn->get()))
    return err;
  auto state = std::make_unique<impl>();
  state->conn = std::move(*conn);
  return std::unique_ptr<shard_leases>{new shard_leases(std::move(state))};
}

caf::expected<shard_lease> shard_leases::acquire(std::uint32_t shard, const std::string& node,
                                                 std::chrono::milliseconds ttl) {
  auto args = pg::params{}.int64(shard).text(node).int64(ttl.count());
  auto res = impl_->change(acquire_sql, args, "acquiring a shard lease", caf::error{});
  if (res || res.error())
    return res;
  return make_error(errc::lease_held, "shard " + std::to_string(shard) + " is held by " +
                                          impl_->holder(shard) + ", not " + node);
}

caf::expected<shard_lease> shard_leases::renew(std::uint32_t shard, const std::string& node,
                                               std::uint64_t epoch, std::chrono::milliseconds ttl) {
  auto args = pg::params{}
                  .int64(shard)
                  .text(node)
                  .int64(static_cast<std::int64_t>(epoch))
                  .int64(ttl.count());
  auto res = impl_->change(renew_sql, args, "renewing a shard lease", caf::error{});
  if (res || res.error())
    return res;
  return impl_->lost(shard, node, epoch);
}

caf::expected<shard_lease> shard_leases::adopt(std::uint32_t shard, const std::string& node,
                                               std::uint64_t epoch) {
  auto args = pg::params{}.int64(shard).text(node).int64(static_cast<std::int64_t>(epoch));
  auto res = impl_->change(adopt_sql, args, "adopting a shard epoch", caf::error{});
  if (res || res.error())
    return res;
  return make_error(errc::stale_epoch, "shard " + std::to_string(shard) + " is already " +
                                           impl_->holder(shard) + ": " + node + "'s epoch " +
                                           std::to_string(epoch) + " is not newer");
}

caf::error shard_leases::release(std::uint32_t shard, const std::string& node,
                                 std::uint64_t epoch) {
  auto args = pg::params{}.int64(shard).text(node).int64(static_cast<std::int64_t>(epoch));
  auto res = impl_->change(release_sql, args, "releasing a shard lease", caf::error{});
  if (res)
    return caf::none;
  return res.error() ? res.error() : impl_->lost(shard, node, epoch);
}

caf::expected<shard_leases::renewal>
shard_leases::renew_all(const std::string& node,
                        const std::vector<std::pair<std::uint32_t, std::uint64_t>>& tenures,
                        std::chrono::milliseconds ttl) {
  std::vector<std::int64_t> shards;
  std::vector<std::int64_t> epochs;
  for (auto& [shard, epoch] : tenures) {
    shards.push_back(shard);
    epochs.push_back(static_cast<std::int64_t>(epoch));
  }
  auto args = pg::params{}
                  .text(pg::int64_array(shards))
                  .text(pg::int64_array(epochs))
                  .int64(ttl.count())
                  .text(node);
  auto res = pg::exec(impl_->conn.get(), renew_all_sql, args, "renewing shard leases");
  if (!res)
    return res.error();
  renewal out;
  if (PQntuples(res->get()) == 0) { // no lease yet, so none renewed: only the clock to read
    auto now = clock_ms();
    if (!now)
      return now.error();
    out.clock_ms = *now;
    return out;
  }
  out.clock_ms = pg::int64(res->get(), 0, 5);
  for (int r = 0; r < PQntuples(res->get()); ++r) {
    out.rows.push_back(lease_at(res->get(), r));
    if (pg::int64(res->get(), r, 4) != 0)
      out.renewed.push_back(out.rows.back().shard);
  }
  return out;
}

caf::expected<std::vector<shard_lease>> shard_leases::list() {
  auto res = pg::exec(impl_->conn.get(), list_sql, {}, "listing shard leases");
  if (!res)
    return res.error();
  std::vector<shard_lease> out;
  for (int r = 0; r < PQntuples(res->get()); ++r)
    out.push_back(lease_at(res->get(), r));
  return out;
}

caf::expected<std::int64_t> shard_leases::clock_ms() {
  auto res = pg::exec(impl_->conn.get(), "SELECT (extract(epoch FROM now()) * 1000)::bigint", {},
                      "reading the database's clock");
  if (!res)
    return res.error();
  return pg::int64(res->get(), 0, 0);
}

} // namespace dca::es
