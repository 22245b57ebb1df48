// A libpq connection whose statements are scheduling points under the thread explorer. A statement
// is sent asynchronously (PQsendQueryParams), then we wait until it has either answered or is
// waiting for a lock held by another explored connection (pg_blocking_pids): only then does the
// explorer go on, so every schedule replays exactly.
#include "dca/services/pg_connection.hpp"

#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <poll.h>
#include <stdexcept>

#include "dca/assert.hpp"
#include "dca/explore/detail/hooks.hpp"
#include "dca/services/endpoints.hpp"
#include "lock_waits.hpp"
#include "statement_text.hpp"

namespace dca::services {

namespace {

namespace hooks = explore::detail;

/// How long a statement may run without answering or waiting for a lock before we give up: a
/// bound on our own wait, not a timing assumption (statements here take well under a millisecond).
constexpr auto statement_settle_max = std::chrono::seconds(20);
/// The same bound under the thread explorer, which holds its scheduler for the statement's thread
/// and calls a thread that keeps it 10 s "silent": below that, a stuck statement is reported as
/// itself (its text, its thread) instead of as a thread blocked on something invisible.
constexpr auto explored_statement_settle_max = std::chrono::seconds(8);

/// Every statement acts on the one server: for partial-order reduction, all are dependent.
const char postgres_server = 0;

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string error_field(const PGresult* r, int field) {
  const char* value = PQresultErrorField(r, field);
  return value == nullptr ? std::string{} : std::string{value};
}

[[noreturn]] void throw_lost(PGconn* conn) {
  throw unavailable{"services: the postgres connection was lost (" +
                    first_line(PQerrorMessage(conn)) + "): run scripts/services status"};
}

/// A finished statement as a value, or its error thrown as sql_error.
pg_result to_result(PGconn* conn, result_ptr r) {
  if (!r)
    throw_lost(conn);
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    auto state = error_field(r.get(), PG_DIAG_SQLSTATE);
    if (state.empty())
      throw_lost(conn);
    throw sql_error{state, state + ": " + error_field(r.get(), PG_DIAG_MESSAGE_PRIMARY)};
  }
  std::vector<std::string> columns;
  for (int c = 0; c < PQnfields(r.get()); ++c)
    columns.emplace_back(PQfname(r.get(), c));
  std::vector<std::vector<std::optional<std::string>>> rows(
      static_cast<std::size_t>(PQntuples(r.get())));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int c = 0; c < PQnfields(r.get()); ++c) {
      auto row = static_cast<int>(i);
      rows[i].push_back(PQgetisnull(r.get(), row, c) != 0
                            ? std::nullopt
                            : std::optional<std::string>{PQgetvalue(r.get(), row, c)});
    }
  std::string affected = PQcmdTuples(r.get());
  return {std::move(columns), std::move(rows), PQcmdStatus(r.get()),
          affected.empty() ? 0 : std::stoll(affected)};
}

/// libpq's view of the parameters: pointers into `params`, null for SQL NULL.
std::vector<const char*> param_values(const std::vector<sql_param>& params) {
  std::vector<const char*> out;
  for (const auto& p : params)
    out.push_back(p ? p->c_str() : nullptr);
  return out;
}

/// The last result of what was sent (a statement has one; earlier ones are skipped).
result_ptr take_result(PGconn* conn) {
  result_ptr last;
  while (PGresult* r = PQgetResult(conn))
    last.reset(r);
  return last;
}

} // namespace

struct pg_connection::impl {
  PGconn* conn = nullptr;
  std::unique_ptr<statement_executor> relay; // set instead of conn: statements go there
  std::string name;
  int pid = 0;
  std::string label; // the statement in flight, as the trace names it ("UPDATE items")

  ~impl() {
    if (pid != 0)
      lock_waits::forget(pid);
    if (conn != nullptr)
      PQfinish(conn);
  }

  /// Waits (bounded) until the statement sent has answered, or waits for a lock of one of ours.
  /// Returns who holds that lock; empty when the answer is there.
  std::vector<int> settle(std::chrono::seconds bound = statement_settle_max) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      if (PQconsumeInput(conn) == 0)
        throw_lost(conn);
      if (PQisBusy(conn) == 0)
        return {};
      auto holders = lock_waits::holders_of(pid);
      if (!holders.empty())
        return holders;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error{"a statement neither answered nor waited for a lock in " +
                                 std::to_string(bound.count()) + " s: " + label};
      pollfd fd{PQsocket(conn), POLLIN, 0};
      ::poll(&fd, 1, 2);
    }
  }

  /// Without parameters the simple protocol runs it, so a script of several statements works.
  int send(const char* sql, const std::vector<sql_param>& params) {
    if (params.empty())
      return PQsendQuery(conn, sql);
    auto values = param_values(params);
    return PQsendQueryParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, 0);
  }

  pg_result explored(hooks::thread_context& self, sql_text sql,
                     const std::vector<sql_param>& params);
};

/// The explorer's view of a statement waiting for a row lock: ready once it has answered.
class statement_wait final : public hooks::wait_condition {
public:
  explicit statement_wait(pg_connection::impl& c) : c_(c) {}
  bool ready() override {
    if (answered_)
      return true;
    answered_ = c_.settle(explored_statement_settle_max).empty();
    return answered_;
  }

private:
  pg_connection::impl& c_;
  bool answered_ = false;
};

