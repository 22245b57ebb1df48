// The G-Counter and the PN-Counter: every replica ends at the sum of every increment (minus the
// decrements) whatever the network did to the deltas, and merge obeys the three laws.
#include "crdt_test_support.hpp"

#include "dca/crdt/g_counter.hpp"
#include "dca/crdt/pn_counter.hpp"

using namespace dca::crdt;

TEST_CASE("G-Counter replicas converge to the sum of every increment under drops, duplicates and "
          "reordering") {
  for (auto seed : crdt_test::seeds(50)) {
    std::uint64_t total = 0;
    auto states = crdt_test::replicate_with_faults<g_counter>(
        seed, 60, [&](g_counter& s, const replica_id& r, std::mt19937_64& rng) {
          auto n = 1 + rng() % 5;
          total += n;
          return s.increment(r, n);
        });
    INFO("seed " << seed);
    CHECK(states[0] == states[1]);
    CHECK(states[1] == states[2]);
    CHECK(states[0].value() == total);
  }
}

TEST_CASE("G-Counter merge is commutative, associative and idempotent") {
  for (auto seed : crdt_test::seeds(50))
    crdt_test::check_merge_laws(
        crdt_test::diverged_states<g_counter>(
            seed, [](g_counter& s, const replica_id& r,
                     std::mt19937_64& rng) { return s.increment(r, 1 + rng() % 3); }),
        seed);
}

TEST_CASE("a duplicated G-Counter delta counts once, because it carries the total, not the step") {
  g_counter a;
  g_counter b;
  auto delta = a.increment("a", 5);
  b.merge(delta);
  b.merge(delta);
  CHECK(b.value() == 5);
  b.merge(a.increment("a", 2));
  b.merge(delta); // late and stale: changes nothing
  CHECK(b.value() == 7);
  CHECK(b.count_of("a") == 7);
}

namespace {

pn_counter random_step(pn_counter& s, const replica_id& r, std::mt19937_64& rng,
                       std::int64_t& total) {
  auto n = 1 + rng() % 5;
  if (rng() % 3 == 0) {
    total -= static_cast<std::int64_t>(n);
    return s.decrement(r, n);
  }
  total += static_cast<std::int64_t>(n);
  return s.increment(r, n);
}

} // namespace

TEST_CASE("PN-Counter replicas converge to increments minus decrements under faulty delivery") {
  for (auto seed : crdt_test::seeds(50)) {
    std::int64_t total = 0;
    auto states = crdt_test::replicate_with_faults<pn_counter>(
        seed, 60, [&](pn_counter& s, const replica_id& r, std::mt19937_64& rng) {
          return random_step(s, r, rng, total);
        });
    INFO("seed " << seed);
    CHECK(states[0] == states[1]);
    CHECK(states[1] == states[2]);
    CHECK(states[2].value() == total);
  }
}

TEST_CASE("PN-Counter merge is commutative, associative and idempotent") {
  for (auto seed : crdt_test::seeds(50)) {
    std::int64_t ignored = 0;
    crdt_test::check_merge_laws(
        crdt_test::diverged_states<pn_counter>(
            seed, [&](pn_counter& s, const replica_id& r,
                      std::mt19937_64& rng) { return random_step(s, r, rng, ignored); }),
        seed);
  }
}
