// One PostgreSQL connection, as one stateless worker holds it. Under the thread explorer every
// statement is a scheduling point, like a dca::shared access: the explorer decides which worker
// sends its next statement, a statement that waits for a row lock marks its worker blocked (the
// explorer runs the others until the lock is released), and the trace shows each statement with
// the values it read or wrote. Outside an exploration it is a plain blocking libpq connection.
// Built on a statement_executor instead (a judged grading's subject), it holds no server
// connection: each statement goes to that executor, which answers it from elsewhere.
//   dca::services::pg_connection db{conninfo, "T1"};
//   db.exec("BEGIN");
//   auto stock = db.exec("SELECT stock FROM items WHERE sku = $1", sku).int_at(0, 0);
//   db.exec("UPDATE items SET stock = $1 WHERE sku = $2", stock - 1, sku);
//   db.exec("COMMIT");
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dca/explore/report.hpp"

namespace dca::services {

/// A statement's text and the line that issued it (the explorer's trace shows that line).
struct sql_text {
  // Implicit on purpose: callers write exec("SELECT ...") and the location comes for free.
  sql_text(const char* sql, // NOLINT(google-explicit-constructor)
           explore::source_location at = explore::source_location::current())
      : text(sql), where(at) {}
  const char* text;
  explore::source_location where;
};

/// An error the server reported, with its SQLSTATE: callers branch on it (retry a 40001).
struct sql_error : std::runtime_error {
  sql_error(std::string state, const std::string& message)
      : std::runtime_error(message), sqlstate(std::move(state)) {}
  std::string sqlstate;
  bool serialization_failure() const noexcept { return sqlstate == "40001"; }
  bool deadlock() const noexcept { return sqlstate == "40P01"; }
  bool unique_violation() const noexcept { return sqlstate == "23505"; }
};

/// What a statement returned: rows of text values, and its command tag.
class pg_result {
public:
  pg_result() = default;
  pg_result(std::vector<std::string> columns,
            std::vector<std::vector<std::optional<std::string>>> rows, std::string tag,
            std::int64_t affected);

  std::size_t rows() const noexcept { return rows_.size(); }
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  /// The value at (row, column); nullopt for SQL NULL. Asserts both are in range.
  const std::optional<std::string>& at(std::size_t row, std::size_t column) const;
  /// The value at (row, column) as an integer; throws std::runtime_error for NULL or non-numbers.
  std::int64_t int_at(std::size_t row, std::size_t column) const;
  /// The rows an INSERT, UPDATE or DELETE changed (0 for other statements).
  std::int64_t affected() const noexcept { return affected_; }
  /// The command tag: "UPDATE 1", "COMMIT", or "ROLLBACK" for a COMMIT of a failed transaction.
  const std::string& tag() const noexcept { return tag_; }

private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
  std::string tag_;
  std::int64_t affected_ = 0;
};

/// A statement parameter as libpq sends it: text, or SQL NULL.
using sql_param = std::optional<std::string>;

inline sql_param to_sql_param(const std::string& x) {
  return x;
}
inline sql_param to_sql_param(const char* x) {
  return std::string{x};
}
inline sql_param to_sql_param(std::nullopt_t) {
  return std::nullopt;
}
template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
sql_param to_sql_param(T x) {
  return std::to_string(x);
}

/// Where a pg_connection built without a server sends its statements: the statement relay of a
/// judged grading (dca/bridge/statement_relay.hpp) answers each from the judge's own connection.
/// exec answers the rows or throws sql_error, as a libpq connection does.
class statement_executor {
public:
  virtual ~statement_executor() = default;
  virtual pg_result exec(sql_text sql, const std::vector<sql_param>& params) = 0;
};

class pg_connection {
public:
  /// Connects. `name` ("T1", "worker 3") is how traces name this connection's transaction when
  /// another one waits for its row lock. Throws `unavailable` when the server does not answer.
  explicit pg_connection(const std::string& conninfo, std::string name = {});
  /// A connection with no server of its own: every statement goes to `executor`. Never a
  /// scheduling point here (the executor's side schedules it); make_idle is refused.
  pg_connection(std::unique_ptr<statement_executor> executor, std::string name);
  ~pg_connection();
  pg_connection(pg_connection&&) noexcept;
  pg_connection& operator=(pg_connection&&) noexcept;

  /// Runs one statement with $1, $2... bound to `params` (integers or strings). Throws sql_error
  /// when the server refuses it; under the explorer the refusal is in the trace too.
  template <class... Ts>
  pg_result exec(sql_text sql, const Ts&... params) {
    return exec_params(sql, {to_sql_param(params)...});
  }
  pg_result exec_params(sql_text sql, const std::vector<sql_param>& params);

  /// Back to idle, for a connection reused across explored schedules: cancels a statement still in
  /// flight (a schedule cut short while it waited for a lock), then rolls back an open
  /// transaction. Never a scheduling point. Call it before scratch::reset.
  void make_idle();

  /// The server process serving this connection (pg_stat_activity.pid).
  int backend_pid() const noexcept;
  const std::string& name() const noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace dca::services
