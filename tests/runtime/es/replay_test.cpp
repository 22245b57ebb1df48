// Replay's zero-copy read (`journal::replay_stream`) against the copying `read_stream`, on every
// journal (replay_contract.hpp; the PostgreSQL journal runs it in postgres_journal_test.cpp), and
// recovery through it: the same image as a copying replay, bounded batches, and the
// paired seq check and decode errors still stopping it with their messages.
#include <doctest/doctest.h>

#include <caf/deep_to_string.hpp>

#include "dca/es/codec.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/recovery.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"
#include "replay_contract.hpp"

using namespace dca::es;
using namespace dca::es::testing;
using dca::examples::bank::account;

TEST_CASE("replay_stream visits what read_stream returns and recovery gets the same image") {
  SUBCASE("memory journal") {
    memory_journal j;
    check_replay(j);
  }
  SUBCASE("sqlite journal") {
    temp_dir dir;
    auto j = sqlite_journal::open(dir.file("journal.db"));
    REQUIRE_MESSAGE(j, render(j.error()));
    check_replay(**j);
  }
  SUBCASE("the test wrapper") {
    held_journal j;
    memory_journal& inner = j.inner;
    fill(inner);
    check_views_match_records(j, alice, 1, 5);
    auto reference = copying_replay(inner, alice, 1000);
    entity_image<account> img;
    REQUIRE(!recover(j, alice, entity_options{}, img));
    CHECK(show(img) == show(reference));
  }
}

TEST_CASE("the journal's default replay_stream, through read_stream, visits the same events") {
  memory_journal j;
  fill(j);
  for (std::size_t max : {1, 4, 1000}) {
    std::vector<std::uint64_t> fast;
    std::vector<std::uint64_t> slow;
    auto a = j.replay_stream(alice, 2, max, [&](const event_view& v) -> caf::error {
      fast.push_back(v.seq * 1000 + v.position);
      return caf::none;
    });
    auto b = j.journal::replay_stream(alice, 2, max, [&](const event_view& v) -> caf::error {
      slow.push_back(v.seq * 1000 + v.position);
      return caf::none;
    });
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(fast == slow);
  }
}

namespace {

/// A journal with `fill`'s events, closed, changed behind its back with `sql`, and reopened.
std::shared_ptr<sqlite_journal> tampered(const temp_dir& dir, const char* sql) {
  auto path = dir.file("journal.db");
  {
    auto j = sqlite_journal::open(path);
    REQUIRE(j);
    fill(**j);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  std::string what = msg != nullptr ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, what);
  auto j = sqlite_journal::open(path);
  REQUIRE(j);
  return *j;
}

} // namespace

TEST_CASE("recovery stops at a gap in the stream, naming the seq it expected and the one found") {
  temp_dir dir;
  auto j = tampered(dir, "DELETE FROM events WHERE stream = 1 AND seq = 5");
  for (std::size_t batch : {1, 4, 1000}) {
    entity_options opts;
    opts.replay_batch_max = batch;
    entity_image<account> img;
    auto err = recover(*j, alice, opts, img);
    REQUIRE(err);
    CHECK(is(err, errc::journal_corrupt));
    CHECK(render(err) == "journal_corrupt: account/alice: expected seq 5, found 6");
    CHECK(img.seq == 4);
  }
}

TEST_CASE("recovery stops at an event that does not decode, naming its seq") {
  temp_dir dir;
  auto j = tampered(dir, "UPDATE events SET payload = X'01' WHERE stream = 1 AND seq = 3");
  entity_options opts;
  opts.replay_batch_max = 2;
  entity_image<account> img;
  auto err = recover(*j, alice, opts, img);
  REQUIRE(err);
  CHECK(is(err, errc::decode_failed));
  CHECK(render(err) == "decode_failed: account/alice seq 3: decode_failed: end_of_stream");
  CHECK(img.seq == 2);
}
