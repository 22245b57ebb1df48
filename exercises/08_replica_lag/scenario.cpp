// Exercise 08's harness: how `dca run 08` and `dca explore 08` drive both tracks, the shared-state
// one against the real PostgreSQL primary and its streaming replica (scripts/services), and count
// each session's read-your-writes and monotonic-read violations. Under the explorer the replica's
// replay is paused and moves on only at the replication thread's one step, so what the replica
// holds at each read is decided by the schedule. Learners may read it; they do not need to change
// it.
#include "scenario.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "dca/es/entity_host.hpp"
#include "dca/es/idempotency_keys.hpp"
#include "dca/es/projection.hpp"
#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/explorer.hpp"
#include "dca/harness/entity_world.hpp"
#include "dca/services/endpoints.hpp"

namespace replica_lag {

std::string name_in_round(std::int64_t round) {
  static const char* const names[] = {"grace", "barbara", "frances", "radia", "lynn", "shafi"};
  return names[round % 6] + (round < 6 ? std::string{} : std::to_string(round / 6));
}

session_tally tally(const std::vector<observation>& seen) {
  session_tally out;
  std::int64_t last_write = 0, newest_read = 0;
  for (const auto& o : seen) {
    if (o.write) {
      last_write = o.version;
      continue;
    }
    ++out.reads;
    out.ryw_violations += o.version < last_write ? 1 : 0;
    out.monotonic_violations += o.version < newest_read ? 1 : 0;
    newest_read = std::max(newest_read, o.version);
  }
  return out;
}

namespace {

const char* const schema_sql =
    "CREATE TABLE profiles (id bigint PRIMARY KEY, name text NOT NULL, version bigint NOT NULL)";

/// Profiles 1..count, each at version 1 with name_before.
std::string profile_rows(std::int64_t count) {
  return "INSERT INTO profiles SELECT id, '" + std::string{name_before} +
         "', 1 FROM generate_series(1, " + std::to_string(count) + ") AS id";
}

/// A fresh run space holding profiles 1..count.
run_space_ptr run_space_with_profiles(std::int64_t count) {
  auto space = std::make_shared<run_space>("ex08");
  space->reset(schema_sql, profile_rows(count));
  return space;
}

} // namespace

run_space_ptr make_run_space() {
  return run_space_with_profiles(1);
}

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;
using dca::services::pg_connection;

constexpr auto reply_timeout = std::chrono::seconds(10);

/// How long the replica may take to replay what the primary has flushed, before we say so.
constexpr int replay_wait_ms_max = 5'000;

// -- the replica's replay -------------------------------------------------------------------------

/// Runs `f` on a thread of its own and waits for it. A statement sent from there is no scheduling
/// point (the explorer only sees its own threads), so the replication thread's one step can ask
/// the primary's position and then make the replica replay up to it while no other explored thread
/// moves: nothing a session writes in between can slip into the replay.
template <class F>
void outside_the_explorer(F f) {
  std::exception_ptr failed;
  std::thread{[&] {
    try {
      f();
    } catch (...) {
      failed = std::current_exception();
    }
  }}.join();
  if (failed)
    std::rethrow_exception(failed);
}

/// "0/3001E38": all a WAL position is; anything else is not pasted into SQL.
std::string checked_lsn(const std::optional<std::string>& text) {
  if (!text || text->empty() ||
      text->find_first_not_of("0123456789ABCDEFabcdef/") != std::string::npos)
    throw std::runtime_error("the primary answered '" + text.value_or("NULL") +
                             "' for its WAL position");
  return *text;
}

/// The replica's replay as a run needs it. An exploration holds it still (pg_wal_replay_pause)
/// and moves it on only when the schedule says so; a free run lets it run, with the lag it has.
/// Explorations and free runs of all slots of this checkout share the one replica, so an
/// exploration holds an exclusive advisory lock on the primary and a free run a shared one.
class replica_replay {
public:
  explicit replica_replay(bool hold)
      : primary_(dca::services::with_dbname(dca::services::require().primary, "postgres"),
                 "replication"),
        replica_(dca::services::with_dbname(dca::services::require().replica, "postgres"),
                 "replication"),
        hold_(hold) {
    primary_.exec(hold ? "SELECT pg_advisory_lock(hashtext('dca replica replay'))"
                       : "SELECT pg_advisory_lock_shared(hashtext('dca replica replay'))");
  }
  ~replica_replay() {
    try {
      // The replica serves everyone else again; a run that crashed while holding it leaves it
      // paused until the next run's catch_up resumes it.
      replica_.exec("SELECT pg_wal_replay_resume()");
    } catch (...) {
    }
  }
  replica_replay(const replica_replay&) = delete;
  replica_replay& operator=(const replica_replay&) = delete;

