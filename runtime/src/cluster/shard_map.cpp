// Stable key and shard hashing (shard_map.hpp).
#include "dca/cluster/shard_map.hpp"

#include "dca/assert.hpp"

namespace dca::cluster {

namespace {

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

} // namespace

std::uint32_t shard_of(std::string_view key, std::uint32_t shards) {
  DCA_ASSERT(shards > 0);
  return static_cast<std::uint32_t>(fnv1a(key) % shards);
}

std::string preferred_owner(std::uint32_t shard, const std::vector<std::string>& members) {
  std::string best;
  std::uint64_t best_score = 0;
  auto shard_text = std::to_string(shard) + "/";
  for (auto& m : members) {
    auto score = fnv1a(m, fnv1a(shard_text));
    if (best.empty() || score > best_score || (score == best_score && m < best)) {
      best = m;
      best_score = score;
    }
  }
  return best;
}

} // namespace dca::cluster
