// Shard leases and the PostgreSQL journal's fence: an epoch per tenure, a lease held by another
// node refused with its holder, and a node cut off with an old epoch unable to write once another
// took the shard, including when the takeover races its batch (the check and the write are one
// transaction: forced in that order on two connections, no sleeps).
#include <doctest/doctest.h>

#include <future>

#include "dca/es/postgres_journal.hpp"
#include "dca/es/shard_leases.hpp"
#include "journal_contract.hpp"
#include "postgres_batch.hpp"
#include "postgres_test_support.hpp"

using namespace dca::es;
using namespace dca::es::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t shard = 5;

std::unique_ptr<shard_leases> open_leases(const std::string& db) {
  auto l = shard_leases::open(db);
  REQUIRE_MESSAGE(l, render(l.error()));
  return std::move(*l);
}

/// The lease of `shard` runs out, as if its owner had been cut off for its whole ttl: the test
/// moves the database's record instead of waiting for the clock.
void expire(const std::string& db) {
  exec_at(db,
          "UPDATE dca_shard_leases SET expires_at = now() - interval '1 second' WHERE shard = " +
              std::to_string(shard));
}

/// An append fenced by `epoch`; in these tests node-N holds (or last held) epoch N.
append_request fenced(const std::string& key, std::uint64_t expected, std::uint64_t epoch) {
  auto r = req(key, expected, {key + " " + std::to_string(expected + 1)});
  r.fence = shard_fence{shard, epoch, "node-" + std::to_string(epoch)};
  return r;
}

} // namespace

TEST_CASE("a shard lease gets a new epoch on every acquire and is refused while another holds it") {
  auto db = empty_journal_database();
  auto leases = open_leases(db);
  auto first = leases->acquire(shard, "node-1", 10s);
  REQUIRE_MESSAGE(first, render(first.error()));
  CHECK(first->epoch == 1);
  CHECK(first->owner == "node-1");
  auto held = leases->acquire(shard, "node-2", 10s);
  REQUIRE(!held);
  CHECK(is(held.error(), errc::lease_held));
  CHECK(render(held.error()).find("held by node-1 at epoch 1") != std::string::npos);
  auto renewed = leases->renew(shard, "node-1", 1, 20s);
  REQUIRE(renewed);
  CHECK(renewed->epoch == 1);
  CHECK(renewed->expires_at_ms > first->expires_at_ms);
  REQUIRE(!leases->release(shard, "node-1", 1));
  auto second = leases->acquire(shard, "node-2", 10s); // released: no wait for the expiry
  REQUIRE(second);
  CHECK(second->epoch == 2);
  auto stale_release = leases->release(shard, "node-1", 1);
  CHECK(is(stale_release, errc::stale_epoch));
  auto all = leases->list();
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  CHECK(all->front() == *second);
}

TEST_CASE("a node cut off with an old epoch cannot write after another node took the lease") {
  auto db = empty_journal_database();
  auto leases = open_leases(db);
  auto node1 = postgres_journal::open(db);
  auto node2 = postgres_journal::open(db);
  REQUIRE((node1 && node2));
  auto unleased = append_sync(**node1, fenced("acct", 0, 1));
  REQUIRE(!unleased);
  CHECK(is(unleased.error(), errc::stale_epoch));
  auto tenure1 = leases->acquire(shard, "node-1", 10s);
  REQUIRE(tenure1);
  REQUIRE(append_sync(**node1, fenced("acct", 0, tenure1->epoch)));
  // node-1 is cut off: its lease runs out and node-2 takes the shard, recovering from the journal.
  expire(db);
  auto tenure2 = leases->acquire(shard, "node-2", 10s);
  REQUIRE_MESSAGE(tenure2, render(tenure2.error()));
  CHECK(tenure2->epoch == 2);
  // node-1 still believes it owns the shard, and its expected sequence is even right.
  auto stale = append_sync(**node1, fenced("acct", 1, tenure1->epoch));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::stale_epoch));
  CHECK(render(stale.error()) == "stale_epoch: thing/acct: append fenced by shard 5 epoch 1, but "
                                 "the shard is at epoch 2 (another node owns it)");
  CHECK(is(leases->renew(shard, "node-1", tenure1->epoch, 10s).error(), errc::stale_epoch));
  auto owner = append_sync(**node2, fenced("acct", 1, tenure2->epoch));
  REQUIRE_MESSAGE(owner, render(owner.error()));
  std::vector<event_record> events;
  REQUIRE(!(*node2)->read_stream(entity_id{"thing", "acct"}, 1, 10, events));
  REQUIRE(events.size() == 2); // node-1's first event and node-2's: nothing from the stale epoch
  CHECK(events[1].text == "acct 2");
  CHECK((*node2)->committed_position() == 2);
}