  /// Outside an exploration: the replica replays everything the primary has flushed (and then
  /// stops again when held).
  void catch_up() { replay_to(checked_lsn(primary_.exec(position_sql).at(0, 0))); }

  /// The replication thread's one step under the explorer: asks the primary its position (the
  /// scheduling point), then replays up to it before any other thread moves.
  // [slide:replication_step]
  void step() {
    auto lsn = checked_lsn(primary_.exec(position_sql).at(0, 0));
    outside_the_explorer([&] { replay_to(lsn); });
  }
  // [/slide:replication_step]

private:
  static constexpr const char* position_sql = "SELECT pg_current_wal_flush_lsn() AS replay_to";

  void replay_to(const std::string& lsn);

  pg_connection primary_; // holds the advisory lock; asks the primary's position
  pg_connection replica_;
  bool hold_;
};

/// One statement, run on the replica: resume replay, wait until it has replayed @LSN@, and with
/// @HOLD@ pause it again. pg_wal_replay_pause() only requests the pause, so it also waits until the
/// replica says "paused": a write after this step must not slip into a replay still running.
constexpr const char* replay_sql = R"sql(DO $$
DECLARE deadline timestamptz := clock_timestamp() + interval '@MS@ ms';
BEGIN
  PERFORM pg_wal_replay_resume();
  WHILE coalesce(pg_last_wal_replay_lsn() < '@LSN@'::pg_lsn, true) LOOP
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the replica did not replay up to % within % ms: %', '@LSN@', @MS@,
        'run scripts/services status';
    END IF;
    PERFORM pg_sleep(0.0005);
  END LOOP;
  IF @HOLD@ THEN
    PERFORM pg_wal_replay_pause();
    WHILE pg_get_wal_replay_pause_state() <> 'paused' LOOP
      IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION 'the replica did not pause its replay within % ms: %', @MS@,
          'run scripts/services status';
      END IF;
      PERFORM pg_sleep(0.0005);
    END LOOP;
  END IF;
END $$)sql";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

void replica_replay::replay_to(const std::string& lsn) {
  std::string sql = replay_sql;
  replace_all(sql, "@LSN@", lsn);
  replace_all(sql, "@MS@", std::to_string(replay_wait_ms_max));
  replace_all(sql, "@HOLD@", hold_ ? "true" : "false");
  replica_.exec_params(sql.c_str(), {});
}

// -- counting -------------------------------------------------------------------------------------

/// "3 reads older than its own write, 3 older than an earlier read, of 400 reads"
std::string tally_words(const session_tally& t) {
  auto reads = [](std::int64_t n) { return with_commas(n) + (n == 1 ? " read" : " reads"); };
  return reads(t.ryw_violations) + " older than its own write, " +
         with_commas(t.monotonic_violations) + " older than an earlier read, of " + reads(t.reads);
}

