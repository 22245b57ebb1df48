// The journal contract, run against both journals, and the SQLite journal's handling of bad
// files: corrupt, newer schema, not a journal, locked, read-only. Refused files stay untouched.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "dca/es/errors.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "es_test_support.hpp"

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::temp_dir;

namespace {

event_data ev(const std::string& text) {
  return event_data{"test", std::vector<char>(text.begin(), text.end()), text};
}

append_request req(const std::string& key, std::uint64_t expected, std::vector<std::string> texts,
                   std::string idem = {}) {
  append_request r;
  r.entity = entity_id{"thing", key};
  r.expected_seq = expected;
  for (auto& t : texts)
    r.events.push_back(ev(t));
  r.idempotency_key = std::move(idem);
  return r;
}

void check_contract(journal& j) {
  auto a = append_sync(j, req("a", 0, {"a1", "a2"}, "k1"));
  REQUIRE(a);
  CHECK(a->first_seq == 1);
  CHECK(a->last_seq == 2);
  CHECK(a->first_position == 1);
  CHECK(a->last_position == 2);
  auto b = append_sync(j, req("b", 0, {"b1"}));
  REQUIRE(b);
  CHECK(b->first_position == 3);
  // Fencing: a writer that believes "a" ends at 1 is refused and writes nothing.
  auto stale = append_sync(j, req("a", 1, {"bad"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  CHECK(j.committed_position() == 3);
  auto a3 = append_sync(j, req("a", 2, {"a3"}));
  REQUIRE(a3);
  CHECK(a3->first_seq == 3);
  CHECK(a3->first_position == 4);
  std::vector<event_record> out;
  REQUIRE(!j.read_stream(entity_id{"thing", "a"}, 2, 10, out));
  REQUIRE(out.size() == 2);
  CHECK(out[0].text == "a2");
  CHECK(out[0].idempotency_key == "k1");
  CHECK(out[1].seq == 3);
  CHECK(out[1].position == 4);
  REQUIRE(!j.read_stream(entity_id{"thing", "a"}, 1, 1, out));
  CHECK(out.size() == 1); // batches are bounded
  REQUIRE(!j.read_stream(entity_id{"thing", "none"}, 1, 10, out));
  CHECK(out.empty());
  REQUIRE(!j.read_all(1, 10, out));
  REQUIRE(out.size() == 3);
  CHECK(out[0].position == 2);
  CHECK(out[1].entity == entity_id{"thing", "b"});
  CHECK(out[2].position == 4);
  auto none = j.load_snapshot(entity_id{"thing", "a"});
  REQUIRE(none);
  CHECK(!none->has_value());
}

} // namespace

TEST_CASE("the memory journal keeps the journal contract") {
  memory_journal j;
  check_contract(j);
}

TEST_CASE("the sqlite journal keeps the journal contract and survives a reopen") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  {
    auto j = sqlite_journal::open(path);
    REQUIRE_MESSAGE(j, render(j.error()));
    check_contract(**j);
    (*j)->save_snapshot(entity_id{"thing", "a"}, snapshot_record{3, 4, {'x'}, "x"});
  }
  auto j = sqlite_journal::open(path);
  REQUIRE(j);
  CHECK((*j)->committed_position() == 4);
  auto stale = append_sync(**j, req("a", 2, {"again"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  auto next = append_sync(**j, req("a", 3, {"a4"}));
  REQUIRE(next);
  CHECK(next->first_position == 5);
  auto snap = (*j)->load_snapshot(entity_id{"thing", "a"});
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->seq == 3);
  CHECK((*snap)->text == "x");
}

TEST_CASE("concurrent appends are group committed with gap-free positions") {
  temp_dir dir;
  auto j = sqlite_journal::open(dir.file("journal.db"));
  REQUIRE(j);
  constexpr int threads = 4;
  constexpr int per_thread = 200;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        if (!append_sync(**j, req("s" + std::to_string(t), static_cast<std::uint64_t>(i),
                                  {"e" + std::to_string(i)})))
          ++failures;
    });
  for (auto& w : workers)
    w.join();
  CHECK(failures == 0);
  CHECK((*j)->committed_position() == threads * per_thread);
  MESSAGE("commits for " << threads * per_thread << " appends: " << (*j)->commits());
  CHECK((*j)->commits() <= threads * per_thread);
  std::vector<event_record> out;
  REQUIRE(!(*j)->read_all(0, 10'000, out));
  REQUIRE(out.size() == threads * per_thread);
  for (std::size_t i = 0; i < out.size(); ++i)
    REQUIRE(out[i].position == i + 1);
}

// -- bad files ----------------------------------------------------------------------------------

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary};
  out << bytes;
}

} // namespace

TEST_CASE("a corrupt journal file is refused with one line naming it, and left untouched") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  std::mt19937 rng{42}; // seed printed for reproduction
  MESSAGE("seed 42");
  std::string garbage(8192, '\0');
  for (auto& c : garbage)
    c = static_cast<char>(rng());
  spit(path, garbage);
  auto j = sqlite_journal::open(path);
  REQUIRE(!j);
  CHECK(is(j.error(), errc::journal_corrupt));
  auto line = render(j.error());
  CHECK(line.find(path) != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(slurp(path) == garbage);
}

TEST_CASE("a journal from a newer schema is refused") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE events(x); PRAGMA user_version = 99;", nullptr, nullptr,
                 nullptr);
    sqlite3_close(db);
  }
  auto before = slurp(path);
  auto j = sqlite_journal::open(path);
  REQUIRE(!j);
  CHECK(is(j.error(), errc::journal_newer_schema));
  CHECK(render(j.error()).find("schema version 99") != std::string::npos);
  CHECK(slurp(path) == before);
}

TEST_CASE("a sqlite database that is not a journal is refused") {
  temp_dir dir;
  auto path = dir.file("other.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE customers(name TEXT)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto j = sqlite_journal::open(path);
  REQUIRE(!j);
  CHECK(is(j.error(), errc::journal_not_dca));
}

TEST_CASE("a journal already open for writing is refused as locked") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  auto first = sqlite_journal::open(path);
  REQUIRE(first);
  auto second = sqlite_journal::open(path);
  REQUIRE(!second);
  CHECK(is(second.error(), errc::journal_locked));
  CHECK(render(second.error()) ==
        "journal_locked: " + path + ": locked by another process (a dca runtime has it open)");
}

TEST_CASE("a journal on a read-only path is refused") {
  if (::geteuid() == 0) {
    MESSAGE("running as root: permissions are not enforced, checking the read-only flag only");
  }
  temp_dir dir;
  auto path = dir.file("journal.db");
  { REQUIRE(sqlite_journal::open(path)); }
  auto before = slurp(path);
  REQUIRE(::chmod(path.c_str(), 0444) == 0);
  auto j = sqlite_journal::open(path);
  if (::geteuid() != 0) {
    REQUIRE(!j);
    CHECK(is(j.error(), errc::journal_read_only));
    CHECK(slurp(path) == before);
  }
  REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
  auto fresh = sqlite_journal::open(dir.file("new.db"));
  if (::geteuid() != 0) {
    REQUIRE(!fresh);
    CHECK(is(fresh.error(), errc::journal_read_only));
  }
}
