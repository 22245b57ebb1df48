// dca::services against the real servers (scripts/services, started on demand): a scratch database
// per run, statements with parameters and SQLSTATEs, and the thread explorer scheduling statements,
// with a row-lock wait seen as blocked and a server-detected deadlock shown as 40P01.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <sys/wait.h>
#include <unistd.h>

#include "dca/explore/explorer.hpp"
#include "dca/services/scratch.hpp"

namespace {

using dca::services::pg_connection;
using dca::services::scratch;
using dca::services::sql_error;

const char* const stock_table = "CREATE TABLE items (sku int PRIMARY KEY, stock int NOT NULL); "
                                "INSERT INTO items VALUES (42, 1), (43, 1)";

/// A buyer's read-modify-write, the oversell in its smallest form.
bool buy(pg_connection& db) {
  db.exec("BEGIN");
  auto stock = db.exec("SELECT stock FROM items WHERE sku = $1", 42).int_at(0, 0);
  if (stock > 0)
    db.exec("UPDATE items SET stock = $1 WHERE sku = $2", stock - 1, 42);
  db.exec("COMMIT");
  return stock > 0;
}

struct two_buyers {
  std::shared_ptr<scratch> space = std::make_shared<scratch>("test");

  dca::explore::thread_execution_factory factory() {
    return [space = space] {
      space->reset(stock_table);
      auto sold = std::make_shared<int>(0);
      dca::explore::thread_execution exec;
      for (const char* name : {"T1", "T2"}) {
        auto db = std::make_shared<pg_connection>(space->connect(name));
        exec.threads.push_back({name, [db, sold] { *sold += buy(*db) ? 1 : 0; }});
      }
      exec.check = [space, sold](const auto&) -> std::optional<std::string> {
        auto left = space->connect("check").exec("SELECT stock FROM items WHERE sku = 42");
        if (*sold - (1 - left.int_at(0, 0)) > 0)
          return "oversold: " + std::to_string(*sold) + " sold from a stock of 1";
        return std::nullopt;
      };
      return exec;
    };
  }
};

/// A session of another process in `space`'s database (an earlier run stopped mid-transaction, the
/// instructor's psql): a child that connects, runs `sql` and waits until it is killed.
struct other_session {
  pid_t child = -1;
  int backend = 0; // its backend's pid

  other_session(const scratch& space, const char* sql) {
    int report[2];
    REQUIRE(::pipe(report) == 0);
    child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) { // no doctest, no destructors here: the parent's connections are not ours
      try {
        auto db = space.connect("other");
        if (*sql != '\0')
          db.exec_params(sql, {});
        int pid = db.backend_pid();
        if (::write(report[1], &pid, sizeof pid) == sizeof pid)
          ::pause();
      } catch (...) {
      }
      ::_exit(1);
    }
    ::close(report[1]);
    auto got = ::read(report[0], &backend, sizeof backend);
    ::close(report[0]);
    REQUIRE(got == sizeof backend);
  }
  ~other_session() {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  other_session(const other_session&) = delete;
  other_session& operator=(const other_session&) = delete;
};

std::string trace_text(const dca::explore::report& r) {
  std::string out;
  for (const auto& s : r.trace)
    out += r.actors[static_cast<std::size_t>(s.actor)] + ' ' + s.operation + ": " + s.value + '\n';
  return out;
}

} // namespace

TEST_CASE("a scratch database is the run's own and reset empties it") {
  scratch a{"test"}, b{"test"};
  CHECK(a.name() != b.name());
  a.reset(stock_table);
  b.reset("CREATE TABLE items (sku int PRIMARY KEY, stock int NOT NULL)");
  auto in_a = a.connect("a"), in_b = b.connect("b");
  CHECK(in_a.exec("SELECT count(*) FROM items").int_at(0, 0) == 2);
  CHECK(in_b.exec("SELECT count(*) FROM items").int_at(0, 0) == 0);
  in_a.exec("UPDATE items SET stock = 0");
  a.reset(stock_table);
  CHECK(a.connect("again").exec("SELECT sum(stock) FROM items").int_at(0, 0) == 2);
}

