// Small RAII wrappers over the SQLite C API, shared by the journal, the projections and the
// `dca journal` command: a connection, a prepared statement, and errors that name the file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "dca/es/journal.hpp"

namespace dca::es::sql {

struct db_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

/// An owned connection.
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

/// Maps a SQLite result code to one of our errors, naming `path` and what was being done.
caf::error to_error(int rc, sqlite3* db, const std::string& path, std::string_view doing);

/// Runs SQL without results (pragmas, DDL, BEGIN/COMMIT).
caf::error exec(sqlite3* db, const char* sql, const std::string& path);

/// One prepared statement. Columns and parameters are 0-based / 1-based as in SQLite.
class statement {
public:
  statement() = default;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  statement& operator=(statement&& other) noexcept;
  ~statement() { sqlite3_finalize(stmt_); }

  /// Prepares `sql` on `db`.
  static caf::error prepare(sqlite3* db, const char* sql, statement& out, const std::string& path);

  void bind(int i, std::int64_t x) { sqlite3_bind_int64(stmt_, i, x); }
  void bind(int i, std::string_view x) {
    sqlite3_bind_text(stmt_, i, x.data(), static_cast<int>(x.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int i, const std::vector<char>& x) {
    sqlite3_bind_blob(stmt_, i, x.data(), static_cast<int>(x.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) { sqlite3_bind_null(stmt_, i); }

  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  std::vector<char> blob(int col) const;
  /// Views into the current row: valid until the next step or reset.
  std::string_view text_view(int col) const;
  byte_view blob_view(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  sqlite3_stmt* get() const noexcept { return stmt_; }

private:
  sqlite3_stmt* stmt_ = nullptr;
};

} // namespace dca::es::sql
