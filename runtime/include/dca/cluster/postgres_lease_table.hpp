// The lease table of a real cluster: the PostgreSQL journal's dca_shard_leases (dca/es/
// shard_leases.hpp) behind the interface the nodes use (lease_table.hpp), so the journal that
// checks every append's fence and the table that grants the epochs are one database.
//
// shard_leases gives every acquire a new epoch; a node renews the lease it holds every rebalance
// and must keep its epoch while it does (a new epoch would fence out its own entity hosts'
// appends). So the adapter remembers the tenures it took and renews those, and acquires only a
// shard it does not hold (or lost: another node renewed nothing of ours, the renewal says so).
// Expiry is the database's clock's: rows are converted to the node's clock by their remaining time.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "dca/cluster/lease_table.hpp"
#include "dca/es/shard_leases.hpp"

namespace dca::es {
class io_threads;
} // namespace dca::es

namespace dca::cluster {

class postgres_lease_table : public lease_table {
public:
  /// Opens the lease table of the journal at `conninfo` (creating the journal's schema when the
  /// database has none). Fails with one line naming the server and what went wrong.
  static caf::expected<std::shared_ptr<postgres_lease_table>> open(const std::string& conninfo);

  explicit postgres_lease_table(std::unique_ptr<dca::es::shard_leases> leases);
  ~postgres_lease_table() override;

  caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                     lease_clock::time_point now,
                                     std::chrono::milliseconds ttl) override;
  caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch) override;
  caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point now) override;

  /// Renews every tenure the pass claims in one statement that also reads the table; only a
  /// shard the node does not hold (or lost) costs an acquire of its own.
  void run_pass(lease_pass& pass) override;
  /// On the table's own thread: the node's actor never waits for PostgreSQL.
  void run_io(std::function<void()> task) override;

private:
  std::mutex mtx_; // shard_leases is one connection: one statement at a time
  std::unique_ptr<dca::es::shard_leases> leases_;
  std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> tenures_; // (shard, node) -> epoch
  // Last: stopped (its queued passes run) before the connection goes.
  std::unique_ptr<dca::es::io_threads> io_;
};

} // namespace dca::cluster
