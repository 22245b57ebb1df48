// Replay's zero-copy read (`journal::replay_stream`) against the copying `read_stream`, on every
// journal, and recovery through it: the same image as a copying replay, bounded batches, and the
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

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::held_journal;
using dca::es::testing::temp_dir;
using dca::examples::bank::account;
using dca::examples::bank::account_opened;
using dca::examples::bank::deposited;
using dca::examples::bank::withdrawn;

namespace {

const entity_id alice{"account", "alice"};
const entity_id bob{"account", "bob"};

/// One command's events for `id`, ending at `expected` + events.size().
void append_events(journal& j, const entity_id& id, std::uint64_t expected,
                   std::vector<account::event> events, std::string idempotency_key = {}) {
  append_request req;
  req.entity = id;
  req.expected_seq = expected;
  for (auto& ev : events)
    req.events.push_back(*to_event_data(ev));
  req.idempotency_key = std::move(idempotency_key);
  REQUIRE(append_sync(j, std::move(req)));
}

/// Alice: opened, then 10 commands of deposits/withdrawals (some with two events, some with
/// idempotency keys), interleaved with Bob's so positions and seqs differ.
void fill(journal& j) {
  append_events(j, alice, 0, {account_opened{"Alice"}}, "open-a");
  append_events(j, bob, 0, {account_opened{"Bob"}});
  std::uint64_t seq = 1;
  for (int i = 1; i <= 10; ++i) {
    std::vector<account::event> evs{deposited{100 * i}};
    if (i % 3 == 0)
      evs.push_back(withdrawn{7});
    auto key = i % 2 == 0 ? "cmd-" + std::to_string(i) : std::string{};
    append_events(j, alice, seq, evs, key);
    seq += evs.size();
    append_events(j, bob, static_cast<std::uint64_t>(i), {deposited{1}});
  }
}

/// What recovery did before replay_stream: copy each batch with read_stream, then decode.
entity_image<account> copying_replay(journal& j, const entity_id& id, std::size_t batch_max) {
  entity_image<account> img;
  std::vector<event_record> batch;
  for (;;) {
    REQUIRE(!j.read_stream(id, img.seq + 1, batch_max, batch));
    for (auto& rec : batch) {
      REQUIRE(rec.seq == img.seq + 1);
      account::event ev;
      REQUIRE(!decode(rec.payload, ev));
      img.value = account::apply(std::move(img.value), ev);
      img.seq = rec.seq;
      img.position = rec.position;
      if (!rec.idempotency_key.empty())
        img.keys.insert({rec.idempotency_key, rec.seq, rec.position}, 1000);
    }
    if (batch.size() < batch_max)
      return img;
  }
}

std::string show(const entity_image<account>& img) {
  return caf::deep_to_string(img.value) + " seq " + std::to_string(img.seq) + " position " +
         std::to_string(img.position) + " keys " + caf::deep_to_string(img.keys.entries());
}

/// Every event replay_stream visits from `from_seq`, copied, next to read_stream's.
void check_views_match_records(journal& j, const entity_id& id, std::uint64_t from_seq,
                               std::size_t max) {
  std::vector<event_record> expected;
  REQUIRE(!j.read_stream(id, from_seq, max, expected));
  std::vector<event_record> seen;
  auto visited = j.replay_stream(id, from_seq, max, [&](const event_view& v) -> caf::error {
    event_record rec;
    rec.position = v.position;
    rec.seq = v.seq;
    rec.payload.assign(v.payload.data, v.payload.data + v.payload.size);
    rec.idempotency_key = std::string{v.idempotency_key};
    seen.push_back(std::move(rec));
    return caf::none;
  });
  REQUIRE(visited);
  CHECK(*visited == expected.size());
  REQUIRE(seen.size() == expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].position == expected[i].position);
    CHECK(seen[i].seq == expected[i].seq);
    CHECK(seen[i].payload == expected[i].payload);
    CHECK(seen[i].idempotency_key == expected[i].idempotency_key);
  }
}

void check_replay(journal& j) {
  fill(j);
  for (std::size_t max : {1, 3, 5, 1000})
    for (std::uint64_t from : {0, 1, 2, 7, 14, 15, 100})
      check_views_match_records(j, alice, from, max);
  check_views_match_records(j, entity_id{"account", "nobody"}, 1, 10);
  // A visitor's error stops the read at once and comes back as is.
  int calls = 0;
  auto stopped = j.replay_stream(alice, 1, 10, [&](const event_view&) -> caf::error {
    ++calls;
    return calls == 2 ? make_error(errc::timeout, "stop here") : caf::none;
  });
  REQUIRE(!stopped);
  CHECK(render(stopped.error()) == "timeout: stop here");
  CHECK(calls == 2);
  // Recovery in bounded batches (including sizes that split a command's events) gives the image
  // a copying replay gives.
  auto reference = copying_replay(j, alice, 1000);
  CHECK(reference.value.balance_cents == 5500 - 3 * 7);
  for (std::size_t batch : {1, 2, 3, 14, 15, 1000}) {
    entity_options opts;
    opts.replay_batch_max = batch;
    entity_image<account> img;
    REQUIRE(!recover(j, alice, opts, img));
    CHECK(show(img) == show(reference));
  }
}

} // namespace

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