run_result judge(const std::vector<std::vector<observation>>& sessions, const char* where) {
  run_result out;
  std::string per_session;
  for (std::size_t s = 0; s < sessions.size(); ++s) {
    auto t = tally(sessions[s]);
    out.corrupted = out.corrupted || t.ryw_violations > 0 || t.monotonic_violations > 0;
    per_session += (s == 0 ? "" : "; ") + std::string{"session "} + std::to_string(s + 1) + ": " +
                   tally_words(t);
    auto prefix = "session_" + std::to_string(s + 1) + '_';
    out.fields.push_back({prefix + "reads", std::to_string(t.reads)});
    out.fields.push_back({prefix + "ryw_violations", std::to_string(t.ryw_violations)});
    out.fields.push_back({prefix + "monotonic_violations", std::to_string(t.monotonic_violations)});
  }
  out.summary = (out.corrupted ? "sessions read stale profiles from " + std::string{where} + ": "
                               : "every session read its own writes and never went back: ") +
                per_session;
  out.fields.insert(out.fields.begin(), {"sessions", std::to_string(sessions.size())});
  return out;
}

// -- the shared-state track, on real threads ------------------------------------------------------

run_result run_shared(const arguments& in, const progress_fn& progress) {
  auto sessions = in.get("sessions"), rounds = in.get("rounds");
  auto space = run_space_with_profiles(sessions);
  replica_replay replay{false};
  replay.catch_up(); // the replica has the profiles (and runs, should a crashed run have paused it)
  std::vector<std::vector<observation>> seen(static_cast<std::size_t>(sessions));
  std::mutex failed_lock;
  std::exception_ptr failed;
  std::vector<std::thread> pool;
  for (std::int64_t s = 0; s < sessions; ++s)
    pool.emplace_back([&, s] {
      try {
        auto name = "session " + std::to_string(s + 1);
        profile_writes writes{*space, name};
        profile_reads reads{*space, name};
        for (std::int64_t r = 0; r < rounds; ++r) {
          session_round(writes, reads, s + 1, name_in_round(r), seen[static_cast<std::size_t>(s)]);
          if (s == 0 && r % 50 == 49)
            progress(static_cast<double>(r + 1) / static_cast<double>(rounds));
        }
      } catch (...) {
        std::lock_guard<std::mutex> hold{failed_lock};
        failed = std::current_exception();
      }
    });
  for (auto& t : pool)
    t.join();
  if (failed)
    std::rethrow_exception(failed);
  return judge(seen, "the replica");
}

// -- the message-passing track, on real actors ----------------------------------------------------

/// A replica's stream of the log: forwards each commit to its view, `lag` later. It is an actor of
/// its own so that, under the explorer, a view hears of a commit whenever the schedule says, not
/// always before the session that made it hears back.
caf::behavior log_stream(caf::event_based_actor* self, caf::actor view,
                         std::chrono::milliseconds lag) {
  return {
      [=](dca::es::committed_atom, std::uint64_t position) {
        if (lag.count() == 0)
          self->send(view, dca::es::committed_atom::value, position);
        else
          self->delayed_send(view, lag, dca::es::committed_atom::value, position);
      },
  };
}

/// The profile entities and two views over a journal in which every profile was already named
/// name_before (version 1), as the rows of the shared-state track are; view i hears of each commit
/// through its own log stream, `lags[i]` later.
struct profile_world {
  dca::harness::entity_world<profile_entity> entities;
  caf::actor profiles = entities.host();
  std::vector<caf::actor> views;
  std::vector<caf::actor> streams;

  profile_world(caf::actor_system& system, const std::vector<std::string>& keys,
                const std::vector<std::chrono::milliseconds>& lags)
      : entities(system, keys, profile_renamed{name_before}) {
    for (auto lag : lags) {
      views.push_back(entities.stop_with_world(spawn_profile_view(system, entities.journal())));
      streams.push_back(entities.follow(system.spawn(log_stream, views.back(), lag)));
    }
  }
};

std::vector<std::string> profile_keys(std::int64_t count) {
  std::vector<std::string> keys;
  for (std::int64_t k = 1; k <= count; ++k)
    keys.push_back(std::to_string(k));
  return keys;
}