TEST_CASE("a reset ends another process's session that holds a lock, and leaves an idle one") {
  scratch space{"test"};
  space.reset(stock_table);
  other_session holder{space, "BEGIN; UPDATE items SET stock = 5 WHERE sku = 42"};
  other_session idle{space, ""};
  space.reset(stock_table); // the holder's lock would keep its DROP waiting for ever
  auto db = space.connect("check");
  auto alive = [&db](int pid) {
    return db.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).int_at(0, 0) == 1;
  };
  CHECK_FALSE(alive(holder.backend));
  CHECK(alive(idle.backend));
  CHECK(db.exec("SELECT sum(stock) FROM items").int_at(0, 0) == 2);
}

TEST_CASE("statements take parameters and a refused one carries its SQLSTATE") {
  scratch space{"test"};
  space.reset(stock_table);
  auto db = space.connect("T1");
  auto r = db.exec("UPDATE items SET stock = stock + $1 WHERE sku = $2", 5, 42);
  CHECK(r.affected() == 1);
  CHECK(db.exec("SELECT stock FROM items WHERE sku = $1", 42).int_at(0, 0) == 6);
  try {
    db.exec("INSERT INTO items VALUES ($1, $2)", 42, 0);
    FAIL("a duplicate key was accepted");
  } catch (const sql_error& e) {
    CHECK(e.unique_violation());
  }
}

TEST_CASE("the explorer finds the read committed oversell and replays it exactly") {
  two_buyers scenario;
  auto found = dca::explore::explore_threads(scenario.factory());
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  CHECK(found.verdict == "oversold: 2 sold from a stock of 1");
  auto text = trace_text(found);
  CHECK(text.find("T1 SELECT items: stock=1") != std::string::npos);
  CHECK(text.find("T2 SELECT items: stock=1") != std::string::npos);
  dca::explore::options replay;
  replay.replay = found.failing_schedule;
  auto again = dca::explore::explore_threads(scenario.factory(), replay);
  CHECK(again.result == dca::explore::outcome::invariant_broken);
  CHECK(trace_text(again) == text);
}

TEST_CASE("an update that waits for a row lock blocks its thread until the holder commits") {
  two_buyers scenario;
  auto buyers = scenario.factory();
  // The invariant here is "nobody waited": the explorer reports the first schedule with a wait.
  auto make = [buyers] {
    auto exec = buyers();
    exec.check = [](const std::vector<dca::explore::step>& trace) -> std::optional<std::string> {
      for (const auto& s : trace)
        if (s.value.rfind("waits for", 0) == 0)
          return "waited";
      return std::nullopt;
    };
    return exec;
  };
  auto found = dca::explore::explore_threads(make);
  REQUIRE(found.result == dca::explore::outcome::invariant_broken);
  auto text = trace_text(found);
  INFO(text);
  // T1 holds the row after its UPDATE; T2's UPDATE waits, and runs once T1 has committed: the
  // wait is one step, the update another, after T1's COMMIT.
  auto waits = text.find("T2 UPDATE items: waits for T1");
  auto commit = text.find("T1 COMMIT", waits);
  auto updated = text.find("T2 UPDATE items: stock=0", commit); // the lost update
  CHECK(waits != std::string::npos);
  CHECK(commit != std::string::npos);
  CHECK(updated != std::string::npos);
}

TEST_CASE("select for update at read committed sells the stock once under every schedule") {
  two_buyers scenario;
  auto make = [space = scenario.space] {
    space->reset(stock_table);
    auto sold = std::make_shared<int>(0);
    dca::explore::thread_execution exec;
    for (const char* name : {"T1", "T2"}) {
      auto db = std::make_shared<pg_connection>(space->connect(name));
      exec.threads.push_back({name, [db, sold] {
                                db->exec("BEGIN");
                                auto r = db->exec(
                                    "SELECT stock FROM items WHERE sku = $1 FOR UPDATE", 42);
                                if (r.int_at(0, 0) > 0) {
                                  db->exec("UPDATE items SET stock = stock - 1 WHERE sku = 42");
                                  ++*sold;
                                }
                                db->exec("COMMIT");
                              }});
    }
    exec.check = [sold](const auto&) -> std::optional<std::string> {
      if (*sold != 1)
        return std::to_string(*sold) + " sold";
      return std::nullopt;
    };
    return exec;
  };
  // The verdict is the whole search's: a loaded machine or TSan (each schedule connects twice and
  // resets the database) must make it slower, not cut it short at the default 20 s.
  dca::explore::options opts;
  opts.time_limit = std::chrono::minutes{5};
  auto r = dca::explore::explore_threads(make, opts);
  CHECK(r.result == dca::explore::outcome::clean);
  CHECK(r.search_exhausted);
  CHECK(r.schedules_explored > 1);
}

