// Shard ownership decided by consensus: the lease table of a cluster whose leases live in etcd
// (scripts/services runs a 3-member cluster) and whose journal is PostgreSQL. A node owns a shard
// while its key "<prefix><shard>" exists under its etcd lease; it takes a free shard with one
// compare-and-swap (put only if the key does not exist), and the revision of that write is its
// epoch: etcd's revisions only grow, so every new owner's epoch is above every earlier one's. The
// epoch is then installed in the journal's own fence (dca::es::shard_leases::adopt), which refuses
// every append fenced by another epoch in the append's transaction: a node that was paused or cut
// off and still believes it owns the shard cannot write once another node took it over, whatever
// its clock or its heartbeats say. There is one fence, the journal's; etcd only issues epochs.
//
// Without a quorum (two of three members gone) etcd grants nothing and answers nothing: acquire
// fails with the client's error (no_quorum, timed_out) and ownership stops moving, rather than two
// nodes each deciding on their own that the other is gone.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dca/cluster/lease_table.hpp"
#include "dca/es/shard_leases.hpp"
#include "dca/services/etcd_client.hpp"

namespace dca::cluster {

class etcd_lease_table : public lease_table {
public:
  /// Leases under `prefix` in the etcd cluster at `etcd_endpoints`, epochs installed in the journal
  /// database at `conninfo`. Fails with one line when the journal's database cannot be opened.
  static caf::expected<std::shared_ptr<etcd_lease_table>>
  open(std::vector<std::string> etcd_endpoints, const std::string& conninfo, std::string prefix);

  etcd_lease_table(dca::services::etcd_client etcd, std::unique_ptr<dca::es::shard_leases> fences,
                   std::string prefix);

  /// Renews the lease of a shard `node` holds (its epoch kept), or takes a free one (a new epoch,
  /// installed in the journal before this returns). `ttl` is rounded up to whole seconds (etcd's
  /// unit). A lapsed tenure is not renewed: the shard is taken again, under a new epoch.
  caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                     lease_clock::time_point now,
                                     std::chrono::milliseconds ttl) override;

  /// Revokes `node`'s etcd lease on `shard` at `epoch`: the key vanishes at once.
  caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch) override;

  /// Every held shard's owner, epoch and expiry (from the lease's remaining time in etcd).
  caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point now) override;

private:
  struct tenure {
    std::int64_t lease_id = 0;
    std::uint64_t epoch = 0;
  };

  caf::expected<shard_lease> take(std::uint32_t shard, const std::string& node,
                                  lease_clock::time_point now, std::chrono::seconds ttl);

  std::mutex mtx_; // one etcd client and one journal connection: one request at a time
  dca::services::etcd_client etcd_;
  std::unique_ptr<dca::es::shard_leases> fences_;
  std::string prefix_;
  std::map<std::pair<std::uint32_t, std::string>, tenure> tenures_; // (shard, node)
};

} // namespace dca::cluster
