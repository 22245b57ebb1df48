// Keys to shards and shards to nodes. A key's shard is a stable hash (FNV-1a, the same in every
// process and on every build, unlike std::hash) modulo a shard count fixed for the cluster's life;
// a shard's preferred owner among the live members is the one with the highest hash of (shard,
// node) (rendezvous hashing), so a member joining or leaving moves only the shards it wins or held.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dca::cluster {

/// The shard of `key` among `shards` (> 0).
std::uint32_t shard_of(std::string_view key, std::uint32_t shards);

/// The member that should own `shard`; empty when `members` is.
std::string preferred_owner(std::uint32_t shard, const std::vector<std::string>& members);

} // namespace dca::cluster
