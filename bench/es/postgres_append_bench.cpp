// PostgreSQL journal appends next to a raw COPY loop on the same schema, in the same run, against
// the server in $DCA_PG_PRIMARY (scripts/services env). It prints the server's fsync and
// synchronous_commit settings: the figure the issue asks for is with fsync on.
//   raw COPY loop   one connection, 1,000 events per transaction (COPY binary into dca_events,
//                   positions and seqs computed by the loop, the positions row advanced), no checks
//   journal         N entities, one closed-loop appender each (the next append from the previous
//                   one's ack), through postgres_journal: group commit, heads, fences, positions
//                   lock
// Measured 2026-12-06 (2-core VM, fsync on): 72 K ev/s vs raw 72 K (1.01x), 58 K vs 50 K (1.16x).
// Flags: --entities=1000 --seconds=5
#include <atomic>
#include <cstdlib>
#include <thread>

#include "bench_support.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/postgres_journal.hpp"
#include "pg.hpp"
#include "postgres_schema.hpp"

using namespace dca::es;
using namespace dca::es::bench;

namespace {

constexpr std::size_t event_bytes = 100;

std::string must_env() {
  auto* env = std::getenv("DCA_PG_PRIMARY");
  if (env == nullptr) {
    std::fprintf(stderr, "DCA_PG_PRIMARY is not set: eval \"$(scripts/services env)\" first\n");
    std::exit(2);
  }
  return env;
}

void must(const caf::error& err) {
  if (err) {
    std::fprintf(stderr, "%s\n", render(err).c_str());
    std::exit(1);
  }
}

std::string setting(PGconn* c, const char* name) {
  auto res = pg::exec(c, (std::string{"SHOW "} + name).c_str(), {}, name);
  return res ? std::string{pg::text(res->get(), 0, 0)} : "?";
}

/// A fresh journal schema: the tables of an earlier run dropped, then created by an open.
void reset(const std::string& db) {
  auto c = pg::connect(db);
  if (!c)
    must(c.error());
  must(pg::exec(c->get(),
                "SET client_min_messages = warning; DROP TABLE IF EXISTS dca_journal_schema, "
                "dca_events, dca_snapshots, dca_streams, dca_positions, dca_shard_leases CASCADE",
                "reset"));
  auto j = postgres_journal::open(db);
  if (!j)
    must(j.error());
}

double raw_copy(const std::string& db, std::size_t entities, double seconds) {
  reset(db);
  auto c = pg::connect(db);
  must(pg::exec(c->get(),
                ("INSERT INTO dca_streams(type, key) SELECT 'account', 'e' || g FROM "
                 "generate_series(1, " +
                 std::to_string(entities) + ") g")
                    .c_str(),
                "streams"));
  std::vector<char> payload(event_bytes, 'x');
  std::vector<std::uint64_t> heads(entities, 0);
  std::uint64_t position = 0;
  pg::binary_copy copy;
  auto t0 = clock_type::now();
  while (seconds_since(t0) < seconds) {
    must(pg::exec(c->get(), "BEGIN", "begin"));
    copy.clear();
    for (std::size_t k = 0; k < 1000; ++k) {
      auto e = k % entities;
      copy.row(10);
      copy.int64(static_cast<std::int64_t>(++position));
      copy.int64(static_cast<std::int64_t>(e + 1));
      copy.int64(static_cast<std::int64_t>(++heads[e]));
      copy.text("deposited");
      copy.bytes(payload);
      copy.text("deposited(100)");
      copy.null();
      copy.int64(0);
      copy.null(); // shard and epoch: the journal's unfenced appends store NULL too
      copy.null();
    }
    must(copy.finish(c->get(), pg_schema::copy_events_sql, "copy"));
    auto up = pg::exec(c->get(), "UPDATE dca_positions SET last = $1 WHERE id = 1",
                       pg::params{}.int64(static_cast<std::int64_t>(position)), "advance");
    if (!up)
      must(up.error());
    must(pg::exec(c->get(), "COMMIT", "commit"));
  }
  return static_cast<double>(position) / seconds_since(t0);
}

double journal_appends(const std::string& db, std::size_t entities, double seconds) {
  reset(db);
  auto j = postgres_journal::open(db);
  if (!j)
    must(j.error());
  auto& journal = **j;
  std::atomic<std::uint64_t> acked{0};
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> running{entities};
  std::vector<std::uint64_t> heads(entities, 0);
  std::function<void(std::size_t)> next = [&](std::size_t e) {
    if (stop) {
      --running;
      return;
    }
    append_request r;
    r.entity = entity_id{"account", "e" + std::to_string(e)};
    r.expected_seq = heads[e];
    r.events.push_back(
        event_data{"deposited", std::vector<char>(event_bytes, 'x'), "deposited(100)"});
    journal.append(std::move(r), [&, e](caf::expected<append_result> res) {
      if (!res)
        must(res.error());
      heads[e] = res->last_seq;
      ++acked;
      next(e);
    });
  };
  auto t0 = clock_type::now();
  for (std::size_t e = 0; e < entities; ++e)
    next(e);
  while (seconds_since(t0) < seconds)
    std::this_thread::sleep_for(std::chrono::milliseconds{10}); // the measurement's duration
  auto rate = static_cast<double>(acked.load()) / seconds_since(t0);
  stop = true;
  while (running > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  std::printf("journal: %llu group commits\n", static_cast<unsigned long long>(journal.commits()));
  return rate;
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_postgres_append"};
  auto entities = static_cast<std::size_t>(f.number("entities", 1000));
  auto seconds = static_cast<double>(f.number("seconds", 5));
  f.done();
  auto db = must_env();
  auto c = pg::connect(db);
  if (!c)
    must(c.error());
  std::printf("server: fsync=%s synchronous_commit=%s; %zu entities, %.0f s per phase, %zu-byte "
              "events\n",
              setting(c->get(), "fsync").c_str(), setting(c->get(), "synchronous_commit").c_str(),
              entities, seconds, event_bytes);
  auto raw1 = raw_copy(db, entities, seconds);
  auto ours = journal_appends(db, entities, seconds);
  auto raw2 = raw_copy(db, entities, seconds);
  auto raw = (raw1 + raw2) / 2;
  std::printf("raw COPY loop: %.0f then %.0f events/s\n", raw1, raw2);
  row("postgres_journal appends, closed loops", ours, "ev/s", "raw COPY loop (mean)", raw,
      "of raw (target >= 0.75)");
  return 0;
}
