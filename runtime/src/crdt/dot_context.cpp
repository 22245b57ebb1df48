// The causal context (dot_context.hpp): version vector plus dot cloud, compacted after each change.
#include "dca/crdt/dot_context.hpp"

#include <algorithm>

#include "dca/assert.hpp"
#include "dca/crdt/errors.hpp"

namespace dca::crdt {

bool dot_context::contains(const dot& d) const {
  auto i = contiguous_.find(d.replica);
  if (i != contiguous_.end() && d.counter <= i->second)
    return true;
  return cloud_.count(d) > 0;
}

dot dot_context::next(const replica_id& replica) const {
  std::uint64_t highest = 0;
  if (auto i = contiguous_.find(replica); i != contiguous_.end())
    highest = i->second;
  // The cloud is ordered by (replica, counter): the last dot of `replica` in it is its highest.
  auto after = cloud_.lower_bound(dot{replica + '\0', 0});
  if (after != cloud_.begin()) {
    auto last = std::prev(after);
    if (last->replica == replica)
      highest = std::max(highest, last->counter);
  }
  return dot{replica, highest + 1};
}

void dot_context::insert(const dot& d) {
  DCA_ASSERT(d.counter > 0);
  if (contains(d))
    return;
  cloud_.insert(d);
  compact_replica(d.replica);
}

// Only the replicas `other` names can change, so only their part of the cloud is compacted: a
// whole-context compaction here made every merge cost as much as this context's cloud.
void dot_context::merge(const dot_context& other) {
  for (auto& [replica, n] : other.contiguous_) {
    auto& mine = contiguous_[replica];
    mine = std::max(mine, n);
  }
  for (auto& d : other.cloud_) {
    auto vv = contiguous_.find(d.replica);
    if (vv != contiguous_.end() && d.counter == vv->second + 1)
      vv->second = d.counter; // the usual delta: the next dot, no cloud node to make and erase
    else if (!contains(d))
      cloud_.insert(d);
  }
  for (auto& [replica, n] : other.contiguous_)
    compact_replica(replica);
  for (auto i = other.cloud_.begin(); i != other.cloud_.end();
       i = other.cloud_.lower_bound(dot{i->replica + '\0', 0}))
    compact_replica(i->replica);
}

void dot_context::compact_replica(const replica_id& replica) {
  auto vv = contiguous_.find(replica);
  std::uint64_t n = vv == contiguous_.end() ? 0 : vv->second;
  // The cloud is ordered by (replica, counter): stop at the first dot beyond a gap.
  auto i = cloud_.lower_bound(dot{replica, 0});
  while (i != cloud_.end() && i->replica == replica && i->counter <= n + 1) {
    n = std::max(n, i->counter);
    i = cloud_.erase(i);
  }
  if (n > 0)
    contiguous_[replica] = n;
}

void dot_context::compact() {
  for (auto i = contiguous_.begin(); i != contiguous_.end();)
    i = i->second == 0 ? contiguous_.erase(i) : std::next(i);
  for (auto i = cloud_.begin(); i != cloud_.end();) {
    auto& n = contiguous_[i->replica];
    if (i->counter == n + 1) {
      n = i->counter; // the gap before this dot is filled: it joins the version vector
      i = cloud_.erase(i);
    } else if (i->counter <= n) {
      i = cloud_.erase(i);
    } else {
      if (n == 0)
        contiguous_.erase(i->replica);
      ++i;
    }
  }
}

caf::error dot_context::validate(const replica_set& known) const {
  for (auto& [replica, n] : contiguous_)
    if (known.count(replica) == 0)
      return make_error(errc::unknown_replica,
                        "the causal context names replica '" + replica + "', not one of ours");
  for (auto& d : cloud_) {
    if (known.count(d.replica) == 0)
      return make_error(errc::unknown_replica,
                        "the causal context names replica '" + d.replica + "', not one of ours");
    if (d.counter == 0)
      return make_error(errc::malformed_state, "the causal context holds a dot with counter 0");
  }
  return caf::none;
}

} // namespace dca::crdt
