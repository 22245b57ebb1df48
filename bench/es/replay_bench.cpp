// B4: recovery (replay) of one entity with a long stream, warm (the file in the page cache),
// next to raw SQLite reads of the same rows in the same run.
//   raw scan          SELECT payload FROM events WHERE stream = ? ORDER BY seq (bytes touched)
//   raw scan+decode   the same, decoding each payload with CAF's binary_deserializer
//   entity recovery   activation of the entity: batched replay_stream (zero-copy) + decode + apply
// Flags: --events=1000000 --dir=/tmp --runs=3 (the best warm run is reported)
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <condition_variable>
#include <mutex>

#include "bench_support.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using namespace dca::es::bench;

namespace {

void append_sync(journal& j, append_request req) {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;
  j.append(std::move(req), [&](caf::expected<append_result> r) {
    if (!r) {
      std::fprintf(stderr, "%s\n", render(r.error()).c_str());
      std::exit(1);
    }
    std::lock_guard<std::mutex> guard{mtx};
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> guard{mtx};
  cv.wait(guard, [&] { return done; });
}

double raw_scan(const std::string& path, bool decode_payloads) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sql::db_ptr db{raw};
  sql::statement st;
  sql::statement::prepare(raw, "SELECT payload FROM events WHERE stream = 1 ORDER BY seq", st,
                          path);
  std::size_t rows = 0;
  std::size_t bytes = 0;
  std::int64_t sum = 0;
  auto t0 = clock_type::now();
  while (st.step() == SQLITE_ROW) {
    auto p = static_cast<const char*>(sqlite3_column_blob(st.get(), 0));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(st.get(), 0));
    bytes += n + static_cast<std::size_t>(p[0]);
    if (decode_payloads) {
      account::event ev;
      caf::binary_deserializer source{nullptr, p, n};
      if (source(ev))
        std::exit(1);
      if (auto d = caf::get_if<deposited>(&ev))
        sum += d->amount_cents;
    }
    ++rows;
  }
  auto s = seconds_since(t0);
  if (bytes == 0 && sum == 42)
    std::printf(" ");
  return static_cast<double>(rows) / s;
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_replay"};
  auto n = static_cast<std::size_t>(f.number("events", 1'000'000));
  auto runs = static_cast<int>(f.number("runs", 3));
  auto dir_base = f.text("dir", "/tmp");
  f.done();
  temp_dir dir{dir_base};
  auto path = dir.file("journal.db");
  std::printf("B4 replay of one entity with %zu events (bank deposits), warm, best of %d\n", n,
              runs);
  {
    auto j = sqlite_journal::open(path);
    if (!j)
      return 1;
    append_request open;
    open.entity = entity_id{"account", "big"};
    open.events.push_back(*to_event_data(account::event{account_opened{"Big"}}));
    append_sync(**j, std::move(open));
    std::uint64_t seq = 1;
    constexpr std::size_t chunk = 4000;
    for (std::size_t done = 1; done < n; done += chunk) {
      append_request req;
      req.entity = entity_id{"account", "big"};
      req.expected_seq = seq;
      for (std::size_t i = 0; i < chunk && done + i < n; ++i)
        req.events.push_back(*to_event_data(account::event{deposited{1}}));
      seq += req.events.size();
      append_sync(**j, std::move(req));
    }
  }
  double best_raw = 0;
  double best_decode = 0;
  double best_entity = 0;
  for (int r = 0; r < runs; ++r) {
    best_raw = std::max(best_raw, raw_scan(path, false));
    best_decode = std::max(best_decode, raw_scan(path, true));
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", 2);
    caf::actor_system sys{cfg};
    auto j = sqlite_journal::open(path);
    if (!j)
      return 1;
    entity_options opts;
    opts.snapshot_every = 0;
    auto host = spawn_entity_host<account>(sys, *j, opts);
    caf::scoped_actor self{sys};
    auto t0 = clock_type::now();
    std::int64_t balance = -1;
    self->request(host, caf::infinite, get_atom::value, std::string{"big"})
        .receive([&](const account_state& st) { balance = st.balance_cents; },
                 [](caf::error& err) {
                   std::fprintf(stderr, "%s\n", render(err).c_str());
                   std::exit(1);
                 });
    auto s = seconds_since(t0);
    if (balance != static_cast<std::int64_t>(n) - 1) {
      std::fprintf(stderr, "wrong balance after replay: %lld\n", static_cast<long long>(balance));
      return 1;
    }
    best_entity = std::max(best_entity, static_cast<double>(n) / s);
    self->send_exit(host, caf::exit_reason::user_shutdown);
  }
  row("entity recovery (events/s)", best_entity, "ev/s", "raw SQLite scan of the stream", best_raw,
      "");
  row("entity recovery (events/s)", best_entity, "ev/s", "raw SQLite scan + CAF decode",
      best_decode, "(target >= 1,000,000 ev/s)");
}
