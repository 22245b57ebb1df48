// B3 + B5: durable appends with group commit from many concurrent entities, next to the raw
// limits measured on the same disk in the same run, and the projection lag under that load.
//   raw write+fdatasync per event          the serial durable-commit limit
//   raw write+fdatasync per batch           the physical limit for group commit
//   raw SQLite batch-insert loop            the same schema, WAL, synchronous=FULL, the journal's
//                                           page cache and checkpoint interval, one thread;
//                                           run before and after the entity phases (mean)
//   entities                                N entities, one closed-loop client each holding the
//                                           entity's resolved handle, each command acknowledged
//                                           only after its commit is durable: with pipelined sync
//                                           (the default: the WAL's fdatasync overlaps the next
//                                           batch), first and again last (mean); with the sync
//                                           inside COMMIT (pipelined_sync = false); via the host
//   the journal alone                       the same closed loops appending to the journal from
//                                           its acks, no actors: the journal's share of the gap
//   raw loop with SQLite's defaults         for reference: the loop untuned (2 MB page cache,
//                                           autocheckpoint at 1,000 pages)
//   projection lag                          for 1 in 100 acks: time until the balances projection
//                                           (its own SQLite file) reaches the acked position
// Flags: --entities=1000 --seconds=5 --batch=1000 --dir=/tmp
//        --sync-floor-ms=0   a slower disk: every sync (SQLite's, the journal's, the raw loops')
//                            takes at least this long (slow_disk.hpp)
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "bench_support.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"
#include "slow_disk.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using namespace dca::es::bench;

namespace {

constexpr std::size_t event_bytes = 100;

double raw_fdatasync(const std::string& path, std::size_t events_per_sync, double seconds) {
  auto fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::vector<char> buf(event_bytes * events_per_sync, 'x');
  std::size_t events = 0;
  auto t0 = clock_type::now();
  while (seconds_since(t0) < seconds) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()) ||
        slow_disk::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    events += events_per_sync;
  }
  auto rate = static_cast<double>(events) / seconds_since(t0);
  ::close(fd);
  return rate;
}

/// The raw loop as configured: with the journal's tuning (the baseline), or SQLite's defaults.
enum class raw_tuning { journal, sqlite_defaults };

double raw_sqlite(const std::string& path, std::size_t streams, std::size_t batch, double seconds,
                  raw_tuning tuning = raw_tuning::journal) {
  { // the journal's own schema
    auto j = sqlite_journal::open(path);
    if (!j)
      std::exit(1);
  }
  sqlite3* raw = nullptr;
  sqlite3_open(path.c_str(), &raw);
  sql::db_ptr db{raw};
  sql::exec(raw, "PRAGMA journal_mode=WAL", path);
  sql::exec(raw, "PRAGMA synchronous=FULL", path);
  // The journal's page cache and checkpoint interval too: tuning the journal has, the baseline has.
  if (tuning == raw_tuning::journal) {
    auto cache =
        "PRAGMA cache_size=-" + std::to_string(sqlite_journal_options{}.page_cache_bytes / 1024);
    sql::exec(raw, cache.c_str(), path);
    auto checkpoints =
        "PRAGMA wal_autocheckpoint=" + std::to_string(sqlite_journal_options{}.checkpoint_pages);
    sql::exec(raw, checkpoints.c_str(), path);
  }
  sql::statement ins;
  sql::statement::prepare(raw,
                          "INSERT INTO events(position, stream, seq, type, payload, text, "
                          "idempotency_key, written_at_ms) VALUES(?,?,?,?,?,?,NULL,0)",
                          ins, path);
  std::vector<std::int64_t> seqs(streams, 0);
  std::vector<char> payload(9, 'p');
  std::int64_t position = 0;
  std::size_t events = 0;
  auto t0 = clock_type::now();
  while (seconds_since(t0) < seconds) {
    sql::exec(raw, "BEGIN", path);
    for (std::size_t i = 0; i < batch; ++i) {
      auto s = (static_cast<std::size_t>(position)) % streams;
      ins.bind(1, ++position);
      ins.bind(2, static_cast<std::int64_t>(s + 1));
      ins.bind(3, ++seqs[s]);
      ins.bind(4, std::string_view{"deposited"});
      ins.bind_blob(5, payload);
      ins.bind(6, std::string_view{"deposited(1)"});
      if (ins.step() != SQLITE_DONE)
        std::exit(1);
      ins.reset();
    }
    sql::exec(raw, "COMMIT", path);
    events += batch;
  }
  return static_cast<double>(events) / seconds_since(t0);
}

