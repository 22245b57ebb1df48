// The grow-only and the up-down counters (g_counter.hpp, pn_counter.hpp).
#include "dca/crdt/g_counter.hpp"

#include <algorithm>

#include "dca/crdt/errors.hpp"
#include "dca/crdt/pn_counter.hpp"

namespace dca::crdt {

g_counter g_counter::increment(const replica_id& replica, std::uint64_t n) {
  if (n == 0)
    return {}; // no zero entries: equal counters compare equal
  auto& mine = counts_[replica];
  mine += n;
  g_counter delta;
  delta.counts_[replica] = mine; // the new total, not the step: a duplicate then changes nothing
  return delta;
}

void g_counter::merge(const g_counter& other) {
  for (auto& [replica, n] : other.counts_) {
    if (n == 0)
      continue;
    auto& mine = counts_[replica];
    mine = std::max(mine, n);
  }
}

std::uint64_t g_counter::value() const noexcept {
  std::uint64_t sum = 0;
  for (auto& entry : counts_)
    sum += entry.second;
  return sum;
}

std::uint64_t g_counter::count_of(const replica_id& replica) const {
  auto i = counts_.find(replica);
  return i == counts_.end() ? 0 : i->second;
}

caf::error g_counter::validate(const replica_set& known) const {
  for (auto& [replica, n] : counts_) {
    if (known.count(replica) == 0)
      return make_error(errc::unknown_replica,
                        "the counter names replica '" + replica + "', not one of ours");
    if (n == 0)
      return make_error(errc::malformed_state, "the counter holds a zero count for '" + replica +
                                                   "' (a counter never stores one)");
  }
  return caf::none;
}

pn_counter pn_counter::increment(const replica_id& replica, std::uint64_t n) {
  pn_counter delta;
  delta.up_ = up_.increment(replica, n);
  return delta;
}

pn_counter pn_counter::decrement(const replica_id& replica, std::uint64_t n) {
  pn_counter delta;
  delta.down_ = down_.increment(replica, n);
  return delta;
}

void pn_counter::merge(const pn_counter& other) {
  up_.merge(other.up_);
  down_.merge(other.down_);
}

std::int64_t pn_counter::value() const noexcept {
  return static_cast<std::int64_t>(up_.value() - down_.value());
}

caf::error pn_counter::validate(const replica_set& known) const {
  if (auto err = up_.validate(known))
    return err;
  return down_.validate(known);
}

} // namespace dca::crdt
