// The journal contract, run against both journals, and the SQLite journal's handling of bad
// files: corrupt, newer schema, not a journal, locked, read-only. Refused files stay untouched.
// Then pipelined sync: nothing is acked, counted as committed or projected before the fdatasync
// that covers its commit, and a failed fdatasync stops the journal.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
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
  sqlite_journal_options opts;
  // An answer that waits holds the writer, so everything appended meanwhile is queued and goes
  // into the next transaction together: in the old mode the writer answers from its own thread;
  // in pipelined mode the sync thread answers, and with one unsynced batch allowed the writer
  // waits for that answer before it starts the next batch.
  SUBCASE("sync in COMMIT") {
    opts.pipelined_sync = false;
  }
  SUBCASE("pipelined sync") {
    opts.unsynced_batches_max = 1;
  }
  auto j = sqlite_journal::open(dir.file("journal.db"), opts);
  REQUIRE(j);
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

// -- pipelined sync -----------------------------------------------------------------------------

namespace {

/// The sync hook the tests control: a pass-through fdatasync until `hold`; then each sync waits
/// in the hook until `release`, which also says what it returns (0 or an errno value).
class sync_gate {
public:
  std::function<int(int)> hook() {
    return [this](int fd) {
      std::unique_lock<std::mutex> guard{mtx_};
      ++calls_;
      fd_ = fd;
      if (holding_) {
        ++waiting_;
        cv_.notify_all();
        cv_.wait(guard, [this] { return !holding_; });
        --waiting_;
        if (result_ != 0)
          return result_;
      }
      guard.unlock();
      return ::fdatasync(fd) == 0 ? 0 : errno;
    };
  }
  void hold() {
    std::lock_guard<std::mutex> guard{mtx_};
    holding_ = true;
  }
  /// Returns once a sync is waiting in the hook: its batch is committed, not yet synced.
  void wait_until_syncing() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return waiting_ > 0; });
  }
  void release(int result = 0) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      holding_ = false;
      result_ = result;
    }
    cv_.notify_all();
  }
  int calls() {
    std::lock_guard<std::mutex> guard{mtx_};
    return calls_;
  }
  int fd() {
    std::lock_guard<std::mutex> guard{mtx_};
    return fd_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool holding_ = false;
  int waiting_ = 0;
  int result_ = 0;
  int calls_ = 0;
  int fd_ = -1;
};

/// An append's answer, delivered on the journal's thread and awaited on the test's.
class pending_append {
public:
  append_callback callback() {
    return [this](caf::expected<append_result> r) {
      std::lock_guard<std::mutex> guard{mtx_};
      result_ = std::move(r);
      cv_.notify_all();
    };
  }
  bool answered() {
    std::lock_guard<std::mutex> guard{mtx_};
    return result_.has_value();
  }
  caf::expected<append_result> wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return result_.has_value(); });
    return *result_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<caf::expected<append_result>> result_;
};

/// Events SQLite has committed, durable or not, as another connection sees them.
std::int64_t rows_in_sqlite(const std::string& path) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sql::db_ptr db{raw};
  sql::statement st;
  REQUIRE(!sql::statement::prepare(raw, "SELECT count(*) FROM events", st, path));
  REQUIRE(st.step() == SQLITE_ROW);
  return st.int64(0);
}

std::size_t read_all_count(journal& j) {
  std::vector<event_record> out;
  REQUIRE(!j.read_all(0, 1000, out));
  return out.size();
}

/// Spins (no sleep) until the writer has committed `n` batches: it hands a batch to the sync
/// thread before it counts it.
void wait_for_commits(sqlite_journal& j, std::uint64_t n) {
  while (j.commits() < n)
    std::this_thread::yield();
}

/// A journal in a fresh directory whose WAL syncs go through `gate`.
struct gated_journal {
  explicit gated_journal(bool pipelined) {
    sqlite_journal_options opts;
    opts.pipelined_sync = pipelined;
    opts.sync_wal = gate.hook();
    auto opened = sqlite_journal::open(path, opts);
    REQUIRE_MESSAGE(opened, render(opened.error()));
    journal = *opened;
  }
  temp_dir dir;
  std::string path = dir.file("journal.db");
  sync_gate gate;
  std::shared_ptr<sqlite_journal> journal; // closed first
};

} // namespace

