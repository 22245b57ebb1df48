// The journal contract, run against the memory journal (the SQLite journal runs it in
// sqlite_journal_test.cpp and, with the sync in COMMIT, in wal_sync_test.cpp; the PostgreSQL
// journal in postgres_journal_test.cpp), and the entity contract against memory and SQLite.
#include <doctest/doctest.h>

#include "dca/es/memory_journal.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "entity_contract.hpp"
#include "journal_contract.hpp"

using namespace dca::es;
using dca::es::testing::check_contract;

TEST_CASE("the memory journal keeps the journal contract") {
  memory_journal j;
  check_contract(j);
}

TEST_CASE("the memory journal refuses a fenced append whose epoch is not the shard's current one") {
  memory_journal j;
  auto fenced = [](std::uint64_t expected, std::uint64_t epoch) {
    auto r = dca::es::testing::req("a", expected, {"x"});
    r.fence = shard_fence{7, epoch, "node-1"};
    return r;
  };
  auto never_leased = dca::es::testing::append_sync(j, fenced(0, 1));
  REQUIRE(!never_leased);
  CHECK(is(never_leased.error(), errc::stale_epoch));
  j.set_shard_epoch(7, 1);
  REQUIRE(dca::es::testing::append_sync(j, fenced(0, 1)));
  j.set_shard_epoch(7, 2); // another node took the lease
  auto stale = dca::es::testing::append_sync(j, fenced(1, 1));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::stale_epoch));
  CHECK(render(stale.error()) == "stale_epoch: thing/a: append fenced by shard 7 epoch 1, but the "
                                 "shard is at epoch 2 (another node owns it)");
  CHECK(j.committed_position() == 1);
  CHECK(dca::es::testing::append_sync(j, fenced(1, 2)));
}

TEST_CASE("the memory journal keeps the snapshot contract") {
  memory_journal j;
  check_contract(j);
  dca::es::testing::check_snapshot_contract(j);
}

TEST_CASE("entities recover, deduplicate and are projected on the memory journal") {
  dca::es::testing::temp_dir dir;
  dca::es::testing::check_entity_contract(std::make_shared<memory_journal>(),
                                          dir.file("read_model.db"));
}

TEST_CASE("entities recover, deduplicate and are projected on the sqlite journal") {
  dca::es::testing::temp_dir dir;
  auto j = sqlite_journal::open(dir.file("journal.db"));
  REQUIRE_MESSAGE(j, render(j.error()));
  dca::es::testing::check_entity_contract(*j, dir.file("read_model.db"));
}
