// The SQLite journal's writer: concurrent appends are group committed with gap-free positions, and
// one group commit holds appends of any size and fences a conflict in its middle alone, with the
// sync in COMMIT and pipelined.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dca/es/errors.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "journal_contract.hpp"

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::req;
using dca::es::testing::temp_dir;

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

// -- one group commit -----------------------------------------------------------------------------

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
