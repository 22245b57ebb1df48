// What the CRDT property tests share: three replicas making random changes while a seeded
// network delivers their deltas in a random order, duplicating some and dropping others until
// the end, when every dropped delta is delivered late. The seed is DCA_SEED (or 1); a failing
// check prints it.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "dca/crdt/replica_id.hpp"
#include "spec_search.hpp"

namespace crdt_test {

inline const std::array<dca::crdt::replica_id, 3> replica_names{"a", "b", "c"};
inline const dca::crdt::replica_set replicas{"a", "b", "c"};

/// The seeds a property runs over: DCA_SEED's and the `count - 1` after it.
inline std::vector<std::uint64_t> seeds(std::size_t count) {
  std::vector<std::uint64_t> xs;
  for (std::size_t i = 0; i < count; ++i)
    xs.push_back(dca::spec::seed() + i);
  return xs;
}

/// A delta on its way to one replica.
template <class T>
struct parcel {
  std::size_t to = 0;
  T delta;
};

/// Per-mille rates of the simulated network.
struct delivery_faults {
  std::uint32_t drop_per_mille = 150;
  std::uint32_t duplicate_per_mille = 150;
};

/// Runs `ops` random changes on three replicas of T. `change(state, replica_name, rng)` makes one
/// and returns its delta; between changes the network delivers a random number of pending deltas
/// in random order. With `redeliver` the dropped deltas come back at the end, shuffled, then
/// everything still in flight; without it the replicas are left as the faults made them.
template <class T, class Change>
std::array<T, 3> replicate_with_faults(std::uint64_t seed, int ops, Change change,
                                       delivery_faults faults = {}, bool redeliver = true) {
  std::mt19937_64 rng{seed};
  std::array<T, 3> states{};
  std::vector<parcel<T>> in_flight;
  std::vector<parcel<T>> dropped;
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto deliver_some = [&] {
    for (auto n = pick(4); n > 0 && !in_flight.empty(); --n) {
      auto i = pick(in_flight.size());
      auto roll = rng() % 1000;
      if (roll < faults.drop_per_mille) {
        dropped.push_back(std::move(in_flight[i]));
      } else {
        states[in_flight[i].to].merge(in_flight[i].delta);
        if (roll < faults.drop_per_mille + faults.duplicate_per_mille)
          continue; // a duplicate: the same delta stays in flight and arrives again
      }
      in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  for (int op = 0; op < ops; ++op) {
    auto from = pick(3);
    auto delta = change(states[from], replica_names[from], rng);
    for (std::size_t to = 0; to < 3; ++to)
      if (to != from)
        in_flight.push_back({to, delta});
    deliver_some();
  }
  if (!redeliver)
    return states;
  std::shuffle(dropped.begin(), dropped.end(), rng);
  for (auto& p : dropped)
    states[p.to].merge(p.delta);
  std::shuffle(in_flight.begin(), in_flight.end(), rng);
  for (auto& p : in_flight)
    states[p.to].merge(p.delta);
  return states;
}

/// Three replicas' states of one history, diverged by a lossy network: what the merge laws are
/// checked on. (Unrelated random states would not be reachable: two replicas named "a" would
/// reuse each other's dots.)
template <class T, class Change>
std::array<T, 3> diverged_states(std::uint64_t seed, Change change) {
  return replicate_with_faults<T>(seed, 40, change, delivery_faults{400, 100}, false);
}

/// Checks that merge is commutative, associative and idempotent on `xs`.
template <class T>
void check_merge_laws(const std::array<T, 3>& xs, std::uint64_t seed) {
  INFO("seed " << seed << " (rerun with DCA_SEED=" << seed << ")");
  auto join = [](T x, const T& y) {
    x.merge(y);
    return x;
  };
  auto& [a, b, c] = xs;
  CHECK(join(a, b) == join(b, a));
  CHECK(join(join(a, b), c) == join(a, join(b, c)));
  CHECK(join(a, a) == a);
  CHECK(join(join(a, b), b) == join(a, b));
}

} // namespace crdt_test
