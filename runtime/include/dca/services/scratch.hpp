// A run's own corner of the servers: a PostgreSQL database on the primary (replicated to the
// replica like any write) and a Redis key prefix of the same name, held by this run alone, so two
// runs, two checkouts or two grading slots never see each other's data. It starts empty; reset()
// puts both back to a known state before each explored schedule. The database is kept for the
// next run to claim (creating one costs a second); `scripts/services destroy` removes them all.
//   dca::services::scratch space{"ex05"};                  // starts the servers on demand
//   space.reset("CREATE TABLE items (sku int PRIMARY KEY, stock int); INSERT ...");
//   auto db = space.connect("T1");                          // a pg_connection to it
// In a judged grading's subject, the learner's code gets a relayed run space instead: the judge's
// run space's name and no servers, its connections relayed to the judge (connection_relay.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "dca/services/connection_relay.hpp"
#include "dca/services/pg_connection.hpp"
#include "dca/services/redis_connection.hpp"

namespace dca::services {

class scratch {
public:
  /// Claims the first database "dca_<purpose>_<slot>_<k>" (slot: DCA_SLOT, else "local") that no
  /// other run holds, creating it when needed, and empties it. Throws `unavailable`.
  explicit scratch(const std::string& purpose);
  /// A relayed run space, for a judged grading's subject, which has no servers and no environment:
  /// `judge_name` is the name of the judge's run space it stands for (so key() gives the judge's
  /// key names), and every connection it hands out is built on an executor `relay` makes (the
  /// bridge's, which runs each statement and command on the judge's connection). It claims and
  /// connects to nothing. reset, primary, replica and redis_socket are refused (std::logic_error):
  /// the judge's run space is reset by the judge, and its servers are the judge's alone.
  scratch(std::string judge_name, connection_relay relay);
  ~scratch();
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  const std::string& name() const noexcept { return name_; }
  std::string primary() const; // connection strings to this database
  std::string replica() const;
  const std::string& redis_socket() const;
  /// `key` inside this run's Redis prefix ("dca_ex05_..:price:1").
  std::string key(const std::string& key) const { return name_ + ':' + key; }

  /// Ends every session in the database that is inside a transaction and not one of this
  /// process's pg_connections (an earlier run's, stopped while it held locks; idle sessions are
  /// left alone: they hold none), rolls back its prepared transactions (two-phase commit's
  /// in-doubt ones, left by an earlier run: one line on stderr each), empties its public schema,
  /// runs `setup_sql` (statements separated by ';'), and deletes this run's Redis keys. Connections
  /// kept across schedules must be made idle first (pg_connection::make_idle).
  void reset(const std::string& setup_sql);

  /// The same, faster when `schema_sql` is what the last reset created: then the tables are only
  /// truncated, and `rows_sql` fills them again (tens of milliseconds less per schedule).
  void reset(const std::string& schema_sql, const std::string& rows_sql);

  pg_connection connect(std::string connection_name) const;
  pg_connection connect_replica(std::string connection_name) const;
  redis_connection connect_redis(std::string connection_name) const;

  /// Whether this run space relays its connections (built with a connection_relay).
  bool relayed() const noexcept { return relay_.has_value(); }

private:
  void reset_redis(redis_connection& redis) const;
  void roll_back_in_doubt();
  relayed_connection next_relayed(std::string connection_name) const;
  void refuse_if_relayed(const char* what) const;

  std::string name_;
  std::optional<connection_relay> relay_;
  mutable std::atomic<std::uint64_t> relayed_count_{0};
  std::optional<pg_connection> admin_; // to the home database: holds our claim (not when relayed)
  std::optional<pg_connection> owner_; // to ours: empties it and sets it up
  std::optional<redis_connection> redis_;
  std::optional<std::string> schema_; // what the last reset created
};

} // namespace dca::services
