// Small RAII wrappers over libpq, shared by the PostgreSQL journal, the shard leases and
// `dca journal --postgres`: a connection, a result, statements with parameters, a binary COPY
// writer, and errors that say which server and what was being done. Private to the library.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dca::es::pg {

struct conn_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_clearer {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};

/// An owned connection and an owned result.
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

/// How long the server lets one of our sessions sit idle inside a transaction before it ends it.
constexpr int idle_in_transaction_ms = 3000;
/// How long one of our statements may run or wait for a lock. Not a COPY waiting for its data:
/// the server does not cancel that wait (pg_schema::end_stalled_copies_sql ends such sessions).
constexpr int statement_ms = 5000;

/// Connects to `conninfo`; errc::journal_io naming the server and libpq's reason when it cannot.
caf::expected<conn_ptr> connect(const std::string& conninfo);

/// The server a connection string points at, for messages ("/run/pg:5432 db x").
std::string describe(PGconn* conn);

/// errc::journal_io: "postgres <server>: <doing>: <libpq's message>" on one line.
caf::error to_error(PGconn* conn, const PGresult* res, std::string_view doing);

/// The SQLSTATE of a unique violation.
constexpr const char* unique_violation = "23505";

/// The SQLSTATE of a failed result ("" when none), e.g. "23505" for a unique violation.
std::string sqlstate(const PGresult* res);

/// Parameters of one statement, all sent as text except bytea ones (binary: no escaping).
class params {
public:
  params& text(std::string_view x);
  params& int64(std::int64_t x);
  params& bytes(const std::vector<char>& x);
  params& null();

  int size() const noexcept { return static_cast<int>(values_.size()); }

private:
  friend caf::expected<result_ptr> exec(PGconn*, const char*, const params&, std::string_view);
  std::vector<std::string> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<bool> nulls_;
};

/// Runs `sql` with `args` (no parameters: the simple protocol, several statements allowed);
/// the result when it succeeded (rows or a command), else an error naming `doing`.
caf::expected<result_ptr> exec(PGconn* conn, const char* sql, const params& args,
                               std::string_view doing);
caf::error exec(PGconn* conn, const char* sql, std::string_view doing);

// -- reading results (text format) ----------------------------------------------------------------

std::int64_t int64(const PGresult* res, int row, int col);
std::string_view text(const PGresult* res, int row, int col);
bool is_null(const PGresult* res, int row, int col);
/// A bytea column in hex output format ("\x0a1b...") decoded.
std::vector<char> bytes(const PGresult* res, int row, int col);

/// A PostgreSQL array literal of `xs` ({"a","b\"c"}), for unnest($1::text[]).
std::string text_array(const std::vector<std::string_view>& xs);
std::string int64_array(const std::vector<std::int64_t>& xs);

/// COPY ... FROM STDIN (FORMAT binary): rows built in memory, sent in one piece at `finish`.
class binary_copy {
public:
  /// Starts a row of `fields` columns.
  void row(std::int16_t fields);
  void int64(std::int64_t x);
  void text(std::string_view x);
  void bytes(const std::vector<char>& x);
  void null();
  std::size_t rows() const noexcept { return rows_; }
  /// Runs `copy_sql` (a COPY ... FROM STDIN (FORMAT binary)) and sends the rows. A unique
  /// violation is errc::sequence_conflict (a row some other writer wrote first), anything else
  /// errc::journal_io.
  caf::error finish(PGconn* conn, const char* copy_sql, std::string_view doing);
  void clear();

private:
  void raw(const void* data, std::size_t size);
  std::vector<char> buf_;
  std::size_t rows_ = 0;
};

} // namespace dca::es::pg
