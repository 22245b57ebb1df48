// Where this checkout's servers are: the PostgreSQL primary, its streaming replica and Redis, all
// on Unix sockets under the checkout's .dca/services (scripts/services), and its etcd cluster.
// Every exercise and test reaches the servers through here, so they are started on demand in one
// place, and a failure is one line naming the service and what to run.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dca::services {

/// How to reach the three servers.
struct endpoints {
  std::string primary;        // libpq connection string: "host=/.../pg-primary port=5432 ..."
  std::string replica;        // the same for the streaming replica (read only, may lag)
  std::string redis_socket;   // the path of Redis's Unix socket
  std::string redis_password; // what Redis wants in AUTH: a grading slot's own; empty: none
};

/// A server could not be started or reached. what() is one line: the service, what failed, and
/// what to run ("services: postgres primary did not start (see ...): try scripts/services ...").
struct unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The servers, started if they are not running (once per process; later calls are free).
/// DCA_PG_PRIMARY, DCA_PG_REPLICA and DCA_REDIS_SOCKET, when all three are set (as
/// `eval "$(scripts/services env)"` or a grading slot sets them), are taken as they are, with
/// DCA_REDIS_PASSWORD (a grading slot's Redis wants one; the checkout's has none).
/// Otherwise the checkout's scripts/services starts them: the checkout is DCA_CHECKOUT, else the
/// one this program was built from. Throws `unavailable`.
const endpoints& require();

/// The client URLs of this checkout's 3-member etcd cluster ("http://127.0.0.1:port"), started if
/// it is not running (once per process): DCA_ETCD_ENDPOINTS (comma-separated) when set, else the
/// checkout's `scripts/services start --only etcd`. Throws `unavailable` (etcd not installed, a
/// port taken, no leader within the start's bound).
const std::vector<std::string>& etcd_endpoints();

/// The servers if they already run, never starting them (for a run that must say how to start
/// them instead): the environment when it names all three, else this checkout's, found by their
/// pid files and sockets. nullopt when the primary, the replica or Redis is not running.
std::optional<endpoints> if_running();

/// The etcd members' client URLs if any member of this checkout's cluster runs, never starting
/// one: DCA_ETCD_ENDPOINTS when set, else `scripts/services env`'s. nullopt when no member runs.
/// Whether they have a quorum is a question for etcd itself.
std::optional<std::vector<std::string>> etcd_endpoints_if_running();

/// The libpq connection string `conninfo` with its dbname replaced by `dbname`.
std::string with_dbname(const std::string& conninfo, const std::string& dbname);

/// The database the endpoints' primary names: "postgres" for the kit's own runs, a grading slot's
/// home database in a slot (its role may connect to no other it does not own). Monitors and
/// admin connections go there, never into a run's scratch database.
std::string home_database();

} // namespace dca::services
