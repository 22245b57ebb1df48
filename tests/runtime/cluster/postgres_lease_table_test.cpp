// The nodes' lease table on the PostgreSQL journal's dca_shard_leases, driven step by step (the
// test moves the database's expiry instead of waiting for it): a node keeps its epoch while it
// renews, a takeover fences the old owner's appends, and rows come back on the node's clock; and
// what the journal keeps when a lease table is broken: `dca journal verify` names both owners; and
// a node whose lease passes run on the table's own thread (also run under TSan).
#include <doctest/doctest.h>

#include <optional>
#include <thread>

#include "counter_entity.hpp"
#include "dca/cluster/node.hpp"
#include "dca/cluster/node_core.hpp"
#include "dca/cluster/postgres_lease_table.hpp"
#include "dca/es/postgres_journal.hpp"
#include "dca/es/postgres_journal_check.hpp"
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

/// A lease table with the bug fencing cannot catch: it grants a shard to whoever asks, at one
/// epoch it never bumps (and writes that into the journal's lease row, so the journal's fence
/// passes), so two nodes both own the shard at epoch 1.
class one_epoch_lease_table : public lease_table {
public:
  explicit one_epoch_lease_table(std::string db) : db_(std::move(db)) {}

  caf::expected<shard_lease> acquire(std::uint32_t shard_id, const std::string& node,
                                     lease_clock::time_point now,
                                     std::chrono::milliseconds ttl) override {
    exec_at(db_, "INSERT INTO dca_shard_leases VALUES (" + std::to_string(shard_id) + ", '" + node +
                     "', 1, now() + interval '1 hour') ON CONFLICT (shard) DO UPDATE "
                     "SET owner = EXCLUDED.owner");
    return shard_lease{shard_id, node, 1, now + ttl};
  }
  caf::error release(std::uint32_t, const std::string&, std::uint64_t) override {
    return caf::none;
  }
  caf::expected<std::vector<shard_lease>> leases(lease_clock::time_point) override {
    return std::vector<shard_lease>{};
  }

private:
  std::string db_;
};

/// A node's ownership logic (node_core) without its actor: one rebalance over `leases`, and the
/// journals its shard hosts would append through (fenced by what the pass granted).
struct node_without_actor {
  node_core core;
  std::vector<dca::es::journal_ptr> host_journals;

  node_without_actor(std::string name, std::shared_ptr<lease_table> leases,
                     dca::es::journal_ptr journal) {
    core.opts.name = std::move(name);
    core.opts.shards = 1;
    core.leases = std::move(leases);
    core.journal = std::move(journal);
    core.spawn_host = [this](dca::es::journal_ptr fenced) {
      host_journals.push_back(std::move(fenced));
      return caf::actor{}; // no entity host: the test appends through its journal
    };
    auto pass = core.plan_pass(lease_clock::clock_type::now());
    core.leases->run_pass(*pass);
    core.apply_pass(*pass);
    REQUIRE(host_journals.size() == 1);
  }
};

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
  auto write = [&](std::uint64_t expected, const shard_lease& lease) {
    auto r = req("acct", expected, {"e" + std::to_string(expected + 1)});
    r.fence = dca::es::shard_fence{shard, lease.epoch, lease.owner};
    return append_sync(**journal, r);
  };
  REQUIRE(write(0, *first));
  expire_all(db); // n1 was cut off for its whole ttl
  auto taken = n2->acquire(shard, "n2", now, 2s);
  REQUIRE_MESSAGE(taken, dca::es::render(taken.error()));
  CHECK(taken->epoch == first->epoch + 1);
  auto stale = write(1, *first);
  REQUIRE_FALSE(stale);
  CHECK(dca::es::is(stale.error(), dca::es::errc::stale_epoch));
  // n1 comes back: its renewal finds the shard lost, and the new owner's lease runs.
  auto back = n1->acquire(shard, "n1", now, 2s);
  REQUIRE_FALSE(back);
  CHECK(dca::es::is(back.error(), dca::es::errc::lease_held));
  CHECK(write(1, *taken));
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

TEST_CASE("two nodes a broken lease table gave one epoch both append, and verify names them") {
  auto db = empty_journal_database();
  auto journal = dca::es::postgres_journal::open(db);
  REQUIRE(journal);
  auto broken = std::make_shared<one_epoch_lease_table>(db);
  node_without_actor n1{"n1", broken, *journal};
  node_without_actor n2{"n2", broken, *journal};
  REQUIRE(append_sync(*n1.host_journals[0], req("acct", 0, {"e1"})));
  REQUIRE(append_sync(*n2.host_journals[0], req("acct", 1, {"e2"}))); // the fence lets it by
  dca::es::decoder_registry decoders;
  auto verified = dca::es::verify_postgres_journal(db, decoders);
  REQUIRE_FALSE(verified);
  CHECK(dca::es::render(verified.error())
            .find(": thing/acct seq 2 (position 2) was written under shard 0 epoch 1 by node n2, "
                  "but node n1 wrote under the same (thing/acct position 1): two owners at one "
                  "epoch") != std::string::npos);
}

TEST_CASE("a node takes its shards on the PostgreSQL lease table's thread and serves a command") {
  auto db = empty_journal_database();
  auto journal = dca::es::postgres_journal::open(db);
  REQUIRE(journal);
  auto table = open_table(db); // outlives the actor system: its thread runs the node's passes
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  node_options opts;
  opts.name = "n1";
  opts.shards = 4;
  opts.rebalance_interval = 50ms;
  auto node = spawn_node<counter>(sys, opts, table, *journal);
  caf::scoped_actor self{sys};
  std::optional<dca::es::ack> acked;
  std::string refused;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !acked && std::chrono::steady_clock::now() < deadline;) {
    self->request(node, 2s, dca::es::command_atom::value, std::string{"acct"},
                  counter::command{add{1}}, std::string{})
        .receive([&](const dca::es::ack& a) { acked = a; },
                 [&](caf::error& e) { refused = dca::es::render(e); });
    if (!acked) // shard_unowned until the first pass's answer reaches the node
      std::this_thread::sleep_for(20ms);
  }
  REQUIRE_MESSAGE(acked, refused);
  CHECK(acked->seq == 1);
  self->send_exit(node, caf::exit_reason::user_shutdown);
  dca::es::decoder_registry decoders;
  auto verified = dca::es::verify_postgres_journal(db, decoders);
  CHECK_MESSAGE(verified, dca::es::render(verified.error()));
}
