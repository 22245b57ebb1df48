// The PostgreSQL journal: the same journal, snapshot, replay and entity contracts as the memory
// and SQLite journals; two processes' journals on one database; the sequence-gap trap, forced in
// its bad order on two connections (and shown to bite a BIGSERIAL log); and bad servers and
// databases refused with one line. Each test process gets a fresh database (a ctest fixture
// starts scripts/services).
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "dca/es/postgres_journal.hpp"
#include "entity_contract.hpp"
#include "journal_contract.hpp"
#include "postgres_batch.hpp"
#include "postgres_schema.hpp"
#include "postgres_test_support.hpp"
#include "replay_contract.hpp"

using namespace dca::es;
using namespace dca::es::testing;

namespace {

std::shared_ptr<postgres_journal> open_journal(const std::string& conninfo) {
  auto j = postgres_journal::open(conninfo);
  REQUIRE_MESSAGE(j, render(j.error()));
  return *j;
}

/// Waits (bounded) until `j` has seen position `pos` committed, by any process.
void wait_for_position(postgres_journal& j, std::uint64_t pos) {
  auto seen = std::make_shared<std::promise<void>>();
  auto once = std::make_shared<std::once_flag>();
  auto id = j.subscribe([=](std::uint64_t p) {
    if (p >= pos)
      std::call_once(*once, [&] { seen->set_value(); });
  });
  if (j.committed_position() < pos)
    CHECK(seen->get_future().wait_for(std::chrono::seconds{30}) == std::future_status::ready);
  j.unsubscribe(id);
  CHECK(j.committed_position() >= pos);
}

std::vector<std::uint64_t> positions(journal& j) {
  std::vector<event_record> out;
  REQUIRE(!j.read_all(0, 1000, out));
  std::vector<std::uint64_t> result;
  for (auto& ev : out)
    result.push_back(ev.position);
  return result;
}

} // namespace

