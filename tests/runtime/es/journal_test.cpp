// The journal contract, run against both journals, and the SQLite journal's handling of bad
// files: corrupt, newer schema, not a journal, locked, read-only. Refused files stay untouched.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
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

// -- one group commit ---------------------------------------------------------------------------

TEST_CASE("one group commit holds appends of any size and fences a conflict in its middle alone") {
  temp_dir dir;
  auto j = sqlite_journal::open(dir.file("journal.db"));
  REQUIRE(j);
  // The writer answers from its own thread: an answer that waits holds the writer there, so
  // everything appended meanwhile is queued and goes into the next transaction together.
  std::mutex mtx;
  std::condition_variable cv;
  bool holding = false;
  bool released = false;
  std::vector<caf::expected<append_result>> results;
  auto record = [&](std::size_t i) {
    return [&, i](caf::expected<append_result> r) {
      std::lock_guard<std::mutex> guard{mtx};
      results[i] = std::move(r);
      cv.notify_all();
    };
  };
  auto texts = [](const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i)
      out.push_back(prefix + std::to_string(i));
    return out;
  };
  REQUIRE(append_sync(**j, req("x", 0, {"x1", "x2"})));
  (*j)->append(req("hold", 0, {"h1"}), [&](caf::expected<append_result>) {
    std::unique_lock<std::mutex> guard{mtx};
    holding = true;
    cv.notify_all();
    cv.wait(guard, [&] { return released; });
  });
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return holding; }); // the writer is now inside that answer
  }
  std::vector<append_request> batch;
  batch.push_back(req("one", 0, {"o1"}));                 // 1 event
  batch.push_back(req("odd", 0, texts("d", 3), "k-odd")); // 3 events, idempotency key
  batch.push_back(req("x", 1, {"stale"}));                // conflict: x is at 2
  batch.push_back(req("big", 0, texts("b", 77)));         // many events
  batch.push_back(req("x", 2, {"x3"}));                   // x, after the conflict
  batch.push_back(req("odd", 3, texts("e", 5)));          // the same stream twice
  batch.push_back(req("new", 5, {"n"}));                  // conflict on a new stream
  results.assign(batch.size(), caf::error{});
  for (std::size_t i = 0; i < batch.size(); ++i)
    (*j)->append(std::move(batch[i]), record(i));
  auto commits_before = (*j)->commits();
  {
    std::lock_guard<std::mutex> guard{mtx};
    released = true;
  }
  cv.notify_all();
  std::unique_lock<std::mutex> guard{mtx};
  cv.wait(guard, [&] {
    return std::all_of(results.begin(), results.end(), [](auto& r) { return r || r.error(); });
  });
  CHECK((*j)->commits() == commits_before + 1); // one transaction for the whole batch
  // Positions continue after x (2) and hold (1), in queue order, skipping the conflicts.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seqs;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> positions;
  for (auto& r : results)
    if (r) {
      seqs.emplace_back(r->first_seq, r->last_seq);
      positions.emplace_back(r->first_position, r->last_position);
    }
  using span = std::pair<std::uint64_t, std::uint64_t>;
  CHECK(seqs == std::vector<span>{{1, 1}, {1, 3}, {1, 77}, {3, 3}, {4, 8}});
  CHECK(positions == std::vector<span>{{4, 4}, {5, 7}, {8, 84}, {85, 85}, {86, 90}});
  REQUIRE(!results[2]);
  CHECK(render(results[2].error()) ==
        "sequence_conflict: thing/x: expected sequence 1, stream is at 2");
  REQUIRE(!results[6]);
  CHECK(render(results[6].error()) ==
        "sequence_conflict: thing/new: expected sequence 5, stream is at 0");
  // What was written is exactly that: gap-free positions, nothing of the conflicting appends.
  std::vector<event_record> out;
  REQUIRE(!(*j)->read_all(0, 1000, out));
  REQUIRE(out.size() == 90);
  for (std::size_t i = 0; i < out.size(); ++i)
    CHECK(out[i].position == i + 1);
  CHECK(out[3].text == "o1");
  CHECK(out[6].text == "d3");
  CHECK(out[6].idempotency_key == "k-odd");
  CHECK(out[5].idempotency_key.empty());
  CHECK(out[83].text == "b77");
  CHECK(out[84].entity == entity_id{"thing", "x"});
  CHECK(out[84].seq == 3);
  CHECK(out[89].text == "e5");
  std::vector<event_record> none;
  REQUIRE(!(*j)->read_stream(entity_id{"thing", "new"}, 1, 10, none));
  CHECK(none.empty());
}
