// `dca journal inspect|verify`, called directly: output, usage errors (exit 2) and precise
// verify failures (exit 1) on journals broken in known ways.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <sstream>

#include "dca/es/codec.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"
#include "journal_command_run.hpp"

using namespace dca::es;
using dca::es::testing::command_result;
using dca::es::testing::run_journal_command;
using dca::es::testing::temp_dir;
namespace bank = dca::examples::bank;

namespace {

/// `dca journal ARGS...`, run in this process.
command_result run(std::vector<std::string> args) {
  return run_journal_command(std::move(args));
}

/// A journal with two accounts, written through the real journal.
std::string make_journal(const temp_dir& dir) {
  auto path = dir.file("journal.db");
  auto j = sqlite_journal::open(path);
  REQUIRE(j);
  auto put = [&](const std::string& key, std::uint64_t expected, bank::account::event ev) {
    append_request req;
    req.entity = entity_id{"account", key};
    req.expected_seq = expected;
    req.events.push_back(*to_event_data(ev));
    std::mutex mtx;
    std::condition_variable cv;
    bool done = false;
    (*j)->append(std::move(req), [&](caf::expected<append_result> r) {
      REQUIRE(r);
      std::lock_guard<std::mutex> guard{mtx};
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return done; });
  };
  put("alice", 0, bank::account_opened{"Alice"});
  put("bob", 0, bank::account_opened{"Bob"});
  put("alice", 1, bank::deposited{500});
  return path;
}

void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  std::string text = msg == nullptr ? "" : msg;
  INFO(text);
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

} // namespace

TEST_CASE("journal inspect prints counts, heads and the last position") {
  temp_dir dir;
  auto path = make_journal(dir);
  auto r = run({"inspect", path});
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("events         3\n") != std::string::npos);
  CHECK(r.out.find("entities       2\n") != std::string::npos);
  CHECK(r.out.find("last position  3\n") != std::string::npos);
  CHECK(r.out.find("  account/alice  seq 2  position 3\n") != std::string::npos);
}

TEST_CASE("journal verify accepts a sound journal") {
  temp_dir dir;
  auto path = make_journal(dir);
  auto r = run({"verify", path});
  CHECK(r.rc == 0);
  CHECK(r.out == path + ": ok: 3 events (3 decoded, 0 of types without a decoder), 0 snapshots\n");
}

TEST_CASE("journal verify names the first sequence gap") {
  temp_dir dir;
  auto path = make_journal(dir);
  exec(path, "UPDATE events SET seq = 3 WHERE position = 3");
  auto r = run({"verify", path});
  CHECK(r.rc == 1);
  CHECK(r.err == "dca journal verify: journal_corrupt: " + path +
                     ": account/alice: sequence gap at position 3: expected seq 2, found 3\n");
}

TEST_CASE("journal verify names the first global position gap") {
  temp_dir dir;
  auto path = make_journal(dir);
  exec(path, "DELETE FROM events WHERE position = 2");
  auto r = run({"verify", path});
  CHECK(r.rc == 1);
  CHECK(r.err == "dca journal verify: journal_corrupt: " + path +
                     ": global position gap: expected 2, found 3\n");
}

TEST_CASE("journal verify names an event that does not decode") {
  temp_dir dir;
  auto path = make_journal(dir);
  exec(path, "UPDATE events SET payload = x'07' WHERE position = 2");
  auto r = run({"verify", path});
  CHECK(r.rc == 1);
  CHECK(r.err.find(path + ": position 2 (account/bob seq 1) does not decode: decode_failed") !=
        std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("journal verify reports a missing or foreign file in one line") {
  temp_dir dir;
  auto missing = run({"verify", dir.file("nope.db")});
  CHECK(missing.rc == 1);
  CHECK(missing.err ==
        "dca journal verify: journal_io: " + dir.file("nope.db") + ": no such file\n");
  auto other = dir.file("other.db");
  exec(other, "CREATE TABLE t(x)");
  auto foreign = run({"inspect", other});
  CHECK(foreign.rc == 1);
  CHECK(foreign.err.find("not a dca journal") != std::string::npos);
}

TEST_CASE("journal usage errors exit 2 with one line") {
  auto unknown = run({"frobnicate", "x.db"});
  CHECK(unknown.rc == 2);
  CHECK(unknown.err ==
        "dca journal: unknown subcommand 'frobnicate' (expected inspect or verify)\n");
  auto flag = run({"inspect", "x.db", "--bogus"});
  CHECK(flag.rc == 2);
  CHECK(std::count(flag.err.begin(), flag.err.end(), '\n') == 1);
  auto value = run({"inspect", "x.db", "--heads", "many"});
  CHECK(value.rc == 2);
  auto missing = run({"verify"});
  CHECK(missing.rc == 2);
  CHECK(missing.err == "dca journal verify: missing PATH (see dca journal --help)\n");
  auto none = run({});
  CHECK(none.rc == 2);
  auto help = run({"--help"});
  CHECK(help.rc == 0);
  CHECK(help.out.find("usage: dca journal inspect PATH") == 0);
}
