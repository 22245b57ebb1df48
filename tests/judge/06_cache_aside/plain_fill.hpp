// A wrong-but-plausible fill for exercise 06's reader (tests/judge/CMakeLists.txt edits it into
// the reference in place of store_if_newer): a plain HSET of the price it read, no seq guard, so
// a reader that read before a write puts the older price back after the projection cached the
// newer one.
#pragma once

#include <string>

#include "scenario.hpp"

namespace cache_aside {

inline void plain_fill(dca::services::redis_connection& cache, const run_space& space,
                       const std::string& sku, cached_price value) {
  cache.command({"HSET", space.key("price:" + sku), "cents", std::to_string(value.cents), "seq",
                 std::to_string(value.seq)});
}

} // namespace cache_aside
