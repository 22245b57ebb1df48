// `dca journal inspect|verify` on the PostgreSQL journal: a sound journal written through the
// real journal passes, and one broken in a known way (a lost event, a positions row ahead of the
// events, a payload whose text lies, an epoch going back along a stream, two owners at one epoch,
// an epoch no lease granted) fails with that first problem, through the command itself.
#include <doctest/doctest.h>

#include <sstream>

#include "dca/es/codec.hpp"
#include "dca/es/postgres_journal.hpp"
#include "dca/es/postgres_journal_check.hpp"
#include "dca/es/shard_leases.hpp"
#include "dca/examples/bank.hpp"
#include "journal_command_run.hpp"
#include "journal_contract.hpp"
#include "postgres_test_support.hpp"

using namespace dca::es;
using namespace dca::es::testing;
namespace bank = dca::examples::bank;

namespace {

/// `dca journal ARGS...`, run in this process.
command_result run(std::vector<std::string> args) {
  return run_journal_command(std::move(args));
}

/// The first row's first column of `sql` on `db`, as text.
std::string query_at(const std::string& db, const char* sql) {
  auto conn = dca::es::pg::connect(db);
  REQUIRE(conn);
  auto res = dca::es::pg::exec(conn->get(), sql, dca::es::pg::params{}, "a test's query");
  REQUIRE_MESSAGE(res, render(res.error()));
  return std::string{dca::es::pg::text(res->get(), 0, 0)};
}

/// Account "a" in shard 5, written by node-1 at epoch 1 (two events), then by node-2 at epoch 2
/// after node-1's lease ran out (one event): a takeover as the cluster does it.
std::string make_cluster_journal() {
  using namespace std::chrono_literals;
  auto db = empty_journal_database();
  auto leases = shard_leases::open(db);
  auto j = postgres_journal::open(db);
  REQUIRE((leases && j));
  auto put = [&](std::uint64_t expected, std::uint64_t epoch) {
    auto r = req("a", expected, {"a " + std::to_string(expected + 1)});
    r.fence = shard_fence{5, epoch, "node-" + std::to_string(epoch)};
    auto res = append_sync(**j, r);
    REQUIRE_MESSAGE(res, render(res.error()));
  };
  REQUIRE((*leases)->acquire(5, "node-1", 10s));
  put(0, 1);
  put(1, 1);
  exec_at(db, "UPDATE dca_shard_leases SET expires_at = now() - interval '1 second'");
  REQUIRE((*leases)->acquire(5, "node-2", 10s));
  put(2, 2);
  return db;
}

/// Two accounts and a thing of a type without a decoder, written through the real journal.
std::string make_journal() {
  auto db = empty_journal_database();
  auto j = postgres_journal::open(db);
  REQUIRE_MESSAGE(j, render(j.error()));
  auto put = [&](const std::string& key, std::uint64_t expected, bank::account::event e) {
    append_request r;
    r.entity = entity_id{"account", key};
    r.expected_seq = expected;
    r.events.push_back(*to_event_data(e));
    REQUIRE(append_sync(**j, r));
  };
  put("alice", 0, bank::account_opened{"Alice"});
  put("bob", 0, bank::account_opened{"Bob"});
  put("alice", 1, bank::deposited{500});
  REQUIRE(append_sync(**j, req("t", 0, {"t1"})));
  return db;
}

} // namespace

TEST_CASE("journal inspect on a PostgreSQL journal prints counts, heads and the last position") {
  auto db = make_journal();
  auto r = run({"inspect", db});
  CHECK(r.rc == 0);
  CHECK(r.out.find("events         4\n") != std::string::npos);
  CHECK(r.out.find("entities       3\n") != std::string::npos);
  CHECK(r.out.find("last position  4\n") != std::string::npos);
  CHECK(r.out.find("  thing/t  seq 1  position 4\n  account/alice  seq 2  position 3\n") !=
        std::string::npos);
}

TEST_CASE("journal verify accepts a sound PostgreSQL journal") {
  auto db = make_journal();
  auto r = run({"verify", db});
  CHECK(r.err == "");
  CHECK(r.rc == 0);
  CHECK(r.out == db + ": ok: 4 events (3 decoded, 1 of types without a decoder), 0 snapshots\n");
}

TEST_CASE("journal verify names a lost PostgreSQL event as the first gap") {
  auto db = make_journal();
  exec_at(db, "DELETE FROM dca_events WHERE position = 2");
  auto r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find("journal_corrupt: postgres ") != std::string::npos);
  CHECK(r.err.find(": global position gap: expected 2, found 3\n") != std::string::npos);
}

TEST_CASE("journal verify names a positions row ahead of the PostgreSQL journal's events") {
  auto db = make_journal();
  exec_at(db, "UPDATE dca_positions SET last = 7");
  auto r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find("the events end at position 4 but dca_positions says 7") != std::string::npos);
}

TEST_CASE("journal verify names a PostgreSQL event whose text is not what it decodes to") {
  auto db = make_journal();
  exec_at(db, "UPDATE dca_events SET text = 'deposited(5)' WHERE position = 3");
  auto r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find("position 3 (account/alice seq 2) decodes to deposited(500) but its text "
                   "says deposited(5)") != std::string::npos);
}

TEST_CASE("journal verify on a PostgreSQL database without a journal says so in one line") {
  auto db = empty_journal_database();
  auto r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find("no dca journal in this database") != std::string::npos);
  CHECK(r.err.find('\n') == r.err.size() - 1);
}

