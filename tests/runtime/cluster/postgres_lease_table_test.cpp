// The nodes' lease table on the PostgreSQL journal's dca_shard_leases, driven step by step (the
// test moves the database's expiry instead of waiting for it): a node keeps its epoch while it
// renews, a takeover fences the old owner's appends, and rows come back on the node's clock.
#include <doctest/doctest.h>

#include "dca/cluster/postgres_lease_table.hpp"
#include "dca/es/postgres_journal.hpp"
#include "journal_contract.hpp"
#include "postgres_test_support.hpp"

using namespace dca::cluster;
using namespace dca::es::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t shard = 3;

std::shared_ptr<postgres_lease_table> open_table(const std::string& db) {
  auto t = postgres_lease_table::open(db);
  REQUIRE_MESSAGE(t, dca::es::render(t.error()));
  return *t;
}

void expire_all(const std::string& db) {
  exec_at(db, "UPDATE dca_shard_leases SET expires_at = now() - interval '1 second'");
}

} // namespace

TEST_CASE("a node renewing its PostgreSQL lease keeps its epoch, and a takeover fences it out") {
  auto db = empty_journal_database();
  auto n1 = open_table(db);
  auto n2 = open_table(db);
  auto now = lease_clock::clock_type::now();
  auto first = n1->acquire(shard, "n1", now, 2s);
  REQUIRE_MESSAGE(first, dca::es::render(first.error()));
  auto renewed = n1->acquire(shard, "n1", now, 2s);
  REQUIRE(renewed);
  CHECK(renewed->epoch == first->epoch); // the hosts' fences stay valid across renewals
  auto refused = n2->acquire(shard, "n2", now, 2s);
  REQUIRE_FALSE(refused);
  CHECK(dca::es::is(refused.error(), dca::es::errc::lease_held));

  auto journal = dca::es::postgres_journal::open(db);
  REQUIRE(journal);
  auto write = [&](std::uint64_t expected, std::uint64_t epoch) {
    auto r = req("acct", expected, {"e" + std::to_string(expected + 1)});
    r.fence = dca::es::shard_fence{shard, epoch};
    return append_sync(**journal, r);
  };
  REQUIRE(write(0, first->epoch));
  expire_all(db); // n1 was cut off for its whole ttl
  auto taken = n2->acquire(shard, "n2", now, 2s);
  REQUIRE_MESSAGE(taken, dca::es::render(taken.error()));
  CHECK(taken->epoch == first->epoch + 1);
  auto stale = write(1, first->epoch);
  REQUIRE_FALSE(stale);
  CHECK(dca::es::is(stale.error(), dca::es::errc::stale_epoch));
  // n1 comes back: its renewal finds the shard lost, and the new owner's lease runs.
  auto back = n1->acquire(shard, "n1", now, 2s);
  REQUIRE_FALSE(back);
  CHECK(dca::es::is(back.error(), dca::es::errc::lease_held));
  CHECK(write(1, taken->epoch));
}

TEST_CASE("a released PostgreSQL lease is taken at the next epoch without waiting for expiry") {
  auto db = empty_journal_database();
  auto n1 = open_table(db);
  auto n2 = open_table(db);
  auto now = lease_clock::clock_type::now();
  auto first = n1->acquire(shard, "n1", now, 60s);
  REQUIRE(first);
  REQUIRE_FALSE(n1->release(shard, "n1", first->epoch));
  CHECK_FALSE(n1->release(shard, "n1", first->epoch)); // not ours any more: a no-op
  auto second = n2->acquire(shard, "n2", now, 60s);
  REQUIRE(second);
  CHECK(second->epoch == first->epoch + 1);
}

TEST_CASE("PostgreSQL lease rows come back on the node's clock, whatever that clock reads") {
  auto db = empty_journal_database();
  auto n1 = open_table(db);
  auto now = lease_clock::clock_type::now();
  REQUIRE(n1->acquire(0, "n1", now, 10s));
  REQUIRE(n1->acquire(1, "n1", now, 10s));
  expire_all(db);
  REQUIRE(n1->acquire(1, "n1", now, 10s));    // renewed: runs again
  auto skewed = now + std::chrono::hours{24}; // a node clock far from the database's
  auto rows = n1->leases(skewed);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].expires_at < skewed);      // lapsed
  CHECK((*rows)[1].expires_at > skewed + 5s); // about ttl ahead of the node's now
  CHECK((*rows)[1].expires_at <= skewed + 10s + 1s);
  CHECK((*rows)[1].owner == "n1");
}