TEST_CASE("a deadlock between two transactions shows as the server's 40P01") {
  scratch space{"test"};
  auto make = [&] {
    space.reset(stock_table);
    auto errors = std::make_shared<std::vector<std::string>>();
    dca::explore::thread_execution exec;
    auto body = [errors](std::shared_ptr<pg_connection> db, int first, int second) {
      db->exec("BEGIN");
      try {
        db->exec("UPDATE items SET stock = 0 WHERE sku = $1", first);
        db->exec("UPDATE items SET stock = 0 WHERE sku = $1", second);
        db->exec("COMMIT");
      } catch (const sql_error& e) {
        errors->push_back(e.sqlstate);
        db->exec("ROLLBACK");
      }
    };
    auto t1 = std::make_shared<pg_connection>(space.connect("T1"));
    auto t2 = std::make_shared<pg_connection>(space.connect("T2"));
    exec.threads.push_back({"T1", [=] { body(t1, 42, 43); }});
    exec.threads.push_back({"T2", [=] { body(t2, 43, 42); }});
    exec.check = [errors](const auto&) -> std::optional<std::string> {
      if (!errors->empty())
        return "aborted with " + errors->front();
      return std::nullopt;
    };
    return exec;
  };
  auto r = dca::explore::explore_threads(make);
  REQUIRE(r.result == dca::explore::outcome::invariant_broken);
  CHECK(r.verdict == "aborted with 40P01");
  CHECK(trace_text(r).find("40P01 deadlock") != std::string::npos);
}

TEST_CASE("an explored statement that never settles is reported as itself, not as a silent "
          "thread") {
  // pg_sleep answers after 12 s: past the explorer's silent-thread limit (10 s), which used to
  // fire first and blame an invisible block; the explored statement bound (8 s) now fires before.
  scratch space{"test"};
  auto make = [&] {
    space.reset(stock_table);
    dca::explore::thread_execution exec;
    auto db = std::make_shared<pg_connection>(space.connect("T1"));
    exec.threads.push_back({"T1", [db] { db->exec("SELECT pg_sleep(12)"); }});
    return exec;
  };
  auto r = dca::explore::explore_threads(make);
  REQUIRE(r.result == dca::explore::outcome::crashed);
  CHECK(r.verdict.find("T1 threw: a statement neither answered nor waited for a lock in 8 s") !=
        std::string::npos);
}

TEST_CASE("redis commands are scheduling points with their replies in the trace") {
  scratch space{"test"};
  auto make = [&] {
    space.reset("");
    dca::explore::thread_execution exec;
    for (const char* name : {"T1", "T2"}) {
      auto r = std::make_shared<dca::services::redis_connection>(space.connect_redis(name));
      exec.threads.push_back({name, [r, &space] {
                                auto seen = r->command({"GET", space.key("n")});
                                auto n = seen.is_nil() ? 0 : std::stoi(seen.text);
                                r->command({"SET", space.key("n"), std::to_string(n + 1)});
                              }});
    }
    exec.check = [&space](const auto&) -> std::optional<std::string> {
      auto n = space.connect_redis("check").command({"GET", space.key("n")});
      if (n.text != "2")
        return "n is " + n.text;
      return std::nullopt;
    };
    return exec;
  };
  auto r = dca::explore::explore_threads(make);
  REQUIRE(r.result == dca::explore::outcome::invariant_broken);
  CHECK(r.verdict == "n is 1");
  CHECK(trace_text(r).find("T2 GET n: nil") != std::string::npos);
}
