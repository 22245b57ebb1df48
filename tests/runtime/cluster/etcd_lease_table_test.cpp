// Shard ownership by consensus on the real servers: leases in the kit's 3-member etcd, epochs (the
// revisions of the writes that made each owner) installed in the PostgreSQL journal's fence. A node
// paused past its lease is the split brain of exercise 14: it still believes it owns the shard,
// another node took it, and the journal refuses the paused node's appends.
#include <doctest/doctest.h>

#include <thread>
#include <unistd.h>

#include "dca/cluster/etcd_lease_table.hpp"
#include "dca/es/postgres_journal.hpp"
#include "dca/services/endpoints.hpp"
#include "etcd_private_cluster.hpp"
#include "journal_contract.hpp"
#include "postgres_test_support.hpp"

using namespace dca::cluster;
using namespace dca::es::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t shard = 42;

/// Polls `acquire` until it succeeds or `bound` passes: a lease's lapse and an election are etcd's
/// own timers, which a test can only wait for.
template <class Acquire>
caf::expected<shard_lease> acquired_within(std::chrono::seconds bound, Acquire acquire) {
  auto taken = acquire();
  for (auto deadline = std::chrono::steady_clock::now() + bound;
       !taken && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(100ms);
    taken = acquire();
  }
  return taken;
}

/// The append was refused because its epoch is no longer the shard's.
template <class Appended>
bool refused_as_stale(const Appended& appended) {
  return !appended && dca::es::is(appended.error(), dca::es::errc::stale_epoch);
}

/// The journal account-42's owners append to, each append fenced by its owner's epoch.
struct account_journal {
  std::shared_ptr<dca::es::postgres_journal> journal;

  explicit account_journal(const std::string& db) {
    auto opened = dca::es::postgres_journal::open(db);
    REQUIRE(opened);
    journal = std::move(*opened);
  }

  /// Appends as `lease`'s holder, fenced by its epoch.
  auto append(std::uint64_t expected, const shard_lease& lease) {
    auto r = req("account-42", expected, {"withdrawn " + std::to_string(expected + 1)});
    r.fence = dca::es::shard_fence{shard, lease.epoch, lease.owner};
    return append_sync(*journal, r);
  }
};

/// This process's own keys in the shared etcd, removed at the end.
struct etcd_tables {
  std::string db = empty_journal_database();
  std::string prefix = "dca-test/" + std::to_string(::getpid()) + "/shards/";

  std::shared_ptr<etcd_lease_table> open() const {
    auto t = etcd_lease_table::open(dca::services::etcd_endpoints(), db, prefix);
    REQUIRE_MESSAGE(t, dca::es::render(t.error()));
    return *t;
  }

  ~etcd_tables() {
    dca::services::etcd_client{dca::services::etcd_endpoints()}.remove_prefix(prefix);
  }
};

} // namespace

TEST_CASE("a node paused past its etcd lease is fenced out by the revision its successor won") {
  etcd_tables tables;
  auto a = tables.open();
  auto b = tables.open();
  auto now = lease_clock::clock_type::now();
  auto first = a->acquire(shard, "node-a", now, 1s);
  REQUIRE_MESSAGE(first, dca::es::render(first.error()));
  auto renewed = a->acquire(shard, "node-a", now, 1s);
  REQUIRE(renewed);
  CHECK(renewed->epoch == first->epoch); // a renewal keeps the epoch: the hosts' fences stay valid
  auto refused = b->acquire(shard, "node-b", now, 1s);
  REQUIRE_FALSE(refused);
  CHECK(dca::es::is(refused.error(), dca::es::errc::lease_held));

  account_journal journal{tables.db};
  auto write = [&](std::uint64_t expected, const shard_lease& lease) {
    return journal.append(expected, lease);
  };
  REQUIRE(write(0, *first));
  // node-a pauses (no renewal); etcd's own timer ends its lease, then node-b's swap wins.
  auto taken = acquired_within(10s, [&] { return b->acquire(shard, "node-b", now, 1s); });
  REQUIRE_MESSAGE(taken, dca::es::render(taken.error()));
  CHECK(taken->epoch > first->epoch);        // etcd's revision only grows
  CHECK(refused_as_stale(write(1, *first))); // the zombie still believes it owns it
  CHECK(write(1, *taken));
  // node-a wakes: its lease lapsed, so it tries to take the shard again and learns who holds it.
  auto back = a->acquire(shard, "node-a", now, 1s);
  REQUIRE_FALSE(back);
  CHECK(dca::es::is(back.error(), dca::es::errc::lease_held));
  auto listed = a->leases(now);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().owner == "node-b");
  CHECK(listed->front().epoch == taken->epoch);
}

TEST_CASE("with one etcd member of three killed ownership still moves, with two it stops") {
  dca::services::testing::private_cluster cluster;
  auto db = empty_journal_database();
  auto open = [&] {
    auto t = etcd_lease_table::open(cluster.members, db, "shards/");
    REQUIRE_MESSAGE(t, dca::es::render(t.error()));
    return *t;
  };
  auto a = open(), b = open(), c = open();
  auto now = lease_clock::clock_type::now();
  auto first = a->acquire(shard, "node-a", now, 1s);
  REQUIRE_MESSAGE(first, dca::es::render(first.error()));
  account_journal journal{db};
  auto write = [&](std::uint64_t expected, const shard_lease& lease) {
    return journal.append(expected, lease);
  };
  REQUIRE(write(0, *first));

  cluster.kill_member(cluster.leader()); // and node-a pauses: the two members left elect
  auto moved = acquired_within(15s, [&] { return b->acquire(shard, "node-b", now, 1s); });
  REQUIRE_MESSAGE(moved, dca::es::render(moved.error()));
  CHECK(moved->epoch > first->epoch);
  CHECK(refused_as_stale(write(1, *first)));
  REQUIRE(write(1, *moved));

  cluster.kill_member(cluster.leader()); // one member left: no quorum, no new owner
  auto started = std::chrono::steady_clock::now();
  auto refused = c->acquire(shard, "node-c", now, 1s);
  CHECK(std::chrono::steady_clock::now() - started < 5s); // a bound, not etcd's own 7 s or a hang
  REQUIRE_FALSE(refused);
  INFO(dca::es::render(refused.error()));
  CHECK((dca::services::is(refused.error(), dca::services::etcd_errc::no_quorum) ||
         dca::services::is(refused.error(), dca::services::etcd_errc::timed_out)));
  // The journal still knows one owner, the last one etcd agreed on: nobody else's append passes.
  CHECK(refused_as_stale(write(2, *first)));
  CHECK(write(2, *moved));
}
