// Both ends of the statement relay (dca/bridge/statement_relay.hpp), a judge service of kind
// "statement" (judge_services.hpp). A statement crosses as CAF's binary encoding of its parts
// inside a (service, "statement", 0, BYTES) frame, its answer inside (sqlanswer, BYTES): the
// bridge's announced types stay as they are, and the judge believes an answer's parts only once
// every byte decodes.
#include "dca/bridge/statement_relay.hpp"

#include <cstdint>
#include <memory>
#include <set>
#include <utility>

#include "caf/make_message.hpp"

#include "dca/bridge/judge_services.hpp"
#include "dca/bridge/wire.hpp"
#include "subject_link.hpp"

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

/// Distinct file names the judge keeps for traces; the learner's file is one. A subject naming
/// more gets a placeholder: a bound on what it can make the judge hold.
constexpr std::size_t file_names_max = 64;

const char* interned_file(const std::string& file) {
  static std::set<std::string> files;
  if (files.size() >= file_names_max && files.count(file) == 0)
    return "(the submission)";
  return files.insert(file).first->c_str();
}

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

/// The judge's side of one statement: run on the lent connection it names, answered as bytes.
caf::message run_lent(const std::string& function, const lent_connections& connections,
                      const std::vector<char>& bytes) {
  relayed_statement s;
  if (dca::es::decode(bytes, s.connection, s.sql, s.values, s.nulls, s.file, s.line) ||
      s.values.size() != s.nulls.size())
    fail_subject("the submission's " + function + " sent a statement that does not decode");
  auto lent = connections.find(s.connection);
  if (lent == connections.end())
    fail_subject("the submission's " + function + " ran a statement on a connection \"" +
                 s.connection + "\" it was not given");
  relayed_answer a;
  try {
    a = answer_of(lent->second->exec_params(
        sql_text{s.sql.c_str(), {interned_file(s.file), s.line}}, params_of(s)));
  } catch (const sql_error& e) {
    a = relayed_answer{true, e.sqlstate, e.what(), {}, {}, {}, {}, 0};
  }
  return caf::make_message(sql_answer_atom::value,
                           encode_result(a.refused, a.sqlstate, a.message, a.columns, a.cells,
                                         a.nulls, a.tag, a.affected));
}

/// The subject's side: a connection's statements, sent to the judge one at a time.
class relay_executor final : public services::statement_executor {
public:
  explicit relay_executor(std::string name) : name_(std::move(name)) {}

  pg_result exec(sql_text sql, const std::vector<sql_param>& params) override {
    relayed_statement s{name_, sql.text, {}, {}, sql.where.file, sql.where.line};
    for (const auto& p : params) {
      s.values.push_back(p.value_or(std::string{}));
      s.nulls.push_back(p ? 0 : 1);
    }
    // The call's own service (id 0): the judge lends its connections to one call at a time. A
    // statement the judge no longer answers throws judge_gave_up, which no catch of sql_error or
    // std::exception takes.
    auto answer = ask_service(
        "statement", 0, encode_result(s.connection, s.sql, s.values, s.nulls, s.file, s.line));
    relayed_answer a;
    if (!answer.match_elements<sql_answer_atom, std::vector<char>>() ||
        dca::es::decode(answer.get_as<std::vector<char>>(1), a.refused, a.sqlstate, a.message,
                        a.columns, a.cells, a.nulls, a.tag, a.affected))
      throw std::logic_error{"the judge's answer to a statement is not one"};
    if (a.refused)
      throw sql_error{a.sqlstate, a.message};
    return result_of(std::move(a));
  }

private:
  std::string name_;
};

} // namespace

std::vector<char> call_with_connections(const std::string& function, const std::vector<char>& args,
                                        const lent_connections& connections) {
  return subject_link::instance().call(function, args, [&](const std::vector<char>& statement) {
    return run_lent(function, connections, statement);
  });
}

services::pg_connection relayed_connection(const std::string& name) {
  return services::pg_connection{std::make_unique<relay_executor>(name), name};
}

} // namespace dca::bridge
