// A causal context: the set of dots a replica has seen, kept as a version vector (every counter
// 1..n of a replica, stored as n) plus the dots seen beyond a gap (the "dot cloud"), which a
// delta that arrived before its predecessors leaves. Merging contexts is set union; compaction
// keeps one canonical form, so two contexts holding the same dots compare equal.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/crdt/dot.hpp"
#include "dca/crdt/replica_id.hpp"

namespace dca::crdt {

class dot_context {
public:
  /// Whether `d` has been seen.
  bool contains(const dot& d) const;

  /// The next dot `replica` makes: one past the highest of its counters seen here.
  dot next(const replica_id& replica) const;

  /// Records `d` as seen.
  void insert(const dot& d);

  /// Set union with `other`. Costs O(size of `other`), whatever the size of this context: a
  /// single-dot delta merges in logarithmic time.
  void merge(const dot_context& other);

  /// Calls `visit(replica, first, last)` for every run of consecutive dots seen: one per replica
  /// of the version vector (1..n), one per cloud dot. Lets a holder of dots find the ones another
  /// context has seen without enumerating either side dot by dot.
  template <class F>
  void for_each_run(F&& visit) const {
    for (auto& [replica, n] : contiguous_)
      visit(replica, std::uint64_t{1}, n);
    for (auto& d : cloud_)
      visit(d.replica, d.counter, d.counter);
  }

  /// Unknown replica or a zero counter: what a decoded context must not hold.
  caf::error validate(const replica_set& known) const;

  /// Dots stored one by one (beyond a gap): what a lossy link costs in memory.
  std::size_t cloud_size() const noexcept { return cloud_.size(); }

  friend bool operator==(const dot_context& a, const dot_context& b) {
    return a.contiguous_ == b.contiguous_ && a.cloud_ == b.cloud_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, dot_context& x) {
    return f(caf::meta::type_name("dot_context"), x.contiguous_, x.cloud_);
  }

  /// Brings a decoded context to the canonical form (merge and insert keep it there).
  void compact();

private:
  /// Moves the cloud dots of `replica` that now continue its version vector into it, and drops
  /// those it already covers; the rest of the cloud is not visited.
  void compact_replica(const replica_id& replica);

  std::map<replica_id, std::uint64_t> contiguous_; // replica -> n: dots 1..n all seen (n > 0)
  std::set<dot> cloud_;                            // seen, beyond contiguous_
};

} // namespace dca::crdt