/// The views' lags on real actors: one a little behind, one further, as replicas of one primary.
const std::vector<std::chrono::milliseconds> view_lags{std::chrono::milliseconds{1},
                                                       std::chrono::milliseconds{5}};

run_result run_actors(const arguments& in, const progress_fn&) {
  auto keys = profile_keys(in.get("sessions"));
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  profile_world world{system, keys, view_lags};
  std::vector<caf::actor> sessions;
  for (const auto& key : keys)
    sessions.push_back(spawn_session(system, world.profiles, world.views, key, in.get("rounds")));
  std::vector<std::vector<observation>> seen;
  for (const auto& s : sessions)
    self->request(s, caf::infinite, seen_atom::value)
        .receive([&](std::vector<observation>& x) { seen.push_back(std::move(x)); },
                 [&](caf::error& e) {
                   throw std::runtime_error("a session did not finish: " + system.render(e));
                 });
  // A finished session's request timeouts still hold it: stop it, or the system waits for them.
  for (const auto& s : sessions)
    self->send_exit(s, caf::exit_reason::user_shutdown);
  return judge(seen, "the views");
}

// -- exploration ----------------------------------------------------------------------------------

/// "the session wrote version 2 (primary), then read version 2 (primary), version 1 (replica)"
std::string story(const std::vector<observation>& seen) {
  std::string out = "the session";
  bool reading = false;
  for (const auto& o : seen) {
    if (o.write) {
      out += std::string{reading ? "; then wrote" : " wrote"} + " version " +
             std::to_string(o.version) + " (" + o.from + "), then read";
      reading = false;
      continue;
    }
    out += std::string{reading ? "," : ""} + " version " + std::to_string(o.version) + " (" +
           o.from + ")";
    reading = true;
  }
  return out;
}

std::optional<std::string> verdict(const std::vector<observation>& seen, const char* why) {
  auto t = tally(seen);
  if (t.ryw_violations == 0 && t.monotonic_violations == 0)
    return std::nullopt;
  return story(seen) + ": " + tally_words(t) + " (" + why + ")";
}

/// The explored session's connections and what it saw. Connecting costs more than a schedule's
/// statements, so the connections are kept across schedules: a completed schedule leaves them
/// idle and the read pool back at the primary (two reads over two servers).
struct explored_session {
  explicit explored_session(const run_space& space)
      : writes(space, "session"), reads(space, "session") {}
  profile_writes writes;
  profile_reads reads;
  std::vector<observation> seen;
  bool completed() const { return seen.size() == 3; } // its write and both reads
};

/// The smallest lag: one session renames its profile and shows it twice (the primary, then the
/// replica), while the replication thread replays the primary once, at a moment the schedule picks.
dca::explore::report explore_shared(const dca::explore::options& opts) {
  auto space = std::make_shared<run_space>("ex08");
  auto replay = std::make_shared<replica_replay>(true);
  auto session = std::make_shared<std::unique_ptr<explored_session>>();
  auto make = [space, replay, session] {
    if (*session && !(*session)->completed())
      session->reset(); // cut short: its connections may be mid-statement
    space->reset(schema_sql, profile_rows(1));
    replay->catch_up(); // every schedule starts with the replica holding what the primary holds
    if (!*session)
      *session = std::make_unique<explored_session>(*space);
    (*session)->seen.clear();
    dca::explore::thread_execution exec;
    exec.threads.push_back({"session", [session] {
                              auto& s = **session;
                              session_round(s.writes, s.reads, 1, name_in_round(0), s.seen);
                            }});
    exec.threads.push_back({"replication", [replay] { replay->step(); }});
    exec.check = [session](const std::vector<dca::explore::step>&) {
      return verdict((*session)->seen, "the replica had not replayed the rename yet");
    };
    return exec;
  };
  return dca::explore::explore_threads(make, opts);
}

