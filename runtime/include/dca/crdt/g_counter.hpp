// A grow-only counter (G-Counter): one non-decreasing count per replica; the value is their sum,
// merge takes the larger count of each replica. Each replica increments only its own entry, so
// concurrent increments never overwrite each other, and merge is commutative, associative and
// idempotent: deltas may arrive in any order, twice, or late, and every replica ends equal.
#pragma once

#include <cstdint>
#include <map>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/crdt/replica_id.hpp"

namespace dca::crdt {

class g_counter {
public:
  /// Adds `n` on behalf of `replica`; returns the delta to send to the other replicas.
  g_counter increment(const replica_id& replica, std::uint64_t n = 1);

  /// Joins `other` into this counter: the larger count of each replica.
  void merge(const g_counter& other);

  /// The sum of every replica's count.
  std::uint64_t value() const noexcept;

  /// What `replica` has counted.
  std::uint64_t count_of(const replica_id& replica) const;

  /// A decoded counter must name known replicas only.
  caf::error validate(const replica_set& known) const;

  /// Replicas with a count: the state's size.
  std::size_t replicas() const noexcept { return counts_.size(); }

  friend bool operator==(const g_counter& a, const g_counter& b) { return a.counts_ == b.counts_; }
  friend bool operator!=(const g_counter& a, const g_counter& b) { return !(a == b); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, g_counter& x) {
    return f(caf::meta::type_name("g_counter"), x.counts_);
  }

private:
  std::map<replica_id, std::uint64_t> counts_;
};

} // namespace dca::crdt
