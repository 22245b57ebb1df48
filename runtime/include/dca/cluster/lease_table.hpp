// Shard ownership by lease: a shard has at most one owner at a time, until its lease expires.
// Every change of owner increments the shard's epoch, and every append an owner makes carries
// that epoch (dca::es::shard_fence), so the journal refuses the writes of a node that lost its
// lease without knowing it. The interface is what a node needs; memory_lease_table serves the
// deterministic tests, and the PostgreSQL journal's shard_leases table the real cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/expected.hpp>

namespace dca::cluster {

using lease_clock = caf::actor_clock;

/// One shard's row: its owner (empty: released), its epoch, when the lease lapses.
struct shard_lease {
  std::uint32_t shard = 0;
  std::string owner;
  std::uint64_t epoch = 0;
  lease_clock::time_point expires_at{};
};

/// One pass of a node over its leases (node_core::rebalance): the shards it should hold, the
/// tenures it gives up, and, once run, what came of each and every shard's row.
struct lease_pass {
  std::string node;
  lease_clock::time_point now{};
  std::chrono::milliseconds ttl{};
  std::vector<std::uint32_t> claims;                             // take or renew
  std::vector<std::pair<std::uint32_t, std::uint64_t>> releases; // (shard, epoch)
  std::vector<caf::expected<shard_lease>> claimed;               // one per claim, in order
  caf::expected<std::vector<shard_lease>> rows = std::vector<shard_lease>{};
};

class lease_table {
public:
  virtual ~lease_table();

  /// Runs `pass`: releases, then claims (acquire), then reads every row. This one calls the
  /// statements one by one; a table that can do it in fewer round trips overrides it.
  virtual void run_pass(lease_pass& pass);

  /// Runs `task` (a pass) where it may block on the table: inline by default (a table in memory);
  /// a table on a server runs it on a thread of its own, so a node's actor never waits for SQL.
  virtual void run_io(std::function<void()> task);

  /// Takes or renews `shard` for `node` until `now + ttl`. A free, released or expired lease
  /// changes owner and gets the next epoch; the owner's own lease keeps its epoch.
  /// Fails with dca::es::errc::lease_held while another node's lease runs, or with the storage's
  /// error (the node then cannot know who owns the shard).
  virtual caf::expected<shard_lease> acquire(std::uint32_t shard, const std::string& node,
                                             lease_clock::time_point now,
                                             std::chrono::milliseconds ttl) = 0;

  /// Gives `shard` up, if `node` holds it at `epoch`; the next acquire by anyone bumps the epoch.
  virtual caf::error release(std::uint32_t shard, const std::string& node, std::uint64_t epoch) = 0;

  /// Every shard's row, by shard (shards never leased are absent), with expiries on the clock
  /// `now` is read from (a table kept on another clock converts them).
  virtual caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point now) = 0;
};

} // namespace dca::cluster
