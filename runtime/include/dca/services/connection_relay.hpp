// Where a run space with no servers gets its connections (dca::services::scratch built in a judged
// grading's subject): the learner's code there asks the run space for connections as it does in
// process (`space->connect_redis("reader")`), and each one is built on an executor that this relay
// makes, which sends its statements or commands to the judge, where they run on the judge's own
// connections. The bridge makes the relay; the run space only asks it, once per connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dca/services/pg_connection.hpp"
#include "dca/services/redis_connection.hpp"

namespace dca::services {

/// The connection a relayed run space was asked for: the run space (the judge's name for it), the
/// name the learner's code gave the connection, and its number among the connections that run
/// space handed out, from 1 in the order asked. Names repeat (every reader of 06 asks for
/// "reader"), so the number is what tells one connection from another on the judge's side.
struct relayed_connection {
  std::string space;
  std::string name;
  std::uint64_t number = 0;
};

/// Makes the executor of each connection a relayed run space hands out: `primary` for connect,
/// `replica` for connect_replica, `redis` for connect_redis. Each must be set.
struct connection_relay {
  std::function<std::unique_ptr<statement_executor>(const relayed_connection&)> primary;
  std::function<std::unique_ptr<statement_executor>(const relayed_connection&)> replica;
  std::function<std::unique_ptr<redis_executor>(const relayed_connection&)> redis;
};

} // namespace dca::services