/// A journal for one phase, its syncs slowed with the rest under --sync-floor-ms.
std::shared_ptr<sqlite_journal> open_journal(const std::string& path, bool pipelined) {
  sqlite_journal_options opts;
  opts.pipelined_sync = pipelined;
  if (slow_disk::floor().count() > 0)
    opts.sync_wal = &slow_disk::fdatasync;
  auto journal = sqlite_journal::open(path, opts);
  if (!journal) {
    std::fprintf(stderr, "%s\n", render(journal.error()).c_str());
    std::exit(1);
  }
  return *journal;
}

/// The journal alone: n streams, each a closed loop of one append at a time (the next is sent from
/// the previous one's ack, on the journal's sync thread), no actors. What is left of the gap to the
/// raw loop here is the journal's; what the entities add is the runtime's.
double journal_alone(const std::string& path, std::size_t n, double seconds) {
  auto journal = open_journal(path, true);
  auto& j = *journal;
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> acks{0};
  std::atomic<std::size_t> running{n};
  std::promise<void> all_stopped;
  std::vector<std::uint64_t> heads(n, 0); // each touched only by its own loop
  std::vector<std::function<void()>> loops(n);
  for (std::size_t i = 0; i < n; ++i)
    loops[i] = [&, i, id = entity_id{"account", "a" + std::to_string(i)}] {
      if (stopping) {
        if (--running == 0)
          all_stopped.set_value();
        return;
      }
      append_request req;
      req.entity = id;
      req.expected_seq = heads[i];
      req.events.push_back(event_data{"deposited", std::vector<char>(9, 'p'), "deposited(1)"});
      j.append(std::move(req), [&, i](caf::expected<append_result> r) {
        if (!r) {
          std::fprintf(stderr, "%s\n", render(r.error()).c_str());
          std::exit(1);
        }
        heads[i] = r->last_seq;
        if (measuring)
          ++acks;
        loops[i]();
      });
    };
  for (auto& loop : loops)
    loop();
  std::this_thread::sleep_for(std::chrono::seconds{1}); // warm-up
  auto t0 = clock_type::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>{seconds});
  measuring = false;
  auto rate = static_cast<double>(acks.load()) / seconds_since(t0);
  stopping = true;
  all_stopped.get_future().wait();
  return rate;
}

struct load_result {
  double events_per_s = 0;
  double commits_per_s = 0;
  double syncs_per_s = 0;
  std::vector<double> lag_ms;
  std::vector<double> ack_ms;
};