/// One session's rename and two reads, as messages: every order in which the entity, the two views,
/// their log streams and the session can handle them.
dca::explore::report explore_actors(const dca::explore::options& opts) {
  auto make = [] {
    auto world = std::make_shared<std::unique_ptr<profile_world>>();
    auto session = std::make_shared<caf::actor>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& w) {
      *world = std::make_unique<profile_world>(
          w.system(), profile_keys(1),
          std::vector<std::chrono::milliseconds>{std::chrono::milliseconds{0},
                                                 std::chrono::milliseconds{0}});
      w.name((*world)->profiles, "profiles");
      for (std::size_t i = 0; i < 2; ++i) {
        w.name((*world)->views[i], "view " + std::to_string(i + 1));
        w.name((*world)->streams[i], "stream " + std::to_string(i + 1));
      }
      *session = spawn_session(w.system(), (*world)->profiles, (*world)->views, "1", 1);
      w.name(*session, "session");
    };
    ex.check = [=](dca::explore::actor_world& w) -> std::optional<std::string> {
      auto seen = w.ask<std::vector<observation>>(*session, seen_atom::value);
      world->reset(); // its journal subscription ends with this schedule
      *session = caf::actor{};
      if (!seen)
        return "the session did not finish: " + w.system().render(seen.error());
      return verdict(*seen, "a view answered before it had applied the rename");
    };
    return ex;
  };
  return dca::explore::explore_actors(make, opts);
}

// -- run --compare: what each way of reading costs ------------------------------------------------

/// One way of reading after a write: how many reads were older than the write, and how long each
/// read took (its wait included; the write is not timed).
struct read_path {
  std::string name;
  std::int64_t stale = 0;
  std::vector<double> read_us;
};

double percentile_us(std::vector<double> xs, std::size_t pct) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, xs.size() * pct / 100)];
}

template <class Read>
void time_read(read_path& path, std::int64_t written, Read read) {
  auto t0 = std::chrono::steady_clock::now();
  auto version = read();
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - t0;
  path.read_us.push_back(took.count());
  path.stale += version < written ? 1 : 0;
}

/// The replica until it has replayed `lsn` (what a session carrying its last write's LSN does).
void wait_for_replay(pg_connection& replica, const std::string& lsn) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{replay_wait_ms_max};
  while (replica.exec("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).at(0, 0) != "t")
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the replica did not replay up to " + lsn + " within " +
                               std::to_string(replay_wait_ms_max) +
                               " ms: run scripts/services status");
}

/// The three ways of reading from the database, each after its own rename, `rounds` times.
std::vector<read_path> compare_database(std::int64_t rounds) {
  auto space = run_space_with_profiles(1);
  replica_replay replay{false};
  replay.catch_up();
  auto primary = space->connect("writes"), replica = space->connect_replica("reads");
  auto reader = space->connect("reads");
  std::vector<read_path> paths{{"replica, read at once", 0, {}},
                               {"replica, waits for the write's LSN", 0, {}},
                               {"primary (the row's owner)", 0, {}}};
  auto version_on = [](pg_connection& db) {
    return db.exec("SELECT version FROM profiles WHERE id = 1").int_at(0, 0);
  };
  for (std::int64_t r = 0; r < rounds; ++r)
    for (std::size_t p = 0; p < paths.size(); ++p) {
      auto written = primary
                         .exec("UPDATE profiles SET name = $1, version = version + 1 WHERE id = 1 "
                               "RETURNING version",
                               name_in_round(r))
                         .int_at(0, 0);
      auto lsn = checked_lsn(primary.exec("SELECT pg_current_wal_flush_lsn()").at(0, 0));
      time_read(paths[p], written, [&] {
        if (p == 1)
          wait_for_replay(replica, lsn);
        return version_on(p == 2 ? reader : replica);
      });
    }
  return paths;
}

