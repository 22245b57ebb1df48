// The libpq wrappers (pg.hpp): connecting, statements, results and binary COPY.
#include "pg.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::es::pg {

namespace {

/// libpq's messages end in a newline and may hold several lines: one line for ours.
std::string one_line(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  for (auto& c : s)
    if (c == '\n' || c == '\r')
      c = ' ';
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

} // namespace

caf::expected<conn_ptr> connect(const std::string& conninfo) {
  conn_ptr conn{PQconnectdb(conninfo.c_str())};
  if (!conn)
    return make_error(errc::journal_io, "postgres: out of memory connecting");
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return make_error(errc::journal_io, "postgres \"" + conninfo + "\": cannot connect: " +
                                            one_line(PQerrorMessage(conn.get())) +
                                            " (is it running? scripts/services start)");
  // A process that hangs inside a transaction (SIGSTOP, a debugger) would hold its row locks,
  // the positions row's among them, and stall every other node until it resumed: the server ends
  // such a session after idle_in_transaction_ms between statements, or statement_ms into one (but
  // not a COPY whose data never comes: the other writers end that one, end_stalled_copies_sql);
  // its uncommitted batch is rolled back (none of it was acknowledged), and the others go on.
  auto limits =
      "SET idle_in_transaction_session_timeout = " + std::to_string(idle_in_transaction_ms) +
      "; SET statement_timeout = " + std::to_string(statement_ms);
  PQclear(PQexec(conn.get(), limits.c_str()));
  return conn;
}

std::string describe(PGconn* conn) {
  std::string host = PQhost(conn) != nullptr ? PQhost(conn) : "?";
  std::string port = PQport(conn) != nullptr ? PQport(conn) : "?";
  std::string db = PQdb(conn) != nullptr ? PQdb(conn) : "?";
  return host + ":" + port + " db " + db;
}

caf::error to_error(PGconn* conn, const PGresult* res, std::string_view doing) {
  auto msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  return make_error(errc::journal_io, "postgres " + describe(conn) + ": " + std::string{doing} +
                                          ": " + one_line(msg));
}

std::string sqlstate(const PGresult* res) {
  auto* s = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return s != nullptr ? s : "";
}

params& params::text(std::string_view x) {
  values_.emplace_back(x);
  lengths_.push_back(0);
  formats_.push_back(0);
  nulls_.push_back(false);
  return *this;
}

params& params::int64(std::int64_t x) {
  return text(std::to_string(x));
}

params& params::bytes(const std::vector<char>& x) {
  values_.emplace_back(x.begin(), x.end());
  lengths_.push_back(static_cast<int>(x.size()));
  formats_.push_back(1);
  nulls_.push_back(false);
  return *this;
}

params& params::null() {
  text({});
  nulls_.back() = true;
  return *this;
}

caf::expected<result_ptr> exec(PGconn* conn, const char* sql, const params& args,
                               std::string_view doing) {
  std::vector<const char*> values;
  for (std::size_t i = 0; i < args.values_.size(); ++i)
    values.push_back(args.nulls_[i] ? nullptr : args.values_[i].data());
  result_ptr res{args.values_.empty()
                     ? PQexec(conn, sql)
                     : PQexecParams(conn, sql, args.size(), nullptr, values.data(),
                                    args.lengths_.data(), args.formats_.data(), 0)};
  auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return to_error(conn, res.get(), doing);
  return res;
}

caf::error exec(PGconn* conn, const char* sql, std::string_view doing) {
  auto res = exec(conn, sql, params{}, doing);
  return res ? caf::none : res.error();
}

std::int64_t int64(const PGresult* res, int row, int col) {
  return std::strtoll(PQgetvalue(res, row, col), nullptr, 10);
}

std::string_view text(const PGresult* res, int row, int col) {
  return {PQgetvalue(res, row, col), static_cast<std::size_t>(PQgetlength(res, row, col))};
}

bool is_null(const PGresult* res, int row, int col) {
  return PQgetisnull(res, row, col) == 1;
}

std::vector<char> bytes(const PGresult* res, int row, int col) {
  auto hex = text(res, row, col);
  DCA_ASSERT(hex.size() >= 2 && hex[0] == '\\' && hex[1] == 'x'); // bytea_output = hex
  std::vector<char> out((hex.size() - 2) / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(hex_value(hex[2 + 2 * i]) * 16 + hex_value(hex[3 + 2 * i]));
  return out;
}

std::string text_array(const std::vector<std::string_view>& xs) {
  std::string out = "{";
  for (auto x : xs) {
    if (out.size() > 1)
      out += ',';
    out += '"';
    for (auto c : x) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  return out += '}';
}

std::string int64_array(const std::vector<std::int64_t>& xs) {
  std::string out = "{";
  for (auto x : xs) {
    if (out.size() > 1)
      out += ',';
    out += std::to_string(x);
  }
  return out += '}';
}

// -- binary COPY ----------------------------------------------------------------------------------

void binary_copy::raw(const void* data, std::size_t size) {
  auto* p = static_cast<const char*>(data);
  buf_.insert(buf_.end(), p, p + size);
}

void binary_copy::row(std::int16_t fields) {
  if (buf_.empty()) { // the header: signature, flags, header extension length
    static constexpr char signature[] = "PGCOPY\n\377\r\n";
    raw(signature, 11);
    std::uint32_t zero = 0;
    raw(&zero, 4);
    raw(&zero, 4);
  }
  auto n = htons(static_cast<std::uint16_t>(fields));
  raw(&n, 2);
  ++rows_;
}

void binary_copy::int64(std::int64_t x) {
  auto len = htonl(8);
  raw(&len, 4);
  auto u = static_cast<std::uint64_t>(x);
  std::uint32_t halves[2] = {htonl(static_cast<std::uint32_t>(u >> 32)),
                             htonl(static_cast<std::uint32_t>(u))};
  raw(halves, 8);
}

void binary_copy::text(std::string_view x) {
  auto len = htonl(static_cast<std::uint32_t>(x.size()));
  raw(&len, 4);
  raw(x.data(), x.size());
}

void binary_copy::bytes(const std::vector<char>& x) {
  text({x.data(), x.size()});
}

void binary_copy::null() {
  auto len = htonl(0xffffffffU);
  raw(&len, 4);
}

void binary_copy::clear() {
  buf_.clear();
  rows_ = 0;
}

caf::error binary_copy::finish(PGconn* conn, const char* copy_sql, std::string_view doing) {
  DCA_ASSERT(rows_ > 0);
  result_ptr start{PQexec(conn, copy_sql)};
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN)
    return to_error(conn, start.get(), doing);
  std::int16_t trailer = -1;
  raw(&trailer, 2); // 0xffff in any byte order
  if (PQputCopyData(conn, buf_.data(), static_cast<int>(buf_.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1)
    return to_error(conn, nullptr, doing);
  result_ptr end{PQgetResult(conn)};
  caf::error failure;
  if (PQresultStatus(end.get()) != PGRES_COMMAND_OK)
    failure = sqlstate(end.get()) == unique_violation
                  ? make_error(errc::sequence_conflict,
                               "postgres " + describe(conn) + ": " + std::string{doing} + ": " +
                                   one_line(PQresultErrorMessage(end.get())))
                  : to_error(conn, end.get(), doing);
  while (result_ptr more{PQgetResult(conn)}) {
  }
  return failure;
}

} // namespace dca::es::pg
