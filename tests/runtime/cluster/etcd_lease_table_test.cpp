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
#include "journal_contract.hpp"
#include "postgres_test_support.hpp"

using namespace dca::cluster;
using namespace dca::es::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t shard = 42;

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

  auto journal = dca::es::postgres_journal::open(tables.db);
  REQUIRE(journal);
  auto write = [&](std::uint64_t expected, std::uint64_t epoch) {
    auto r = req("account-42", expected, {"withdrawn " + std::to_string(expected + 1)});
    r.fence = dca::es::shard_fence{shard, epoch};
    return append_sync(**journal, r);
  };
  REQUIRE(write(0, first->epoch));
  // node-a pauses (no renewal); etcd's own timer ends its lease, then node-b's swap wins.
  auto taken = b->acquire(shard, "node-b", now, 1s);
  auto deadline = std::chrono::steady_clock::now() + 10s; // the lapse is etcd's timer: polled
  while (!taken && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    taken = b->acquire(shard, "node-b", now, 1s);
  }
  REQUIRE_MESSAGE(taken, dca::es::render(taken.error()));
  CHECK(taken->epoch > first->epoch);  // etcd's revision only grows
  auto stale = write(1, first->epoch); // the zombie still believes it owns account-42
  REQUIRE_FALSE(stale);
  CHECK(dca::es::is(stale.error(), dca::es::errc::stale_epoch));
  CHECK(write(1, taken->epoch));
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