/// The two ways of reading from the actors: a view that waits for the write's journal position,
/// and the entity that owns the profile; the views lag as in `dca run 08 --variant actors`.
std::vector<read_path> compare_actors(std::int64_t rounds) {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor self{system};
  profile_world world{system, profile_keys(1), view_lags};
  std::vector<read_path> paths{{"view, read at once", 0, {}},
                               {"view, waits for the write's position", 0, {}},
                               {"entity (the profile's owner)", 0, {}}};
  auto fail = [&](caf::error& e) {
    throw std::runtime_error("the profile actors did not answer: " + system.render(e));
  };
  for (std::int64_t r = 0; r < rounds; ++r)
    for (std::size_t p = 0; p < paths.size(); ++p) {
      dca::es::ack written;
      self->request(world.profiles, reply_timeout, dca::es::command_atom::value, std::string{"1"},
                    profile_entity::command{rename_profile{name_in_round(r)}}, std::string{})
          .receive([&](const dca::es::ack& a) { written = a; }, fail);
      time_read(paths[p], static_cast<std::int64_t>(written.seq), [&] {
        std::int64_t version = 0;
        auto from_view = [&](const view_row& row) { version = row.version; };
        if (p == 2)
          self->request(world.profiles, reply_timeout, dca::es::get_atom::value, std::string{"1"})
              .receive([&](const profile_state& s) { version = s.version; }, fail);
        else
          self->request(world.views[r % 2], reply_timeout, read_atom::value, std::string{"1"},
                        p == 1 ? written.position : std::uint64_t{0})
              .receive(from_view, fail);
        return version;
      });
    }
  return paths;
}

void print_compare(const std::vector<read_path>& paths, std::int64_t rounds) {
  std::cout << "each row: " << with_commas(rounds) << " renames, each followed by one timed read\n"
            << std::left << std::setw(40) << "read path" << std::right << std::setw(8) << "stale"
            << std::setw(12) << "p50 us" << std::setw(12) << "p99 us" << '\n';
  for (const auto& p : paths)
    std::cout << std::left << std::setw(40) << p.name << std::right << std::setw(8) << p.stale
              << std::setw(12) << std::fixed << std::setprecision(0) << percentile_us(p.read_us, 50)
              << std::setw(12) << percentile_us(p.read_us, 99) << '\n';
}

/// `dca run 08 --compare`: the stale reads and the read latency of every way of reading.
run_result run_compare(const arguments& in, const progress_fn& progress) {
  auto rounds = in.get("rounds");
  auto paths = compare_database(rounds);
  progress(0.5);
  auto actors = compare_actors(rounds);
  paths.insert(paths.end(), actors.begin(), actors.end());
  print_compare(paths, rounds);
  run_result out;
  std::int64_t stale_with_fix = 0;
  for (std::size_t p = 0; p < paths.size(); ++p) {
    bool a_fix = p != 0 && p != 3; // the two "read at once" rows are the problem, not a fix
    stale_with_fix += a_fix ? paths[p].stale : 0;
    auto key = "path_" + std::to_string(p + 1) + '_';
    out.fields.push_back({key + "stale", std::to_string(paths[p].stale)});
    out.fields.push_back({key + "p50_us", std::to_string(percentile_us(paths[p].read_us, 50))});
    out.fields.push_back({key + "p99_us", std::to_string(percentile_us(paths[p].read_us, 99))});
  }
  out.corrupted = stale_with_fix > 0;
  out.summary = "reading the replica at once was stale " + with_commas(paths[0].stale) + " of " +
                with_commas(rounds) + " times; every fix read its own write " +
                (stale_with_fix == 0 ? "every time" : "NOT every time");
  return out;
}

} // namespace

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {{"sessions", 3, 1, 32, "how many sessions rename their own profile at once"},
                   {"rounds", 200, 1, 100'000, "how many renames (each followed by two reads)"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  ex.run_compare = run_compare;
  return ex;
}

} // namespace replica_lag
