// The member table in PostgreSQL: a live node id is refused at start with one line and a dead
// one's taken over, a shard count, entity type or membership schema other than the cluster's is
// refused, and liveness is the database's clock's. Each "time passes" is the test moving a
// heartbeat back.
#include <doctest/doctest.h>

#include "dca/cluster/errors.hpp"
#include "dca/cluster/membership.hpp"
#include "postgres_test_support.hpp"

using namespace dca::cluster;
using namespace dca::es::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto live_max = 3000ms;

std::string empty_cluster_database() {
  auto db = empty_journal_database();
  exec_at(db, "SET client_min_messages = warning; DROP TABLE IF EXISTS dca_cluster, dca_members");
  return db;
}

std::unique_ptr<membership> open_members(const std::string& db) {
  auto m = membership::open(db);
  REQUIRE_MESSAGE(m, dca::es::render(m.error()));
  return std::move(*m);
}

void silence(const std::string& db, const std::string& node) {
  exec_at(db, "UPDATE dca_members SET heartbeat_at = now() - interval '10 seconds' WHERE node = '" +
                  node + "'");
}

} // namespace

TEST_CASE("a node id that is live is refused at join, and a dead member's id is taken over") {
  auto db = empty_cluster_database();
  auto first = open_members(db);
  auto second = open_members(db);
  auto inc = first->join({"n1", "127.0.0.1:7001", 16, "account"}, live_max);
  REQUIRE_MESSAGE(inc, dca::es::render(inc.error()));
  CHECK(*inc == 1);
  auto dup = second->join({"n1", "127.0.0.1:7002", 16, "account"}, live_max);
  REQUIRE_FALSE(dup);
  CHECK(is(dup.error(), errc::node_id_taken));
  auto line = dca::es::render(dup.error());
  CHECK(line.find("node id n1 is live at 127.0.0.1:7001") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
  auto rows = first->members(live_max);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].address == "127.0.0.1:7001"); // the refused join wrote nothing

  silence(db, "n1"); // n1 was killed: its heartbeats stopped
  auto again = second->join({"n1", "127.0.0.1:7002", 16, "account"}, live_max);
  REQUIRE_MESSAGE(again, dca::es::render(again.error()));
  CHECK(*again == 2);
  // The old process wakes up (SIGCONT): its heartbeat says it is no longer the member.
  auto lost = first->heartbeat("n1", 1);
  CHECK(is(lost, errc::membership_lost));
  CHECK_FALSE(second->heartbeat("n1", 2));
}

TEST_CASE("a node started with another shard count than the cluster's is refused") {
  auto db = empty_cluster_database();
  auto m = open_members(db);
  REQUIRE(m->join({"n1", "127.0.0.1:7001", 16, "account"}, live_max));
  auto wrong = m->join({"n2", "127.0.0.1:7002", 8, "account"}, live_max);
  REQUIRE_FALSE(wrong);
  CHECK(is(wrong.error(), errc::cluster_mismatch));
  CHECK(dca::es::render(wrong.error()) ==
        "cluster_mismatch: the cluster has 16 shards, this node was started with 8: start it "
        "with --shards 16");
  auto rows = m->members(live_max);
  REQUIRE(rows);
  CHECK(rows->size() == 1);
  auto shards = m->shards();
  REQUIRE(shards);
  CHECK(*shards == 16);
}

TEST_CASE("a node hosting another entity type than the cluster's is refused at join") {
  auto db = empty_cluster_database();
  auto m = open_members(db);
  REQUIRE(m->join({"n1", "127.0.0.1:7001", 16, "account"}, live_max));
  auto wrong = m->join({"n2", "127.0.0.1:7002", 16, "cart"}, live_max);
  REQUIRE_FALSE(wrong);
  CHECK(is(wrong.error(), errc::cluster_mismatch));
  CHECK(dca::es::render(wrong.error()) ==
        "cluster_mismatch: the cluster hosts entity type account, this node hosts cart: one "
        "entity type per cluster (start it on another database)");
  auto rows = m->members(live_max);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1); // nothing written
  CHECK((*rows)[0].entity_type == "account");
}

TEST_CASE("a version 1 cluster takes the entity type of the first node that joins it after") {
  auto db = empty_cluster_database();
  exec_at(db, "CREATE TABLE dca_cluster(id integer PRIMARY KEY CHECK (id = 1), "
              "schema_version integer NOT NULL, shards integer NOT NULL); "
              "CREATE TABLE dca_members(node text PRIMARY KEY, address text NOT NULL, "
              "incarnation bigint NOT NULL, heartbeat_at timestamptz NOT NULL, "
              "joined_at timestamptz NOT NULL); "
              "INSERT INTO dca_cluster VALUES (1, 1, 16); "
              "INSERT INTO dca_members VALUES ('old', '127.0.0.1:7000', 3, now(), now())");
  auto m = open_members(db);
  REQUIRE(m->join({"n1", "127.0.0.1:7001", 16, "account"}, live_max));
  auto rows = m->members(live_max);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].node == "n1");
  CHECK((*rows)[1].node == "old"); // kept, with no type stated
  CHECK((*rows)[1].incarnation == 3);
  CHECK((*rows)[1].entity_type == "");
  CHECK_FALSE(m->join({"n2", "127.0.0.1:7002", 16, "cart"}, live_max));
}

TEST_CASE("a cluster of another membership schema is refused at join") {
  auto db = empty_cluster_database();
  auto m = open_members(db);
  REQUIRE(m->join({"n1", "127.0.0.1:7001", 16, "account"}, live_max));
  exec_at(db, "UPDATE dca_cluster SET schema_version = 99");
  auto refused = m->join({"n2", "127.0.0.1:7002", 16, "account"}, live_max);
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::cluster_mismatch));
  CHECK(dca::es::render(refused.error()).find("version 99") != std::string::npos);
}

TEST_CASE("members are live or dead by their heartbeat's age on the database's clock") {
  auto db = empty_cluster_database();
  auto m = open_members(db);
  auto n1 = m->join({"n1", "127.0.0.1:7001", 4, "account"}, live_max);
  auto n2 = m->join({"n2", "127.0.0.1:7002", 4, "account"}, live_max);
  REQUIRE((n1 && n2));
  silence(db, "n2");
  auto rows = m->members(live_max);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].live);
  CHECK_FALSE((*rows)[1].live);
  CHECK((*rows)[1].heartbeat_age_ms >= 10000);
  REQUIRE_FALSE(m->heartbeat("n2", *n2));
  rows = m->members(live_max);
  REQUIRE(rows);
  CHECK((*rows)[1].live);
  REQUIRE_FALSE(m->leave("n1", *n1));
  rows = m->members(live_max);
  REQUIRE(rows);
  CHECK(rows->size() == 1);
}
