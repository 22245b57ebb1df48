// Projections under CAF's deterministic scheduler: the balances read model follows the journal
// with its checkpoint in the same transaction, answers read-your-writes waits, times them out,
// and resumes from its checkpoint after a restart without applying an event twice.
#include "asking_fixture.hpp"

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/projection.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using dca::es::testing::temp_dir;

namespace {

struct fixture : asking_fixture {
  temp_dir dir;
  std::shared_ptr<memory_journal> journal = std::make_shared<memory_journal>();
  caf::actor accounts;
  std::string read_model = dir.file("read_model.db");

  fixture() {
    entity_options opts;
    opts.idle_timeout = std::chrono::milliseconds{0};
    accounts = spawn_entity_host<account>(sys, journal, opts);
  }

  ~fixture() override { anon_send_exit(accounts, caf::exit_reason::user_shutdown); }

  caf::actor projection() {
    projection_options opts;
    opts.read_model_path = read_model;
    opts.batch_events_max = 2; // several transactions per catch-up
    auto p = spawn_projection(sys, journal, std::make_shared<balances_projection>(), opts);
    REQUIRE_MESSAGE(p, render(p.error()));
    return *p;
  }

  ack command(const std::string& key, account::command c) {
    auto a = ask<ack>(accounts, command_atom::value, key, std::move(c), std::string{});
    REQUIRE(a);
    return *a;
  }

  std::optional<std::int64_t> balance(const std::string& key) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(read_model.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sql::db_ptr db{raw};
    auto b = read_balance(raw, key);
    REQUIRE(b);
    return *b;
  }

  std::uint64_t stored_checkpoint() {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(read_model.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sql::db_ptr db{raw};
    auto cp = read_checkpoint(raw, "balances");
    REQUIRE(cp);
    return *cp;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "the balances read model follows the journal with its checkpoint") {
  auto proj = projection();
  command("alice", open_account{"Alice"});
  command("bob", open_account{"Bob"});
  command("alice", deposit{700});
  auto last = command("alice", withdraw{200});
  auto cp = ask<std::uint64_t>(proj, wait_atom::value, last.position, std::uint32_t{1000});
  REQUIRE(cp);
  CHECK(*cp >= last.position);
  CHECK(balance("alice") == 500);
  CHECK(balance("bob") == 0);
  CHECK(!balance("carol"));
  CHECK(stored_checkpoint() == 4);
  anon_send_exit(proj, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a read-your-writes wait is answered once the position is projected") {
  auto proj = projection();
  consume_messages();
  std::optional<caf::expected<std::uint64_t>> answer;
  auto client = sys.spawn([&](caf::event_based_actor* c) {
    c->request(proj, caf::infinite, wait_atom::value, std::uint64_t{2}, std::uint32_t{5000})
        .then([&](std::uint64_t x) { answer = x; }, [&](caf::error& e) { answer = e; });
  });
  consume_messages();
  CHECK(!answer); // nothing written yet: the query waits
  command("alice", open_account{"Alice"});
  CHECK(!answer);
  command("alice", deposit{5});
  REQUIRE(answer);
  REQUIRE(*answer);
  CHECK(**answer == 2);
  CHECK(balance("alice") == 5);
  anon_send_exit(proj, caf::exit_reason::user_shutdown);
  anon_send_exit(client, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a read-your-writes wait past its timeout fails with a clear error") {
  auto proj = projection();
  command("alice", open_account{"Alice"});
  std::optional<caf::expected<std::uint64_t>> answer;
  auto client = sys.spawn([&](caf::event_based_actor* c) {
    c->request(proj, caf::infinite, wait_atom::value, std::uint64_t{9}, std::uint32_t{50})
        .then([&](std::uint64_t x) { answer = x; }, [&](caf::error& e) { answer = e; });
  });
  consume_messages();
  CHECK(!answer);
  CHECK(trigger_timeout());
  consume_messages();
  REQUIRE(answer);
  REQUIRE(!*answer);
  CHECK(is(answer->error(), dca::es::errc::timeout));
  CHECK(render(answer->error()) ==
        "timeout: projection balances reached position 1, not 9, within 50 ms");
  anon_send_exit(proj, caf::exit_reason::user_shutdown);
  anon_send_exit(client, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a restarted projection resumes from its checkpoint without repeats") {
  auto proj = projection();
  command("alice", open_account{"Alice"});
  command("alice", deposit{100});
  REQUIRE(ask<std::uint64_t>(proj, wait_atom::value, std::uint64_t{2}, std::uint32_t{1000}));
  anon_send_exit(proj, caf::exit_reason::user_shutdown);
  consume_messages();
  command("alice", deposit{10}); // written while no projection runs
  command("alice", deposit{1});
  CHECK(stored_checkpoint() == 2);
  auto again = projection();
  auto cp = ask<std::uint64_t>(again, wait_atom::value, std::uint64_t{4}, std::uint32_t{1000});
  REQUIRE(cp);
  CHECK(*cp == 4);
  CHECK(balance("alice") == 111);
  anon_send_exit(again, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a read model ahead of its journal is refused") {
  {
    auto proj = projection();
    command("alice", open_account{"Alice"});
    REQUIRE(ask<std::uint64_t>(proj, wait_atom::value, std::uint64_t{1}, std::uint32_t{1000}));
    anon_send_exit(proj, caf::exit_reason::user_shutdown);
    consume_messages();
  }
  projection_options opts;
  opts.read_model_path = read_model;
  auto other = std::make_shared<memory_journal>();
  auto p = spawn_projection(sys, other, std::make_shared<balances_projection>(), opts);
  REQUIRE(!p);
  CHECK(is(p.error(), dca::es::errc::journal_corrupt));
}
