// The PostgreSQL the runtime.es.postgres tests run against: the primary scripts/services runs
// (a ctest fixture starts it), and a database of their own, created fresh for each test process
// and dropped when it exits, so tests never see each other's journals.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <doctest/doctest.h>

#include "dca/es/errors.hpp"
#include "pg.hpp"

namespace dca::es::testing {

/// $DCA_PG_PRIMARY, else the primary's connection string from `scripts/services env`.
inline std::string admin_conninfo() {
  if (auto* env = std::getenv("DCA_PG_PRIMARY"))
    return env;
  std::string cmd = std::string{DCA_SERVICES_SCRIPT} + " env";
  std::string out;
  if (auto* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr)
      out += buf;
    ::pclose(p);
  }
  const std::string key = "export DCA_PG_PRIMARY='";
  auto at = out.find(key);
  if (at == std::string::npos)
    return {};
  at += key.size();
  return out.substr(at, out.find('\'', at) - at);
}

/// Runs `sql` on a connection to `conninfo`; fails the test with the server's message.
inline void exec_at(const std::string& conninfo, const std::string& sql) {
  auto conn = pg::connect(conninfo);
  REQUIRE_MESSAGE(conn, render(conn.error()));
  auto failure = pg::exec(conn->get(), sql.c_str(), "a test's statement");
  REQUIRE_MESSAGE(!failure, render(failure));
}

inline void admin_exec(const std::string& sql) {
  exec_at(admin_conninfo(), sql);
}

/// This process's own database, created on first use and dropped at exit.
class fresh_database {
public:
  static const fresh_database& get() {
    static fresh_database db;
    return db;
  }
  /// A connection string for the fresh database.
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }

  ~fresh_database() { // at exit, after doctest: no REQUIRE here, and a failure only leaks it
    auto conn = pg::connect(admin_conninfo());
    if (conn)
      pg::exec(conn->get(), ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str(), "drop");
  }

private:
  fresh_database() {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    name_ = "dca_test_" + std::to_string(::getpid()) + "_" + std::to_string(now % 1000000);
    admin_exec("CREATE DATABASE " + name_);
    conninfo_ = admin_conninfo() + " dbname=" + name_; // the last dbname wins in libpq
  }
  std::string name_;
  std::string conninfo_;
};

/// The fresh database with no journal in it (what an earlier test case of this process left is
/// dropped): each test case starts from an empty journal.
inline std::string empty_journal_database() {
  const auto& db = fresh_database::get();
  exec_at(db.conninfo(), "SET client_min_messages = warning; DROP TABLE IF EXISTS "
                         "dca_journal_schema, dca_events, dca_snapshots, "
                         "dca_streams, dca_positions, dca_shard_leases CASCADE");
  return db.conninfo();
}

/// Returns once `n` sessions of the database wait for a lock (a writer blocked behind another's
/// transaction), polling pg_stat_activity: the test waits for a state, it does not sleep for one.
inline void wait_for_lock_waiters(const std::string& conninfo, int n) {
  auto conn = pg::connect(conninfo);
  REQUIRE(conn);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  for (;;) {
    auto res = pg::exec(conn->get(),
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'",
                        pg::params{}, "reading pg_stat_activity");
    REQUIRE(res);
    if (pg::int64(res->get(), 0, 0) >= n)
      return;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                    "no session waited for the lock within 30 s");
  }
}

} // namespace dca::es::testing
