// A counter that goes up and down (PN-Counter): two G-Counters, one of increments and one of
// decrements; the value is their difference. It cannot keep an invariant such as "stock >= 0"
// (two replicas may each take the last unit): that needs one owner, an entity.
#pragma once

#include <cstdint>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/crdt/g_counter.hpp"

namespace dca::crdt {

class pn_counter {
public:
  /// Adds `n` on behalf of `replica`; returns the delta.
  pn_counter increment(const replica_id& replica, std::uint64_t n = 1);

  /// Subtracts `n` on behalf of `replica`; returns the delta.
  pn_counter decrement(const replica_id& replica, std::uint64_t n = 1);

  void merge(const pn_counter& other);

  /// Increments minus decrements.
  std::int64_t value() const noexcept;

  caf::error validate(const replica_set& known) const;

  friend bool operator==(const pn_counter& a, const pn_counter& b) {
    return a.up_ == b.up_ && a.down_ == b.down_;
  }
  friend bool operator!=(const pn_counter& a, const pn_counter& b) { return !(a == b); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, pn_counter& x) {
    return f(caf::meta::type_name("pn_counter"), x.up_, x.down_);
  }

private:
  g_counter up_;
  g_counter down_;
};

} // namespace dca::crdt
