// `dca journal inspect|verify` on the PostgreSQL journal: a sound journal written through the
// real journal passes, and one broken in a known way (a lost event, a positions row ahead of the
// events, a payload whose text lies) fails with that first problem, through the command itself.
#include <doctest/doctest.h>

#include <sstream>

#include "dca/es/codec.hpp"
#include "dca/es/postgres_journal.hpp"
#include "dca/es/postgres_journal_check.hpp"
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