pg_result pg_connection::impl::explored(hooks::thread_context& self, sql_text sql,
                                        const std::vector<sql_param>& params) {
  label = statement_label(sql.text);
  hooks::before(self, hooks::op_kind::statement, &postgres_server, label.c_str(), sql.where);
  if (send(sql.text, params) == 0)
    throw_lost(conn);
  if (auto holders = settle(explored_statement_settle_max); !holders.empty()) {
    hooks::record(self, "waits for " + lock_waits::names_of(holders));
    statement_wait until{*this};
    hooks::before_wait(self, until, &postgres_server, label.c_str(), sql.where);
  }
  try {
    auto out = to_result(conn, take_result(conn));
    hooks::record(self, statement_value(sql.text, params, out));
    return out;
  } catch (const sql_error& e) {
    hooks::record(self, error_value(e.sqlstate));
    throw;
  }
}

pg_connection::pg_connection(const std::string& conninfo, std::string name)
    : impl_(std::make_unique<impl>()) {
  impl_->name = std::move(name);
  impl_->conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(impl_->conn) != CONNECTION_OK)
    throw unavailable{"services: postgres does not answer at '" + conninfo + "' (" +
                      first_line(PQerrorMessage(impl_->conn)) + "): run scripts/services start"};
  impl_->pid = PQbackendPID(impl_->conn);
  // Notices ("drop cascades to table items") are the server talking to itself, not to learners.
  PQsetNoticeProcessor(
      impl_->conn, [](void*, const char*) {}, nullptr);
  // A server-side deadlock shows within a tenth of a second, not the default second: explored
  // schedules wait for the server's verdict (40P01) instead of guessing it.
  result_ptr{PQexec(impl_->conn, "SET deadlock_timeout = '100ms'")};
  lock_waits::remember(impl_->pid, impl_->name, conninfo);
}

pg_connection::pg_connection(std::unique_ptr<statement_executor> executor, std::string name)
    : impl_(std::make_unique<impl>()) {
  DCA_ASSERT_MSG(executor != nullptr, "a relayed pg_connection needs an executor");
  impl_->relay = std::move(executor);
  impl_->name = std::move(name);
}

pg_connection::~pg_connection() = default;
pg_connection::pg_connection(pg_connection&&) noexcept = default;
pg_connection& pg_connection::operator=(pg_connection&&) noexcept = default;

pg_result pg_connection::exec_params(sql_text sql, const std::vector<sql_param>& params) {
  DCA_ASSERT_MSG(impl_ != nullptr, "a moved-from pg_connection");
  if (impl_->relay) // decided at construction: a libpq connection never takes this branch
    return impl_->relay->exec(sql, params);
  if (auto* self = hooks::current_thread)
    return impl_->explored(*self, sql, params);
  if (impl_->send(sql.text, params) == 0)
    throw_lost(impl_->conn);
  return to_result(impl_->conn, take_result(impl_->conn));
}

void pg_connection::make_idle() {
  if (impl_->relay)
    throw std::logic_error{"make_idle on a relayed connection: its server connection is the "
                           "judge's, which makes it idle itself"};
  auto* conn = impl_->conn;
  if (PQconsumeInput(conn) == 0)
    throw_lost(conn);
  if (PQisBusy(conn) != 0) {
    std::array<char, 256> why{};
    PGcancel* cancel = PQgetCancel(conn);
    PQcancel(cancel, why.data(), static_cast<int>(why.size()));
    PQfreeCancel(cancel);
  }
  take_result(conn); // the cancelled statement's error, or its late answer
  if (PQtransactionStatus(conn) != PQTRANS_IDLE)
    result_ptr{PQexec(conn, "ROLLBACK")};
  if (PQstatus(conn) != CONNECTION_OK)
    throw_lost(conn);
}

int pg_connection::backend_pid() const noexcept {
  return impl_->pid;
}

const std::string& pg_connection::name() const noexcept {
  return impl_->name;
}

pg_result::pg_result(std::vector<std::string> columns,
                     std::vector<std::vector<std::optional<std::string>>> rows, std::string tag,
                     std::int64_t affected)
    : columns_(std::move(columns)), rows_(std::move(rows)), tag_(std::move(tag)),
      affected_(affected) {}

const std::optional<std::string>& pg_result::at(std::size_t row, std::size_t column) const {
  DCA_ASSERT_MSG(row < rows_.size(), "a row the result does not have");
  DCA_ASSERT_MSG(column < columns_.size(), "a column the result does not have");
  return rows_[row][column];
}

std::int64_t pg_result::int_at(std::size_t row, std::size_t column) const {
  const auto& value = at(row, column);
  if (!value)
    throw std::runtime_error{"column " + columns_[column] + " is NULL, not an integer"};
  std::size_t used = 0;
  auto out = std::stoll(*value, &used);
  if (used != value->size())
    throw std::runtime_error{"column " + columns_[column] + " is '" + *value + "', not an integer"};
  return out;
}

} // namespace dca::services