TEST_CASE("a takeover that races a batch waits for it: the fence is checked where it is written") {
  auto db = empty_journal_database();
  auto leases = open_leases(db);
  auto takeover = open_leases(db);
  auto tenure1 = leases->acquire(shard, "node-1", 10s);
  REQUIRE(tenure1);
  expire(db);
  // node-1's batch reads epoch 1 and writes its event, not yet committed.
  auto conn = pg::connect(db);
  REQUIRE(conn);
  pg_stream_ids ids;
  std::vector<journal_job> jobs;
  jobs.push_back(journal_job{false, fenced("acct", 0, tenure1->epoch), nullptr, {}});
  postgres_batch batch{conn->get(), ids};
  REQUIRE(!batch.begin());
  REQUIRE(!batch.write(jobs));
  REQUIRE_MESSAGE(batch.results()[0], render(batch.results()[0].error()));
  // node-2 takes the expired lease meanwhile: it must wait until node-1's batch is decided.
  auto taken =
      std::async(std::launch::async, [&] { return takeover->acquire(shard, "node-2", 10s); });
  wait_for_lock_waiters(db, 1);
  CHECK(taken.wait_for(0s) == std::future_status::timeout);
  REQUIRE(!batch.commit()); // written at epoch 1 while epoch 1 was current
  auto tenure2 = taken.get();
  REQUIRE_MESSAGE(tenure2, render(tenure2.error()));
  CHECK(tenure2->epoch == 2);
  // node-1's next batch, at epoch 1, is refused.
  postgres_batch next{conn->get(), ids};
  jobs.clear();
  jobs.push_back(journal_job{false, fenced("acct", 1, tenure1->epoch), nullptr, {}});
  REQUIRE(!next.begin());
  REQUIRE(!next.write(jobs));
  REQUIRE(!next.results()[0]);
  CHECK(is(next.results()[0].error(), errc::stale_epoch));
  REQUIRE(!next.commit());
}

TEST_CASE("one statement renews a node's tenures still its own and reads every lease") {
  auto db = empty_journal_database();
  auto leases = open_leases(db);
  REQUIRE(leases->acquire(1, "node-1", 10s));
  REQUIRE(leases->acquire(2, "node-1", 10s));
  REQUIRE(leases->acquire(3, "node-2", 10s));
  auto none = leases->renew_all("node-1", {}, 10s);
  REQUIRE_MESSAGE(none, render(none.error()));
  CHECK(none->renewed.empty());
  CHECK(none->rows.size() == 3);
  // Shard 2 at a stale epoch and shard 3 (node-2's) are not node-1's to renew.
  auto r = leases->renew_all("node-1", {{1, 1}, {2, 7}, {3, 1}}, 60s);
  REQUIRE_MESSAGE(r, render(r.error()));
  CHECK(r->renewed == std::vector<std::uint32_t>{1});
  REQUIRE(r->rows.size() == 3);
  CHECK(r->rows[0].expires_at_ms - r->clock_ms > 50'000); // renewed for 60 s
  CHECK(r->rows[1].expires_at_ms - r->clock_ms < 11'000); // as acquired
  CHECK(r->rows[2].owner == "node-2");
}
