// The cluster's membership, kept in PostgreSQL beside the journal (as Orleans keeps its silos in a
// SQL table): one row per node (its id, the address its node actor is published at, an
// incarnation, its last heartbeat), and one row for the cluster itself (the shard count every
// node must use, the membership schema's version). A node joins by writing its row, refreshes its
// heartbeat while it runs, and finds its peers by reading the live rows; liveness is judged by the
// database's clock, so the nodes' clocks need not agree.
//
// Refused at join, with one line and nothing written: an id whose row is still live (two
// processes would answer as one node), a shard count other than the cluster's (keys would hash to
// different shards on different nodes), an entity type other than the cluster's (one entity type
// per cluster: a shard's owner hosts that type only, so a node of another type would take shards
// whose commands it cannot run), a membership schema this build does not know.
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
/// Version 2 added the entity type (the cluster's and each member's).
constexpr std::int64_t membership_schema_version = 2;

/// One row of the member table, as a reader sees it.
struct member {
  std::string node;
  std::string address; // "host:port" of its published node actor
  std::uint64_t incarnation = 0;
  std::int64_t heartbeat_age_ms = 0; // by the database's clock
  bool live = false;                 // heartbeat_age_ms below the live bound
  std::string entity_type;           // what it hosts ("": a node of membership version 1)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("member"), x.node, x.address, x.incarnation, x.heartbeat_age_ms,
           x.live, x.entity_type);
}

/// What a node states when it joins.
struct member_claim {
  std::string node;
  std::string address;      // "host:port" of its published node actor
  std::uint32_t shards = 0; // the shard count it was started with
  std::string entity_type;  // the one entity type it hosts (E::type_name)
};

class membership {
public:
  /// Connects to the cluster's database and creates the membership tables when it has none.
  static caf::expected<std::unique_ptr<membership>> open(const std::string& conninfo);

  ~membership();

  /// Writes the claim's row (address, entity type, heartbeat now, the next incarnation) when the
  /// cluster's shard count and entity type are the claim's (a new cluster takes them) and no live
  /// row holds its node id; a row older than `live_max` is a dead member's and is taken over.
  /// Returns the new incarnation.
  caf::expected<std::uint64_t> join(const member_claim& claim, std::chrono::milliseconds live_max);

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
