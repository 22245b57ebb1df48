// SQLite helpers: statements and errors that say which file failed and how.
#include "dca/es/sqlite.hpp"

#include "dca/es/errors.hpp"

namespace dca::es::sql {

caf::error to_error(int rc, sqlite3* db, const std::string& path, std::string_view doing) {
  auto primary = rc & 0xff;
  std::string what = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  auto detail = path + ": " + what + " (while " + std::string{doing} + ")";
  switch (primary) {
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return make_error(errc::journal_corrupt, path + ": corrupt or not a database: " + what);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return make_error(errc::journal_locked, path + ": locked by another process (" + what + ")");
  case SQLITE_READONLY:
  case SQLITE_PERM:
    return make_error(errc::journal_read_only, path + ": not writable (" + what + ")");
  case SQLITE_CANTOPEN:
    return make_error(errc::journal_io, path + ": cannot open (" + what + ")");
  default:
    return make_error(errc::journal_io, detail);
  }
}

caf::error exec(sqlite3* db, const char* sql, const std::string& path) {
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK)
    return to_error(rc, db, path, sql);
  return caf::none;
}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

caf::error statement::prepare(sqlite3* db, const char* sql, statement& out,
                              const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  auto rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return to_error(rc, db, path, "preparing a statement");
  }
  out = statement{};
  out.stmt_ = stmt;
  return caf::none;
}

std::string statement::text(int col) const {
  return std::string{text_view(col)};
}

std::vector<char> statement::blob(int col) const {
  auto v = blob_view(col);
  return std::vector<char>(v.data, v.data + v.size);
}

std::string_view statement::text_view(int col) const {
  auto p = sqlite3_column_text(stmt_, col); // before _bytes: the order SQLite documents
  auto n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr)
    return {};
  return std::string_view{reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

byte_view statement::blob_view(int col) const {
  auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  auto n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr)
    return {};
  return byte_view{p, static_cast<std::size_t>(n)};
}

} // namespace dca::es::sql
