// The OR-Set: replicas converge whatever the network did to the deltas, merge obeys the three
// laws, a remove removes only the adds it saw, and no acknowledged add is ever lost.
#include "crdt_test_support.hpp"

#include "dca/crdt/acknowledged_adds.hpp"
#include "dca/crdt/or_set.hpp"

using namespace dca::crdt;

namespace {

using cart = or_set<std::string>;

// Adds or removes one of ten items: small, so adds and removes of one item meet often.
cart random_change(cart& s, const replica_id& r, std::mt19937_64& rng) {
  auto item = "item-" + std::to_string(rng() % 10);
  return rng() % 3 == 0 ? s.remove(item) : s.add(r, item);
}

} // namespace

TEST_CASE("OR-Set replicas converge to identical states under drops, duplicates and reordering") {
  for (auto seed : crdt_test::seeds(100)) {
    auto states = crdt_test::replicate_with_faults<cart>(seed, 80, random_change);
    INFO("seed " << seed << " (rerun with DCA_SEED=" << seed << ")");
    CHECK(states[0] == states[1]);
    CHECK(states[1] == states[2]);
    // Converged with every delta delivered: no gap is left in the causal context.
    CHECK(states[0].context_cloud_size() == 0);
  }
}

TEST_CASE("OR-Set merge is commutative, associative and idempotent") {
  for (auto seed : crdt_test::seeds(100))
    crdt_test::check_merge_laws(crdt_test::diverged_states<cart>(seed, random_change), seed);
}

TEST_CASE("an OR-Set remove removes only the adds it saw: a concurrent add wins") {
  cart a;
  cart b;
  cart c;
  auto added_by_a = a.add("a", "apple");
  b.merge(added_by_a);
  auto removed_by_b = b.remove("apple"); // b saw a's add only
  auto added_by_c = c.add("c", "apple"); // concurrent: b has not seen it
  for (auto* s : {&a, &b, &c}) {
    s->merge(added_by_a);
    s->merge(removed_by_b);
    s->merge(added_by_c);
  }
  CHECK(a == b);
  CHECK(b == c);
  CHECK(a.contains("apple"));
  // A remove that has seen both adds removes the element everywhere.
  auto removed_by_a = a.remove("apple");
  b.merge(removed_by_a);
  c.merge(removed_by_a);
  CHECK_FALSE(b.contains("apple"));
  CHECK_FALSE(c.contains("apple"));
  CHECK(a == c);
}

TEST_CASE("a remove delivered before the add it removes still removes it") {
  cart a;
  cart b;
  auto added = a.add("a", "pear");
  auto removed = a.remove("pear");
  b.merge(removed); // reordered: the remove first
  b.merge(added);
  CHECK_FALSE(b.contains("pear"));
  CHECK(a == b);
}

TEST_CASE("no acknowledged OR-Set add is lost, however the network treats the deltas") {
  for (auto seed : crdt_test::seeds(50)) {
    acknowledged_adds<std::string> acks;
    auto states = crdt_test::replicate_with_faults<cart>(
        seed, 80, [&](cart& s, const replica_id& r, std::mt19937_64& rng) {
          auto item = "item-" + std::to_string(rng() % 1000);
          acks.added(item);
          return s.add(r, item);
        });
    INFO("seed " << seed);
    CHECK(acks.acknowledged() > 0);
    for (auto& s : states)
      CHECK(acks.lost_in(s.elements()) == 0);
  }
}

namespace {

// An element that counts how often the set compares it: a merge that walks the replica's entries
// compares every one of them, a merge that looks its element up compares O(log n) of them.
struct counted_item {
  std::uint64_t id = 0;
  static inline std::uint64_t comparisons = 0;

  friend bool operator<(const counted_item& a, const counted_item& b) {
    ++comparisons;
    return a.id < b.id;
  }
  friend bool operator==(const counted_item& a, const counted_item& b) {
    ++comparisons;
    return a.id == b.id;
  }
};

/// Comparisons of elements while `replica` merges `delta`.
std::uint64_t comparisons_to_merge(or_set<counted_item>& replica,
                                   const or_set<counted_item>& delta) {
  counted_item::comparisons = 0;
  replica.merge(delta);
  return counted_item::comparisons;
}

} // namespace

TEST_CASE("merging a one-change delta looks up its element instead of scanning the replica") {
  // Counted, not timed: the old merge walked all 16,384 entries for every delta.
  constexpr std::uint64_t elements = 1 << 14;
  constexpr std::uint64_t comparisons_max = 3 * 14; // a few lookups of log2(elements) each
  or_set<counted_item> origin;
  or_set<counted_item> replica;
  for (std::uint64_t x = 0; x < elements; ++x)
    replica.merge(origin.add("a", {x}));
  REQUIRE(replica.size() == elements);
  CHECK(comparisons_to_merge(replica, origin.add("b", {elements})) <= comparisons_max);
  CHECK(comparisons_to_merge(replica, origin.add("b", {elements / 2})) <= comparisons_max);
  CHECK(comparisons_to_merge(replica, origin.remove({elements / 3})) <= comparisons_max);
  // And the merges did their work.
  CHECK(replica.size() == elements);
  CHECK_FALSE(replica.contains({elements / 3}));
  CHECK(replica == origin);
}
