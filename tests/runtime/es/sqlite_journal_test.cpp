// The SQLite journal keeps the journal contract across a reopen, and refuses bad files with one
// line naming them: corrupt, newer schema, not a journal, locked, read-only. Refused files stay
// untouched.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "dca/es/errors.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "journal_contract.hpp"

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::check_contract;
using dca::es::testing::req;
using dca::es::testing::temp_dir;

TEST_CASE("the sqlite journal keeps the journal contract and survives a reopen") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  {
    auto j = sqlite_journal::open(path);
    REQUIRE_MESSAGE(j, render(j.error()));
    check_contract(**j);
    dca::es::testing::check_snapshot_contract(**j);
    (*j)->save_snapshot(entity_id{"thing", "a"}, snapshot_record{3, 4, {'x'}, "x"});
  }
  auto j = sqlite_journal::open(path);
  REQUIRE(j);
  CHECK((*j)->committed_position() == 5);
  auto stale = append_sync(**j, req("a", 2, {"again"}));
  REQUIRE(!stale);
  CHECK(is(stale.error(), errc::sequence_conflict));
  auto next = append_sync(**j, req("a", 3, {"a4"}));
  REQUIRE(next);
  CHECK(next->first_position == 6);
  auto snap = (*j)->load_snapshot(entity_id{"thing", "a"});
  REQUIRE(snap);
  REQUIRE(snap->has_value());
  CHECK((*snap)->seq == 3);
  CHECK((*snap)->text == "x");
}

TEST_CASE("the sqlite journal refuses a fenced append it cannot check and writes nothing") {
  temp_dir dir;
  auto j = sqlite_journal::open(dir.file("journal.db"));
  REQUIRE(j);
  auto r = req("a", 0, {"a1"});
  r.fence = shard_fence{3, 1, "node-1"};
  auto refused = append_sync(**j, std::move(r));
  REQUIRE(!refused);
  CHECK(is(refused.error(), errc::fence_unsupported));
  CHECK((*j)->committed_position() == 0);
}

// -- bad files ------------------------------------------------------------------------------------

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

/// A SQLite file at `path` made by `sql`: a database that is not (or not yet) a journal.
void make_sqlite_file(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
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
  make_sqlite_file(path, "CREATE TABLE events(x); PRAGMA user_version = 99;");
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
  make_sqlite_file(path, "CREATE TABLE customers(name TEXT)");
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
