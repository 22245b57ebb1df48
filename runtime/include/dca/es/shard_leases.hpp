// Shard leases: which node owns which shard, and since when (the epoch). Keys hash to a fixed
// number of shards; a shard has one owner at a time, recorded in the PostgreSQL journal's
// dca_shard_leases table (shard, owner, epoch, expires_at). The epoch increments on every acquire,
// so each tenure has its own epoch, and every append a node makes for the shard carries it
// (append_request::fence): the journal refuses an epoch that is not the shard's current one in
// the same transaction as the write (errc::stale_epoch). A node that was cut off and still
// believes it owns a shard therefore cannot write once another node took it over, whatever its
// clock says: expiry only decides when another node MAY take the lease, the epoch decides who can
// write.
//
// Expiry is judged by the database's clock (now()), never a node's, so clock skew between nodes
// does not decide ownership. A lease that expired and that no one took is still its owner's: its
// epoch is unchanged, so its appends still pass, and renew() takes it back.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace dca::es {

/// One row of the lease table.
struct shard_lease {
  std::uint32_t shard = 0;
  std::string owner;              // the node id; empty once released
  std::uint64_t epoch = 0;        // 1 for the first owner; +1 on every acquire
  std::int64_t expires_at_ms = 0; // the database's clock, ms since the Unix epoch

  friend bool operator==(const shard_lease& a, const shard_lease& b) {
    return a.shard == b.shard && a.owner == b.owner && a.epoch == b.epoch &&
           a.expires_at_ms == b.expires_at_ms;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_lease& x) {
  return f(caf::meta::type_name("shard_lease"), x.shard, x.owner, x.epoch, x.expires_at_ms);
}

/// The lease table of one PostgreSQL journal database, over a connection of its own. Not
/// thread-safe: one per thread (a node's membership actor, a test).
class shard_leases {
public:
  /// Connects to `conninfo` (a libpq connection string or URL) and creates the journal's schema
  /// if the database has none (postgres_journal.hpp: the lease table is part of it). Fails with
  /// one line: unreachable server, a newer schema, a database that is not a dca journal.
  static caf::expected<std::unique_ptr<shard_leases>> open(const std::string& conninfo);

  ~shard_leases();

  /// Takes `shard` for `node` for `ttl` when it is free, released, expired, or already `node`'s;
  /// the epoch increments (a new tenure: appends fenced by the previous epoch, even `node`'s own,
  /// are refused from now on). errc::lease_held, naming the owner, while another node holds it.
  caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                     std::chrono::milliseconds ttl);

  /// Extends `node`'s tenure `epoch` of `shard` to now + `ttl`, keeping the epoch.
  /// errc::stale_epoch when the shard is no longer `node`'s at `epoch` (another node took it, or it
  /// was released).
  caf::expected<shard_lease> renew(std::uint32_t shard, const std::string& node,
                                   std::uint64_t epoch, std::chrono::milliseconds ttl);

  /// Installs `epoch`, issued by a consensus store that owns the leases instead of this table
  /// (etcd: the revision of the write that made `node` the owner), as `shard`'s current one, when
  /// it is newer than the row's: from then on the journal refuses appends fenced by any other
  /// epoch. The row never expires here (the store's lease decides who may own the shard).
  /// errc::stale_epoch when the row already has this epoch or a newer one (a later owner won).
  caf::expected<shard_lease> adopt(std::uint32_t shard, const std::string& node,
                                   std::uint64_t epoch);

  /// Gives `shard` up (owner cleared, the epoch kept: the next acquire increments it), so another
  /// node need not wait for the expiry. errc::stale_epoch when it is no longer `node`'s at `epoch`.
  caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch);

  /// One node's renewals and every row, in one statement: extends each of `node`'s `tenures`
  /// (shard, epoch) still its own to now + `ttl` (keeping the epoch), and reads the table.
  struct renewal {
    std::vector<std::uint32_t> renewed; // the tenures that were still node's, by shard
    std::vector<shard_lease> rows;      // every lease ever taken, by shard, renewals included
    std::int64_t clock_ms = 0;          // the database's clock when it ran
  };
  caf::expected<renewal>
  renew_all(const std::string& node,
            const std::vector<std::pair<std::uint32_t, std::uint64_t>>& tenures,
            std::chrono::milliseconds ttl);

  /// Every lease ever taken, by shard.
  caf::expected<std::vector<shard_lease>> list();

  /// The database's clock (ms since the Unix epoch), which expires_at_ms is on: a node compares
  /// expiries with it, never with its own clock.
  caf::expected<std::int64_t> clock_ms();

  class impl; // runtime/src/es/shard_leases.cpp

private:
  explicit shard_leases(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace dca::es