/// Asks the projection to wait for `position` and records how long after `t_ack` it got there.
void sample_lag(caf::event_based_actor* self, const caf::actor& projection, std::uint64_t position,
                clock_type::time_point t_ack, std::mutex& mtx, std::vector<double>& lag_ms) {
  self->request(projection, std::chrono::seconds{60}, wait_atom::value, position,
                std::uint32_t{60'000})
      .then(
          [&mtx, &lag_ms, t_ack](std::uint64_t) {
            std::lock_guard<std::mutex> guard{mtx};
            lag_ms.push_back(
                std::chrono::duration<double, std::milli>(clock_type::now() - t_ack).count());
          },
          [](caf::error&) {});
}

/// Opens accounts a0..a<n-1> and resolves their actors (not timed).
std::vector<caf::actor> open_and_resolve(caf::actor_system& sys, const caf::actor& accounts,
                                         std::size_t n) {
  std::vector<caf::actor> handles(n);
  caf::scoped_actor self{sys};
  for (std::size_t i = 0; i < n; ++i)
    self->send(accounts, command_atom::value, "a" + std::to_string(i),
               account::command{open_account{"x"}}, std::string{});
  for (std::size_t i = 0; i < n; ++i)
    self->receive([](const ack&) {}, [](caf::error&) {});
  for (std::size_t i = 0; i < n; ++i)
    self->request(accounts, caf::infinite, resolve_atom::value, "a" + std::to_string(i))
        .receive([&](caf::actor& a) { handles[i] = std::move(a); }, [](caf::error&) {});
  return handles;
}

/// Waits until the projection has caught up with the journal, so it answers the last waits.
void await_projection(caf::actor_system& sys, const caf::actor& projection, const journal& j) {
  caf::scoped_actor self{sys};
  self->request(projection, std::chrono::seconds{60}, wait_atom::value, j.committed_position(),
                std::uint32_t{60'000})
      .receive([](std::uint64_t) {}, [](caf::error&) {});
}

/// Warms up for a second, then measures for `seconds`: acks (counted while `measuring`), commits
/// and syncs per second, into `result`.
void measure_window(const sqlite_journal& j, double seconds, std::atomic<bool>& measuring,
                    const std::atomic<std::uint64_t>& acks, load_result& result) {
  std::this_thread::sleep_for(std::chrono::seconds{1}); // warm-up
  auto commits0 = j.commits();
  auto syncs0 = j.syncs();
  auto t0 = clock_type::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>{seconds});
  measuring = false;
  auto elapsed = seconds_since(t0);
  result.events_per_s = static_cast<double>(acks.load()) / elapsed;
  result.commits_per_s = static_cast<double>(j.commits() - commits0) / elapsed;
  result.syncs_per_s = static_cast<double>(j.syncs() - syncs0) / elapsed;
}

/// The balances projection over `journal`, its read model at `read_model`.
caf::actor balances(caf::actor_system& sys, const std::shared_ptr<sqlite_journal>& journal,
                    const std::string& read_model) {
  projection_options popts;
  popts.read_model_path = read_model;
  auto proj = spawn_projection(sys, journal, std::make_shared<balances_projection>(), popts);
  if (!proj) {
    std::fprintf(stderr, "%s\n", render(proj.error()).c_str());
    std::exit(1);
  }
  return *proj;
}

load_result entities(const std::string& journal_path, const std::string& read_model, std::size_t n,
                     double seconds, bool with_projection, bool via_host, bool pipelined = true) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto journal = open_journal(journal_path, pipelined);
  entity_options opts;
  opts.snapshot_every = 0;
  auto accounts = spawn_entity_host<account>(sys, journal, opts);
  auto proj_handle = with_projection ? balances(sys, journal, read_model) : caf::actor{};
  auto handles = open_and_resolve(sys, accounts, n);
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> acks{0};
  std::atomic<std::size_t> running{n};
  std::mutex mtx;
  load_result result;
  std::promise<void> all_stopped;
  for (std::size_t i = 0; i < n; ++i) {
    auto key = "a" + std::to_string(i);
    sys.spawn([&, key, i](caf::event_based_actor* self) {
      auto step = std::make_shared<std::function<void()>>();
      *step = [&, self, key, i, step] {
        if (stopping) {
          if (--running == 0)
            all_stopped.set_value();
          *step = nullptr;
          return;
        }
        auto t0 = clock_type::now();
        // A client that resolved its entity sends to it directly (no host hop); no request
        // timeout, so CAF's clock thread does not track 1,000 pending timeouts.
        auto sent = via_host ? self->request(accounts, caf::infinite, command_atom::value, key,
                                             account::command{deposit{1}}, std::string{})
                             : self->request(handles[i], caf::infinite, command_atom::value,
                                             account::command{deposit{1}}, std::string{});
        sent.then(
            [&, self, step, t0, i](const ack& a) {
              if (measuring) {
                auto k = ++acks;
                if (k % 100 == i % 100) {
                  auto t_ack = clock_type::now();
                  {
                    std::lock_guard<std::mutex> guard{mtx};
                    result.ack_ms.push_back(
                        std::chrono::duration<double, std::milli>(t_ack - t0).count());
                  }
                  if (proj_handle)
                    sample_lag(self, proj_handle, a.position, t_ack, mtx, result.lag_ms);
                }
              }
              (*step)();
            },
            [step](caf::error& err) {
              std::fprintf(stderr, "error: %s\n", render(err).c_str());
              (*step)();
            });
      };
      (*step)();
    });
  }
  measure_window(*journal, seconds, measuring, acks, result);
  stopping = true;
  all_stopped.get_future().wait();
  if (proj_handle) // let the projection answer the last waits before shutting down
    await_projection(sys, proj_handle, *journal);
  caf::anon_send_exit(accounts, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(proj_handle, caf::exit_reason::user_shutdown);
  return result;
}

/// The mean of two runs of the same phase: rates averaged, samples pooled.
load_result mean_of(const load_result& a, const load_result& b) {
  load_result m;
  m.events_per_s = (a.events_per_s + b.events_per_s) / 2;
  m.commits_per_s = (a.commits_per_s + b.commits_per_s) / 2;
  m.syncs_per_s = (a.syncs_per_s + b.syncs_per_s) / 2;
  m.ack_ms = a.ack_ms;
  m.ack_ms.insert(m.ack_ms.end(), b.ack_ms.begin(), b.ack_ms.end());
  m.lag_ms = a.lag_ms;
  m.lag_ms.insert(m.lag_ms.end(), b.lag_ms.begin(), b.lag_ms.end());
  return m;
}

/// How the journal grouped the appends of each phase, and the ack latency.
void print_commit_figures(const load_result& r, const load_result& c, const load_result& h) {
  std::printf("group commit: %.0f commits/s, %.0f events per commit on average (batch_events_max "
              "%zu); %.0f WAL fdatasyncs/s, %.0f events per fdatasync\n",
              r.commits_per_s, r.commits_per_s > 0 ? r.events_per_s / r.commits_per_s : 0.0,
              sqlite_journal_options{}.batch_events_max, r.syncs_per_s,
              r.syncs_per_s > 0 ? r.events_per_s / r.syncs_per_s : 0.0);
  std::printf("sync in COMMIT: %.0f commits/s, %.0f events per commit on average\n",
              c.commits_per_s, c.commits_per_s > 0 ? c.events_per_s / c.commits_per_s : 0.0);
  std::printf("via the host: %.0f events per commit on average\n",
              h.commits_per_s > 0 ? h.events_per_s / h.commits_per_s : 0.0);
  std::printf("ack latency (command sent -> durable ack): p50 %.2f ms, p99 %.2f ms (%zu samples)\n",
              percentile(r.ack_ms, 0.5), percentile(r.ack_ms, 0.99), r.ack_ms.size());
}

/// The projection phase: the rate with it running, and its lag behind the acks.
void print_projection_figures(const load_result& p, double sqlite_raw) {
  std::printf("\nwith the balances projection running (its own SQLite file):\n");
  row("entities + projection: acked events/s", p.events_per_s, "ev/s",
      "raw SQLite batch loop, same schema (mean)", sqlite_raw, "");
  std::printf("projection lag (ack -> read model at that position): p50 %.2f ms, p99 %.2f ms "
              "(%zu samples)\n",
              percentile(p.lag_ms, 0.5), percentile(p.lag_ms, 0.99), p.lag_ms.size());
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_append"};
  auto n = static_cast<std::size_t>(f.number("entities", 1000));
  auto seconds = static_cast<double>(f.number("seconds", 5));
  auto batch = static_cast<std::size_t>(f.number("batch", 1000));
  auto dir_base = f.text("dir", "/tmp");
  auto sync_floor = std::chrono::milliseconds{f.number("sync-floor-ms", 0, 0)};
  f.done();
  temp_dir dir{dir_base};
  slow_disk::install(sync_floor);
  std::printf("B3/B5 durable appends, %zu concurrent entities, %.0f s per phase, files in %s\n", n,
              seconds, dir.file("").c_str());
  if (slow_disk::floor().count() > 0)
    std::printf("a slower disk: every sync takes at least %lld ms\n",
                static_cast<long long>(slow_disk::floor().count()));
  auto serial = raw_fdatasync(dir.file("raw.log"), 1, std::min(seconds, 2.0));
  auto grouped = raw_fdatasync(dir.file("raw-group.log"), batch, seconds);
  // The disk's speed drifts on a shared machine: the raw loop runs before and after the entity
  // phases, and the ratios use the mean of the two.
  auto sqlite_raw_before = raw_sqlite(dir.file("raw.db"), n, batch, seconds);
  // The target phase runs first and again last, and its figure is the mean of the two: the disk's
  // drift then weighs on it as on the raw loop's.
  auto r_first =
      entities(dir.file("journal.db"), dir.file("read_model.db"), n, seconds, false, false);
  auto c =
      entities(dir.file("journal4.db"), dir.file("read_model.db"), n, seconds, false, false, false);
  auto h = entities(dir.file("journal3.db"), dir.file("read_model.db"), n, seconds, false, true);
  auto p = entities(dir.file("journal2.db"), dir.file("read_model.db"), n, seconds, true, false);
  auto r_last =
      entities(dir.file("journal5.db"), dir.file("read_model.db"), n, seconds, false, false);
  auto r = mean_of(r_first, r_last);
  auto alone = journal_alone(dir.file("journal6.db"), n, seconds);
  auto sqlite_raw_after = raw_sqlite(dir.file("raw2.db"), n, batch, seconds);
  auto sqlite_defaults =
      raw_sqlite(dir.file("raw3.db"), n, batch, seconds, raw_tuning::sqlite_defaults);
  auto sqlite_raw = (sqlite_raw_before + sqlite_raw_after) / 2;
  std::printf("\nraw SQLite batch-insert loop: %.0f ev/s before the entity phases, %.0f after\n",
              sqlite_raw_before, sqlite_raw_after);
  std::printf("entities (the target phase): %.0f ev/s first, %.0f last\n", r_first.events_per_s,
              r_last.events_per_s);
  row("entities: acked durable events/s", r.events_per_s, "ev/s",
      "raw SQLite batch loop, same schema (mean)", sqlite_raw, "(target >= 0.70x)");
  row("the same, sync in COMMIT: acked events/s", c.events_per_s, "ev/s",
      "raw SQLite batch loop, same schema (mean)", sqlite_raw, "(pipelined_sync = false)");
  row("entities via the host: acked events/s", h.events_per_s, "ev/s",
      "raw SQLite batch loop, same schema (mean)", sqlite_raw, "");
  row("the journal alone, no actors: acked ev/s", alone, "ev/s",
      "raw SQLite batch loop, same schema (mean)", sqlite_raw, "(what the journal costs)");
  row("entities: acked durable events/s", r.events_per_s, "ev/s", "raw loop with SQLite's defaults",
      sqlite_defaults, "(2 MB cache, checkpoint at 1,000)");
  row("entities: acked durable events/s", r.events_per_s, "ev/s", "raw write+fdatasync, grouped",
      grouped, "(physical limit)");
  row("entities: acked durable events/s", r.events_per_s, "ev/s", "raw write+fdatasync, per event",
      serial, "(no group commit)");
  print_commit_figures(r, c, h);
  print_projection_figures(p, sqlite_raw);
}
