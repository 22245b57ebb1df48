// Pipelined WAL sync: nothing is acked, counted as committed or projected before the fdatasync
// that covers its commit, one fdatasync covers every batch committed meanwhile, and a failed
// fdatasync stops the journal. And the old mode, the sync in COMMIT, keeps the journal contract.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "dca/es/errors.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "journal_contract.hpp"

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::check_contract;
using dca::es::testing::req;
using dca::es::testing::temp_dir;

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
  explicit gated_journal(bool pipelined, sqlite_journal_options opts = {}) {
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

namespace {

/// Options whose syncs gather the previous sync's answered appends however long that takes.
sqlite_journal_options gathering_without_bound() {
  sqlite_journal_options opts;
  opts.sync_wait_max = std::chrono::hours{1};
  return opts;
}

/// Spins (no sleep) until `key`'s first event is committed, synced or not.
void wait_until_committed(journal& j, const std::string& key) {
  std::vector<event_record> stream;
  while (stream.empty())
    REQUIRE(!j.read_stream(entity_id{"thing", key}, 1, 1, stream));
}

/// Makes the journal's last sync one that answered two appends (y and z): x's sync is held while
/// y and z are appended, so the sync after it covers both. With unsynced_batches_max = 1 the
/// writer cannot commit them before x is synced, and then commits them in one batch.
void last_sync_answers_two(gated_journal& t, bool writer_commits_meanwhile = true) {
  auto& j = *t.journal;
  REQUIRE(append_sync(j, req("w", 0, {"w1"})));
  t.gate.hold();
  pending_append x;
  pending_append y;
  pending_append z;
  j.append(req("x", 0, {"x1"}), x.callback());
  t.gate.wait_until_syncing();
  j.append(req("y", 0, {"y1"}), y.callback());
  j.append(req("z", 0, {"z1"}), z.callback());
  if (writer_commits_meanwhile)
    wait_until_committed(j, "z");
  t.gate.release();
  REQUIRE(x.wait());
  REQUIRE(y.wait());
  REQUIRE(z.wait());
}

} // namespace

TEST_CASE("a sync gathers as many committed appends as the previous sync answered") {
  gated_journal t{true, gathering_without_bound()};
  auto& j = *t.journal;
  last_sync_answers_two(t);
  auto syncs_before = j.syncs();
  pending_append a;
  pending_append b;
  j.append(req("a", 0, {"a1"}), a.callback());
  auto commits = j.commits();
  j.append(req("b", 0, {"b1"}), b.callback());
  wait_for_commits(j, commits + 1);
  REQUIRE(a.wait());
  REQUIRE(b.wait());
  CHECK(j.syncs() == syncs_before + 1); // one sync for a and b: a's waited for b's commit
}

TEST_CASE("a gathering sync starts at once when the writer waits for the unsynced batches") {
  auto opts = gathering_without_bound();
  opts.unsynced_batches_max = 1;
  gated_journal t{true, opts};
  auto& j = *t.journal;
  last_sync_answers_two(t, false);
  // One append where two were answered, but the writer can commit nothing more until it is
  // synced: the sync does not wait for the hour.
  REQUIRE(append_sync(j, req("a", 0, {"a1"})));
}

TEST_CASE("closing the journal ends a gathering sync, which acks what it has") {
  gated_journal t{true, gathering_without_bound()};
  auto& j = *t.journal;
  last_sync_answers_two(t);
  pending_append a;
  j.append(req("a", 0, {"a1"}), a.callback());
  j.close();
  auto acked = a.wait();
  REQUIRE(acked);
  CHECK(j.committed_position() == acked->last_position);
}

TEST_CASE("the writer checkpoints the WAL between batches, so the WAL starts over") {
  sqlite_journal_options opts;
  opts.checkpoint_pages = 20;
  gated_journal t{true, opts};
  auto& j = *t.journal;
  // Each append commits a batch of its own: a few pages each (the event, the stream's index
  // page, the streams table for a new stream). 300 of them write far more than 20 pages.
  for (int i = 0; i < 300; ++i)
    REQUIRE(append_sync(j, req("s" + std::to_string(i % 50), static_cast<std::uint64_t>(i / 50),
                               {"e" + std::to_string(i)})));
  struct stat wal {};
  REQUIRE(::stat((t.path + "-wal").c_str(), &wal) == 0);
  // At most the threshold plus one batch's frames (a 4 KiB page and a 24-byte header each),
  // where 300 batches without checkpoints would leave about 1,000 frames.
  CHECK(wal.st_size <= 32 + 30 * (4096 + 24));
  CHECK(rows_in_sqlite(t.path) == 300);
  CHECK(read_all_count(j) == 300);
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
