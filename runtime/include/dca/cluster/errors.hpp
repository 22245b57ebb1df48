// The errors a cluster reports as values: a request whose node died or hung, an append fenced out
// by a newer owner, a command that cannot be routed. Built on dca::es's domain errors, so
// dca::es::render prints them on one line like every other runtime error.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace dca::cluster {

enum class errc : std::uint8_t {
  node_unreachable = 1, // the node that owns the target was declared dead (missed heartbeats)
  request_timeout,      // no answer within the request bound (the node may be hung or cut off)
  stale_epoch,          // an append carried an epoch older than the shard's current lease
  shard_unowned,        // no live node holds the shard's lease yet: retry after the next rebalance
  hops_exceeded,        // a command bounced between nodes whose shard tables disagree
  node_id_taken,        // a node started with the id of a member that is still live
  cluster_mismatch,     // a node's shard count, entity type or schema differs from the cluster's
  membership_lost,      // the node's membership row was taken over (it was declared dead)
  not_hosted,           // a message the node has no handler for: another entity type's command
};

/// The code's name, e.g. "node_unreachable".
const char* to_string(errc x) noexcept;

/// The category atom of every cluster error.
constexpr caf::atom_value error_category = caf::atom("dcacluster");

/// An error with `detail` as its one-line context.
caf::error make_error(errc code, std::string detail);

/// True when `err` carries `code` of the cluster's category.
bool is(const caf::error& err, errc code) noexcept;

} // namespace dca::cluster
