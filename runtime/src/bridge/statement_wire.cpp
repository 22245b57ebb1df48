// How a statement and its answer cross (statement_wire.hpp): CAF's binary encoding of their parts
// inside a (service, KIND, ID, BYTES) frame, the answer inside (sqlanswer, BYTES), so the bridge's
// announced types stay as they are, and each side believes the other's parts only once every byte
// decodes.
#include "statement_wire.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "caf/make_message.hpp"

#include "dca/bridge/statement_relay.hpp"
#include "dca/bridge/wire.hpp"

namespace dca::bridge {

namespace {

using services::pg_result;
using services::sql_error;
using services::sql_param;
using services::sql_text;

/// A statement as it crosses: the connection's name, the text, the parameters (values, and 1
/// where a parameter is SQL NULL), the learner's line.
struct relayed_statement {
  std::string connection;
  std::string sql;
  std::vector<std::string> values;
  std::vector<std::uint8_t> nulls;
  std::string file;
  std::int32_t line = 0;
};

/// An answer as it crosses: the rows (cells row by row, 1 in `nulls` for SQL NULL) and tag, or
/// the server's SQLSTATE and message.
struct relayed_answer {
  bool refused = false;
  std::string sqlstate;
  std::string message;
  std::vector<std::string> columns;
  std::vector<std::string> cells;
  std::vector<std::uint8_t> nulls;
  std::string tag;
  std::int64_t affected = 0;
};

std::vector<sql_param> params_of(const relayed_statement& s) {
  std::vector<sql_param> out;
  for (std::size_t k = 0; k < s.values.size(); ++k)
    out.push_back(s.nulls.at(k) != 0 ? sql_param{} : sql_param{s.values[k]});
  return out;
}

relayed_answer answer_of(const pg_result& r) {
  relayed_answer out;
  out.columns = r.columns();
  for (std::size_t row = 0; row < r.rows(); ++row)
    for (std::size_t c = 0; c < r.columns().size(); ++c) {
      const auto& cell = r.at(row, c);
      out.cells.push_back(cell.value_or(std::string{}));
      out.nulls.push_back(cell ? 0 : 1);
    }
  out.tag = r.tag();
  out.affected = r.affected();
  return out;
}

pg_result result_of(relayed_answer a) {
  auto width = a.columns.size();
  if (a.cells.size() != a.nulls.size() ||
      (width == 0 ? !a.cells.empty() : a.cells.size() % width != 0))
    throw std::logic_error{"the judge's rows do not fit their columns"};
  std::vector<std::vector<std::optional<std::string>>> rows(width == 0 ? 0
                                                                       : a.cells.size() / width);
  for (std::size_t k = 0; k < a.cells.size(); ++k)
    rows[k / width].push_back(a.nulls[k] != 0 ? std::nullopt
                                              : std::optional<std::string>{std::move(a.cells[k])});
  return {std::move(a.columns), std::move(rows), std::move(a.tag), a.affected};
}

/// Distinct file names the judge keeps for traces; the learner's file is one. A subject naming
/// more gets a placeholder: a bound on what it can make the judge hold.
constexpr std::size_t file_names_max = 64;

} // namespace

const char* interned_file(const std::string& file) {
  static std::set<std::string> files;
  if (files.size() >= file_names_max && files.count(file) == 0)
    return "(the submission)";
  return files.insert(file).first->c_str();
}

std::vector<char> encode_statement(const std::string& connection, sql_text sql,
                                   const std::vector<sql_param>& params) {
  relayed_statement s{connection, sql.text, {}, {}, sql.where.file, sql.where.line};
  for (const auto& p : params) {
    s.values.push_back(p.value_or(std::string{}));
    s.nulls.push_back(p ? 0 : 1);
  }
  return encode_result(s.connection, s.sql, s.values, s.nulls, s.file, s.line);
}

caf::message run_statement(
    const std::string& who, const std::vector<char>& bytes,
    const std::function<services::pg_connection&(const std::string& connection)>& connection_of) {
  relayed_statement s;
  if (dca::es::decode(bytes, s.connection, s.sql, s.values, s.nulls, s.file, s.line) ||
      s.values.size() != s.nulls.size())
    fail_subject("the submission's " + who + " sent a statement that does not decode");
  auto& connection = connection_of(s.connection);
  relayed_answer a;
  try {
    a = answer_of(connection.exec_params(sql_text{s.sql.c_str(), {interned_file(s.file), s.line}},
                                         params_of(s)));
  } catch (const sql_error& e) {
    a = relayed_answer{true, e.sqlstate, e.what(), {}, {}, {}, {}, 0};
  }
  return caf::make_message(sql_answer_atom::value,
                           encode_result(a.refused, a.sqlstate, a.message, a.columns, a.cells,
                                         a.nulls, a.tag, a.affected));
}

pg_result result_of_answer(const caf::message& answer) {
  relayed_answer a;
  if (!answer.match_elements<sql_answer_atom, std::vector<char>>() ||
      dca::es::decode(answer.get_as<std::vector<char>>(1), a.refused, a.sqlstate, a.message,
                      a.columns, a.cells, a.nulls, a.tag, a.affected))
    throw std::logic_error{"the judge's answer to a statement is not one"};
  if (a.refused)
    throw sql_error{a.sqlstate, a.message};
  return result_of(std::move(a));
}

} // namespace dca::bridge