TEST_CASE("the postgres journal keeps the journal contract and survives a reopen") {
  auto db = empty_journal_database();
  {
    auto j = open_journal(db);
    check_contract(*j);
    check_snapshot_contract(*j);
  }
  auto j = open_journal(db);
  CHECK(j->committed_position() == 5);
  auto stale = append_sync(*j, req("a", 2, {"again"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  auto next = append_sync(*j, req("a", 3, {"a4"}));
  REQUIRE(next);
  CHECK(next->first_position == 6);
  auto snap = j->load_snapshot(entity_id{"thing", "a"});
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->text == "at 3");
}

TEST_CASE("the postgres journal keeps the replay contract") {
  auto j = open_journal(empty_journal_database());
  check_replay(*j);
}

TEST_CASE("entities recover, deduplicate and are projected on the postgres journal") {
  auto j = open_journal(empty_journal_database());
  temp_dir dir;
  check_entity_contract(j, dir.file("read_model.db"));
}

TEST_CASE("two processes' journals on one database share gap-free positions and fence each other") {
  auto db = empty_journal_database();
  auto node1 = open_journal(db);
  auto node2 = open_journal(db);
  REQUIRE(append_sync(*node1, req("x", 0, {"x1"})));
  REQUIRE(append_sync(*node2, req("y", 0, {"y1"})));
  // node2 has never seen x: a stale expected sequence is refused by the database's head.
  auto stale = append_sync(*node2, req("x", 0, {"x1 again"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  auto x2 = append_sync(*node2, req("x", 1, {"x2"}));
  REQUIRE_MESSAGE(x2, render(x2.error()));
  CHECK(x2->first_seq == 2);
  CHECK(x2->first_position == 3);
  // node1 cached x at seq 1; node2 moved it on: node1's cache must not let it write seq 2 again.
  auto cached = append_sync(*node1, req("x", 1, {"x2 from node1"}));
  REQUIRE(!cached);
  CHECK(is(cached.error(), errc::sequence_conflict));
  wait_for_position(*node1, 3); // node2's commits reach node1's listeners
  CHECK(positions(*node1) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("a writer holding the positions lock makes a later writer wait, so no reader skips") {
  auto db = empty_journal_database();
  auto reader = open_journal(db); // creates the schema
  auto conn_a = pg::connect(db);
  auto conn_b = pg::connect(db);
  REQUIRE(conn_a);
  REQUIRE(conn_b);
  pg_stream_ids ids_a;
  pg_stream_ids ids_b;
  std::vector<journal_job> jobs_a;
  jobs_a.push_back(journal_job{false, req("a", 0, {"from A"}), nullptr, {}});
  std::vector<journal_job> jobs_b;
  jobs_b.push_back(journal_job{false, req("b", 0, {"from B"}), nullptr, {}});
  // A: begins and writes its event, not yet committed.
  postgres_batch a{conn_a->get(), ids_a};
  REQUIRE(!a.begin());
  REQUIRE(!a.write(jobs_a));
  REQUIRE(a.results()[0]);
  CHECK(a.results()[0]->first_position == 1);
  // B, on another connection (another node): its whole batch, which must wait for A.
  auto b_done = std::async(std::launch::async, [&] {
    postgres_batch b{conn_b->get(), ids_b};
    if (auto err = b.begin())
      return err;
    if (auto err = b.write(jobs_b))
      return err;
    REQUIRE(b.results()[0]);
    CHECK(b.results()[0]->first_position == 2); // after A's, though B asked while A was open
    return b.commit();
  });
  wait_for_lock_waiters(db, 1); // B is blocked on the positions lock
  CHECK(b_done.wait_for(std::chrono::seconds{0}) == std::future_status::timeout);
  CHECK(positions(*reader).empty()); // nothing committed: nothing to read, nothing to skip
  REQUIRE(!a.commit());
  auto b_failure = b_done.get();
  REQUIRE_MESSAGE(!b_failure, render(b_failure));
  CHECK(positions(*reader) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("a bigserial log lets a reader skip an event that commits after a later one") {
  // The trap the positions lock avoids, in the same bad order: A takes 1, B takes 2 and commits
  // first, a reader follows to 2, and A's 1 commits behind it.
  auto db = empty_journal_database();
  exec_at(db, "DROP TABLE IF EXISTS naive_log; CREATE TABLE naive_log(position bigserial PRIMARY "
              "KEY, what text)");
  auto a = pg::connect(db);
  auto b = pg::connect(db);
  auto r = pg::connect(db);
  REQUIRE((a && b && r));
  REQUIRE(!pg::exec(a->get(), "BEGIN; INSERT INTO naive_log(what) VALUES ('A')", "A"));
  REQUIRE(!pg::exec(b->get(), "BEGIN; INSERT INTO naive_log(what) VALUES ('B'); COMMIT", "B"));
  auto seen = pg::exec(r->get(), "SELECT max(position) FROM naive_log", {}, "reader");
  REQUIRE(seen);
  CHECK(pg::int64(seen->get(), 0, 0) == 2); // the reader's checkpoint moves to 2
  REQUIRE(!pg::exec(a->get(), "COMMIT", "A commits"));
  auto after = pg::exec(r->get(), "SELECT count(*) FROM naive_log WHERE position > 2", {}, "r");
  REQUIRE(after);
  CHECK(pg::int64(after->get(), 0, 0) == 0); // A's event at 1 is never read: skipped for good
}

TEST_CASE("a postgres journal on a server that does not answer is refused with one line") {
  auto j =
      postgres_journal::open("host=/nonexistent/dca port=5432 user=postgres connect_timeout=2");
  REQUIRE(!j);
  CHECK(is(j.error(), errc::journal_io));
  auto line = render(j.error());
  CHECK(line.find("cannot connect") != std::string::npos);
  CHECK(line.find("scripts/services start") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("a postgres database with a newer journal schema or foreign dca tables is refused") {
  auto db = empty_journal_database();
  open_journal(db)->close();
  exec_at(db, "UPDATE dca_journal_schema SET version = 99");
  auto newer = postgres_journal::open(db);
  REQUIRE(!newer);
  CHECK(is(newer.error(), errc::journal_newer_schema));
  CHECK(render(newer.error()).find("schema version 99") != std::string::npos);
  db = empty_journal_database();
  exec_at(db, "CREATE TABLE dca_events(x integer)");
  auto foreign = postgres_journal::open(db);
  REQUIRE(!foreign);
  CHECK(is(foreign.error(), errc::journal_not_dca));
  exec_at(db, "SELECT count(*) FROM dca_events"); // left as it was
}

TEST_CASE("a writer stopped inside its COPY stalls the others once: its session is ended") {
  // A process stopped (SIGSTOP) after starting its batch's COPY and before sending the data: the
  // server waits for that data without any timeout, holding the positions lock. Here the same
  // state is made on a connection that starts the COPY and sends nothing.
  auto db = empty_journal_database();
  auto j = open_journal(db);
  auto stalled = pg::connect(db);
  REQUIRE(stalled);
  pg_stream_ids ids;
  postgres_batch batch{stalled->get(), ids};
  REQUIRE(!batch.begin());
  pg::result_ptr copy{PQexec(stalled->get(), pg_schema::copy_events_sql)};
  REQUIRE(PQresultStatus(copy.get()) == PGRES_COPY_IN);
  // The first batch waits statement_ms for the lock and fails; the writer then ends the session
  // that has waited longer than idle_in_transaction_ms for its COPY's data.
  auto first = append_sync(*j, req("a", 0, {"a1"}));
  REQUIRE(!first);
  CHECK(is(first.error(), errc::journal_io));
  auto second = append_sync(*j, req("a", 0, {"a1"}));
  REQUIRE_MESSAGE(second, render(second.error()));
  CHECK(second->first_position == 1);
  // The stopped writer resumes: its COPY, empty as it is, fails, because its session is gone.
  PQputCopyEnd(stalled->get(), nullptr);
  pg::result_ptr resumed{PQgetResult(stalled->get())};
  CHECK(PQresultStatus(resumed.get()) != PGRES_COMMAND_OK);
}
