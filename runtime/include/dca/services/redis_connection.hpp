// One Redis connection (hiredis, over the Unix socket). Under the thread explorer every command is
// a scheduling point, traced as "GET price:1: 100"; outside an exploration it is a plain blocking
// call. Blocking commands (BLPOP, XREAD BLOCK) would stall an explored schedule: poll instead.
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

/// What the trace shows of a reply: "nil", "OK", "42", "[3 items]", "ERR ...".
std::string to_string(const redis_reply& reply);

class redis_connection {
public:
  /// Connects to the socket; `name` is the connection's name in traces. Throws `unavailable`.
  explicit redis_connection(const std::string& socket_path, std::string name = {});
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
