// One Redis connection (hiredis, over the Unix socket). Under the thread explorer every command is
// a scheduling point, traced as "GET price:1: 100"; outside an exploration it is a plain blocking
// call. Blocking commands (BLPOP, XREAD BLOCK) would stall an explored schedule: poll instead.
// Built on a redis_executor instead (a judged grading's subject), it holds no server connection:
// each command goes to that executor, which answers it from elsewhere.
//   auto r = space.connect_redis("reader");
//   auto v = r.command({"GET", space.key("price:1")});   // v.is_nil(), v.text
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dca/explore/report.hpp"

namespace dca::services {

/// A Redis reply as a value: nil, an integer, a string (bulk or status), an array, or an error.
struct redis_reply {
  enum class kind { nil, integer, text, status, array, error };
  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string text; // the string, status or error message
  std::vector<redis_reply> elements;

  bool is_nil() const noexcept { return type == kind::nil; }
  bool is_error() const noexcept { return type == kind::error; }
};

/// Whether two replies are the same value: kind, integer, text and elements alike.
bool operator==(const redis_reply& x, const redis_reply& y);
inline bool operator!=(const redis_reply& x, const redis_reply& y) {
  return !(x == y);
}

/// What the trace shows of a reply: "nil", "OK", "42", "[3 items]", "ERR ...".
std::string to_string(const redis_reply& reply);

/// Where a redis_connection built without a server sends its commands: in a judged grading's
/// subject, a relay that has the judge run each on its own connection (redis_encoding.hpp is how
/// a command and its reply cross). command answers the reply, an error reply as a value as a
/// server connection does, or throws as a lost connection does.
class redis_executor {
public:
  virtual ~redis_executor() = default;
  virtual redis_reply command(const std::vector<std::string>& argv,
                              explore::source_location where) = 0;
};

class redis_connection {
public:
  /// Connects to the socket, then sends AUTH `password` unless it is empty (a grading slot's
  /// Redis has one: endpoints::redis_password). `name` is the connection's name in traces.
  /// Throws `unavailable` when the server does not answer or refuses the password.
  explicit redis_connection(const std::string& socket_path, std::string name = {},
                            const std::string& password = {});
  /// A connection with no server of its own: every command goes to `executor`. Never a
  /// scheduling point here (the executor's side schedules it).
  redis_connection(std::unique_ptr<redis_executor> executor, std::string name);
  ~redis_connection();
  redis_connection(redis_connection&&) noexcept;
  redis_connection& operator=(redis_connection&&) noexcept;

  /// Runs one command, e.g. {"SET", key, value, "PX", "500"}. A reply of type error is returned,
  /// not thrown (a Lua script may refuse on purpose); a lost connection throws `unavailable`.
  redis_reply command(const std::vector<std::string>& argv,
                      explore::source_location where = explore::source_location::current());

  const std::string& name() const noexcept { return name_; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string name_;
};

} // namespace dca::services
