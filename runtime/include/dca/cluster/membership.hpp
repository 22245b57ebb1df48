// The cluster's membership, kept in PostgreSQL beside the journal (as Orleans keeps its silos in a
// SQL table): one row per node (its id, the address its node actor is published at, an
// incarnation, its last heartbeat), and one row for the cluster itself (the shard count every
// node must use, the membership schema's version). A node joins by writing its row, refreshes its
// heartbeat while it runs, and finds its peers by reading the live rows; liveness is judged by the
// database's clock, so the nodes' clocks need not agree.
//
// Refused at join, with one line and nothing written: an id whose row is still live (two
// processes would answer as one node), a shard count other than the cluster's (keys would hash to
// different shards on different nodes), a membership schema this build does not know.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace dca::cluster {

/// The membership tables' layout version this build writes; a cluster with another is refused.
constexpr std::int64_t membership_schema_version = 1;

/// One row of the member table, as a reader sees it.
struct member {
  std::string node;
  std::string address; // "host:port" of its published node actor
  std::uint64_t incarnation = 0;
  std::int64_t heartbeat_age_ms = 0; // by the database's clock
  bool live = false;                 // heartbeat_age_ms below the live bound
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("member"), x.node, x.address, x.incarnation, x.heartbeat_age_ms,
           x.live);
}

class membership {
public:
  /// Connects to the cluster's database and creates the membership tables when it has none.
  static caf::expected<std::unique_ptr<membership>> open(const std::string& conninfo);

  ~membership();

  /// Writes `node`'s row (address, heartbeat now, the next incarnation) when the cluster's shard
  /// count is `shards` (a new cluster takes it) and no live row holds `node`; a row older than
  /// `live_max` is a dead member's and is taken over. Returns the new incarnation.
  caf::expected<std::uint64_t> join(const std::string& node, const std::string& address,
                                    std::uint32_t shards, std::chrono::milliseconds live_max);

  /// Refreshes the heartbeat of `node`'s `incarnation`; errc::membership_lost when another
  /// process took the id over.
  caf::error heartbeat(const std::string& node, std::uint64_t incarnation);

  /// Removes `node`'s row if it is still `incarnation`'s.
  caf::error leave(const std::string& node, std::uint64_t incarnation);

  /// Every row, by node id; `live` from `live_max`.
  caf::expected<std::vector<member>> members(std::chrono::milliseconds live_max);

  /// The cluster's shard count, 0 before any node joined.
  caf::expected<std::uint32_t> shards();

  class impl; // runtime/src/cluster/membership.cpp

private:
  explicit membership(std::unique_ptr<impl> state);

  std::unique_ptr<impl> impl_;
};

} // namespace dca::cluster