TEST_CASE("each PostgreSQL event records the shard, epoch and owner it was appended under") {
  auto db = make_cluster_journal();
  CHECK(query_at(db, "SELECT string_agg(shard || ':' || epoch || ':' || owner, ' ' ORDER BY "
                     "position) FROM dca_events") == "5:1:node-1 5:1:node-1 5:2:node-2");
  auto r = run({"verify", db});
  CHECK(r.err == "");
  CHECK(r.rc == 0);
  r = run({"inspect", db});
  CHECK(r.rc == 0);
  CHECK(r.out.find("  thing/a  seq 3  position 3  owner node-2 (shard 5 epoch 2)\n") !=
        std::string::npos);
}

TEST_CASE("journal verify names both nodes when two owners wrote at one epoch") {
  auto db = make_cluster_journal();
  // node-3 appends under node-2's (shard, epoch): what a lease table that handed one epoch to two
  // nodes lets through, since the journal's fence checks the epoch only.
  auto j = postgres_journal::open(db);
  REQUIRE(j);
  auto r = req("b", 0, {"b 1"});
  r.fence = shard_fence{5, 2, "node-3"};
  REQUIRE(append_sync(**j, r));
  auto v = run({"verify", db});
  CHECK(v.rc == 1);
  CHECK(v.err.find(": thing/b seq 1 (position 4) was written under shard 5 epoch 2 by node "
                   "node-3, but node node-2 wrote under the same (thing/a position 3): two "
                   "owners at one epoch\n") != std::string::npos);
  CHECK(v.err.find('\n') == v.err.size() - 1);
}

TEST_CASE(
    "journal verify names an epoch going back, two owners at one epoch, an epoch not granted") {
  auto db = make_cluster_journal();
  // Epochs 1 2 1 along the stream: node-1 wrote again after node-2 took over.
  exec_at(db, "UPDATE dca_events SET epoch = CASE position WHEN 2 THEN 2 ELSE 1 END");
  auto r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find(": thing/a seq 3 (position 3) was written under shard 5 epoch 1 after shard 5 "
                   "epoch 2: the epoch went back") != std::string::npos);
  exec_at(db, "UPDATE dca_events SET epoch = 1, shard = CASE position WHEN 2 THEN 6 ELSE 5 END");
  r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find(": thing/a seq 2 (position 2) was written under shard 6 epoch 1 after shard 5 "
                   "epoch 1: two owners at one epoch") != std::string::npos);
  exec_at(db, "UPDATE dca_events SET shard = 5, epoch = CASE position WHEN 3 THEN 9 ELSE 1 END");
  r = run({"verify", db});
  CHECK(r.rc == 1);
  CHECK(r.err.find(": position 3 was written under shard 5 epoch 9 but its lease's epoch is 2: "
                   "an epoch no owner was granted") != std::string::npos);
}

TEST_CASE("a version 1 PostgreSQL journal is verified unfenced and migrated by the next writer") {
  auto db = make_journal();
  exec_at(db, "ALTER TABLE dca_events DROP COLUMN shard, DROP COLUMN epoch, DROP COLUMN owner; "
              "UPDATE dca_journal_schema SET version = 1");
  auto r = run({"verify", db}); // a reader neither needs nor makes the new columns
  CHECK(r.err == "");
  CHECK(r.rc == 0);
  CHECK(query_at(db, "SELECT max(version) FROM dca_journal_schema") == "1");
  auto j = postgres_journal::open(db);
  REQUIRE_MESSAGE(j, render(j.error()));
  CHECK(query_at(db, "SELECT max(version) FROM dca_journal_schema") == "3");
  auto fenced = req("t", 1, {"t2"});
  fenced.fence = shard_fence{3, 1, "node-1"};
  exec_at(db, "INSERT INTO dca_shard_leases VALUES (3, 'node-1', 1, now() + interval '1 hour')");
  auto res = append_sync(**j, fenced);
  REQUIRE_MESSAGE(res, render(res.error()));
  CHECK(query_at(db, "SELECT string_agg(coalesce(shard || ':' || epoch, '-'), ' ' ORDER BY "
                     "position) FROM dca_events") == "- - - - 3:1");
  r = run({"verify", db});
  CHECK(r.err == "");
  CHECK(r.rc == 0);
}

TEST_CASE(
    "a version 2 PostgreSQL journal keeps its events and gains owners when a writer opens it") {
  auto db = make_cluster_journal();
  exec_at(db,
          "ALTER TABLE dca_events DROP COLUMN owner; UPDATE dca_journal_schema SET version = 2");
  auto r = run({"verify", db}); // a reader does not migrate
  CHECK(r.err == "");
  CHECK(r.rc == 0);
  r = run({"inspect", db});
  CHECK(r.out.find("  thing/a  seq 3  position 3  owner (not recorded) (shard 5 epoch 2)\n") !=
        std::string::npos);
  CHECK(query_at(db, "SELECT max(version) FROM dca_journal_schema") == "2");
  auto j = postgres_journal::open(db);
  REQUIRE_MESSAGE(j, render(j.error()));
  CHECK(query_at(db, "SELECT max(version) FROM dca_journal_schema") == "3");
  auto next = req("a", 3, {"a 4"});
  next.fence = shard_fence{5, 2, "node-2"};
  auto res = append_sync(**j, next);
  REQUIRE_MESSAGE(res, render(res.error()));
  CHECK(query_at(db, "SELECT string_agg(shard || ':' || epoch || ':' || coalesce(owner, '-'), ' ' "
                     "ORDER BY position) FROM dca_events") == "5:1:- 5:1:- 5:2:- 5:2:node-2");
  r = run({"verify", db}); // an owner not recorded is not a second owner
  CHECK(r.err == "");
  CHECK(r.rc == 0);
}