TEST_CASE("pipelined sync acks, counts and projects an append only after its fdatasync") {
  gated_journal t{true};
  auto& j = *t.journal;
  auto& gate = t.gate;
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::uint64_t> heard;
  j.subscribe([&](std::uint64_t position) {
    std::lock_guard<std::mutex> guard{mtx};
    heard.push_back(position);
    cv.notify_all();
  });
  REQUIRE(append_sync(j, req("a", 0, {"a1"})));
  CHECK(j.committed_position() == 1);
  // The hook syncs the WAL file itself.
  struct stat synced {};
  struct stat wal {};
  REQUIRE(::fstat(gate.fd(), &synced) == 0);
  REQUIRE(::stat((t.path + "-wal").c_str(), &wal) == 0);
  CHECK(synced.st_ino == wal.st_ino);
  gate.hold();
  pending_append b;
  j.append(req("b", 0, {"b1", "b2"}), b.callback());
  gate.wait_until_syncing();
  // Committed in SQLite, and readable by recovery, but not acked, counted, projected or heard.
  CHECK(rows_in_sqlite(t.path) == 3);
  std::vector<event_record> stream;
  REQUIRE(!j.read_stream(entity_id{"thing", "b"}, 1, 10, stream));
  CHECK(stream.size() == 2);
  CHECK(!b.answered());
  CHECK(j.committed_position() == 1);
  CHECK(read_all_count(j) == 1);
  {
    std::lock_guard<std::mutex> guard{mtx};
    CHECK(heard == std::vector<std::uint64_t>{1});
  }
  gate.release();
  auto acked = b.wait();
  REQUIRE(acked);
  CHECK(acked->last_position == 3);
  CHECK(j.committed_position() == 3);
  CHECK(read_all_count(j) == 3);
  std::unique_lock<std::mutex> guard{mtx};
  cv.wait(guard, [&] { return heard.size() == 2; });
  CHECK(heard.back() == 3);
}

TEST_CASE("one fdatasync covers every batch committed while the previous one was syncing") {
  gated_journal t{true};
  auto& j = *t.journal;
  auto& gate = t.gate;
  gate.hold();
  pending_append x;
  pending_append y;
  pending_append z;
  j.append(req("x", 0, {"x1"}), x.callback());
  gate.wait_until_syncing();
  auto syncs_before = j.syncs();
  // The writer does not wait for the sync: it commits y and z meanwhile, in batches of their own.
  j.append(req("y", 0, {"y1"}), y.callback());
  wait_for_commits(j, 2);
  j.append(req("z", 0, {"z1"}), z.callback());
  wait_for_commits(j, 3);
  CHECK(!y.answered());
  CHECK(!z.answered());
  CHECK(j.committed_position() == 0);
  gate.release();
  REQUIRE(x.wait());
  REQUIRE(y.wait());
  auto last = z.wait();
  REQUIRE(last);
  CHECK(last->last_position == 3);
  CHECK(j.syncs() == syncs_before + 2); // x's, then one for y and z
  CHECK(j.committed_position() == 3);
}

TEST_CASE("a failed fdatasync fails the appends it covers and every later one, naming the WAL") {
  gated_journal t{true};
  auto& j = *t.journal;
  auto& gate = t.gate;
  REQUIRE(append_sync(j, req("a", 0, {"a1"})));
  gate.hold();
  pending_append b;
  j.append(req("b", 0, {"b1"}), b.callback());
  gate.wait_until_syncing();
  gate.release(EIO);
  auto failed = b.wait();
  REQUIRE(!failed);
  CHECK(is(failed.error(), errc::journal_io));
  auto line = render(failed.error());
  CHECK(line == "journal_io: " + t.path + "-wal: fdatasync failed: " + std::strerror(EIO) +
                    " (the journal accepts no more appends)");
  auto calls = gate.calls();
  // Later appends fail the same way, without another fdatasync (it could succeed falsely).
  auto later = append_sync(j, req("a", 1, {"a2"}));
  REQUIRE(!later);
  CHECK(render(later.error()) == line);
  CHECK(gate.calls() == calls);
  // Nothing past the last synced commit is reported or projected; streams are not read.
  CHECK(j.committed_position() == 1);
  CHECK(read_all_count(j) == 1);
  std::vector<event_record> stream;
  auto err = j.read_stream(entity_id{"thing", "a"}, 1, 10, stream);
  CHECK(render(err) == line);
}

TEST_CASE("the sqlite journal with the sync in COMMIT keeps the journal contract") {
  gated_journal t{false};
  auto& j = *t.journal;
  auto& gate = t.gate;
  check_contract(j);
  CHECK(gate.calls() == 1); // once at open; then SQLite syncs inside COMMIT
  CHECK(j.syncs() == 0);
}
