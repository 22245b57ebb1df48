// The LWW-Register, the contrast: it converges and obeys the merge laws, yet loses acknowledged
// adds when a set is read, modified and written through three replicas, more so under clock skew;
// the OR-Set, run on the same schedule, loses none.
#include "crdt_test_support.hpp"

#include <set>

#include "dca/crdt/acknowledged_adds.hpp"
#include "dca/crdt/lww_register.hpp"
#include "dca/crdt/or_set.hpp"

using namespace dca::crdt;

namespace {

using lww_cart = lww_register<std::set<int>>;

lww_cart random_write(lww_cart& s, const replica_id& r, std::mt19937_64& rng) {
  auto items = s.value();
  items.insert(static_cast<int>(rng() % 20));
  return s.assign(r, std::move(items), rng() % 50); // few timestamps: ties happen
}

/// Lost acknowledged adds for LWW and for the OR-Set, from one schedule.
struct lost_adds {
  std::size_t lww = 0;
  std::size_t or_set = 0;
};

/// Clients add items 0..adds-1, one per millisecond, each through a random replica, as a
/// read-modify-write of the whole set for LWW and as an add for the OR-Set; replica c's clock runs
/// `skew_ms` behind. Each write is acknowledged once its replica applied it; deltas reach the
/// other replicas 0-4 ms later. Then everything is delivered and the acknowledged adds counted.
lost_adds run_cart(std::uint64_t seed, std::uint64_t skew_ms, int adds) {
  std::mt19937_64 rng{seed};
  std::array<lww_cart, 3> lww;
  std::array<or_set<int>, 3> sets;
  const std::array<std::uint64_t, 3> behind_ms{0, 0, skew_ms};
  struct parcel {
    int due_ms;
    std::size_t to;
    lww_cart lww_delta;
    or_set<int> set_delta;
  };
  std::vector<parcel> in_flight;
  acknowledged_adds<int> acks;
  auto deliver = [&](const parcel& p) {
    lww[p.to].merge(p.lww_delta);
    sets[p.to].merge(p.set_delta);
  };
  for (int now = 0; now < adds; ++now) {
    for (auto i = in_flight.begin(); i != in_flight.end();)
      i = i->due_ms <= now ? (deliver(*i), in_flight.erase(i)) : std::next(i);
    auto r = static_cast<std::size_t>(rng() % 3);
    auto& name = crdt_test::replica_names[r];
    auto items = lww[r].value();
    items.insert(now);
    auto clock_ms = 1'000'000 + static_cast<std::uint64_t>(now) - behind_ms[r];
    auto lww_delta = lww[r].assign(name, std::move(items), clock_ms);
    auto set_delta = sets[r].add(name, now);
    acks.added(now);
    for (std::size_t to = 0; to < 3; ++to)
      if (to != r)
        in_flight.push_back({now + static_cast<int>(rng() % 5), to, lww_delta, set_delta});
  }
  for (auto& p : in_flight)
    deliver(p);
  REQUIRE(lww[0] == lww[1]);
  REQUIRE(lww[1] == lww[2]);
  REQUIRE(sets[0] == sets[2]);
  return {acks.lost_in(lww[0].value()), acks.lost_in(sets[0].elements())};
}

} // namespace

TEST_CASE("LWW-Register replicas converge, and its merge is commutative, associative and "
          "idempotent") {
  for (auto seed : crdt_test::seeds(50)) {
    auto states = crdt_test::replicate_with_faults<lww_cart>(seed, 40, random_write);
    CHECK(states[0] == states[1]);
    CHECK(states[1] == states[2]);
    crdt_test::check_merge_laws(crdt_test::diverged_states<lww_cart>(seed, random_write), seed);
  }
}

TEST_CASE("a later write loses to an earlier one from a clock that runs ahead") {
  lww_register<std::string> a;
  lww_register<std::string> b;
  auto early = a.assign("a", "written first", 2'000); // a's clock is 1 s ahead
  auto late = b.assign("b", "written second", 1'500);
  a.merge(late);
  b.merge(early);
  CHECK(a == b);
  CHECK(a.value() == "written first");
}

TEST_CASE("read-modify-write through three replicas loses acknowledged adds with LWW, more under "
          "clock skew, and none with the OR-Set on the same schedule") {
  for (auto seed : crdt_test::seeds(5)) {
    INFO("seed " << seed << " (rerun with DCA_SEED=" << seed << ")");
    std::size_t lww_lost_no_skew = 0;
    std::size_t lww_lost_skewed = 0;
    for (std::uint64_t skew_ms : {0, 10, 100, 1000}) {
      auto lost = run_cart(seed, skew_ms, 300);
      MESSAGE("seed " << seed << ", skew " << skew_ms << " ms: LWW lost " << lost.lww
                      << " of 300 acknowledged adds, OR-Set lost " << lost.or_set);
      CHECK(lost.or_set == 0);
      (skew_ms == 0 ? lww_lost_no_skew : lww_lost_skewed) =
          std::max(skew_ms == 0 ? lww_lost_no_skew : lww_lost_skewed, lost.lww);
    }
    CHECK(lww_lost_no_skew > 0); // concurrency alone loses adds
    CHECK(lww_lost_skewed > lww_lost_no_skew);
  }
}
