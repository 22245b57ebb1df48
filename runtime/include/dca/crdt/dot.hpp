// A dot: one event's unique name, (replica, counter), the counter counting that replica's events
// from 1. The OR-Set tags every add with a fresh dot, so a remove can name exactly the adds it saw.
#pragma once

#include <cstdint>
#include <tuple>

#include <caf/meta/type_name.hpp>

#include "dca/crdt/replica_id.hpp"

namespace dca::crdt {

struct dot {
  replica_id replica;
  std::uint64_t counter = 0; // 1-based

  friend bool operator==(const dot& a, const dot& b) {
    return a.counter == b.counter && a.replica == b.replica;
  }
  friend bool operator!=(const dot& a, const dot& b) { return !(a == b); }
  friend bool operator<(const dot& a, const dot& b) {
    return std::tie(a.replica, a.counter) < std::tie(b.replica, b.counter);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dot& x) {
  return f(caf::meta::type_name("dot"), x.replica, x.counter);
}

} // namespace dca::crdt
