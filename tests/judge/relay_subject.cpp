// A subject for the statement relay's own test (statement_relay_test.cpp): functions that run
// statements on the connection the judge lends them as "db", each exercising one part of the
// relay: rows and NULLs back, a server's refusal caught as sql_error, a connection never lent,
// and a function that swallows the judge giving its call up and goes on.
#include "dca/bridge/statement_relay.hpp"
#include "dca/bridge/subject_host.hpp"

namespace {

using dca::bridge::decode_arguments;
using dca::bridge::encode_result;
using dca::bridge::relayed_connection;

/// The statement the judge's test asks for, with a text and a NULL parameter; its rows, first
/// cell (or "NULL") and tag back.
std::vector<char> echo(const std::vector<char>& args) {
  std::string value;
  decode_arguments(args, value);
  auto db = relayed_connection("db");
  auto r = db.exec("SELECT $1, $2", value, std::nullopt);
  auto first = r.rows() == 0 ? std::string{"no row"} : r.at(0, 0).value_or("NULL");
  auto second = r.rows() == 0 ? std::string{"no row"} : r.at(0, 1).value_or("NULL");
  return encode_result(static_cast<std::int64_t>(r.rows()), first, second, r.tag());
}

std::vector<char> catch_refusal(const std::vector<char>&) {
  auto db = relayed_connection("db");
  try {
    db.exec("UPDATE nowhere SET x = 1");
    return encode_result(std::string{"ran"});
  } catch (const dca::services::sql_error& e) {
    return encode_result(e.sqlstate + " " + e.what());
  }
}

std::vector<char> use_unlent(const std::vector<char>&) {
  auto other = relayed_connection("other");
  other.exec("SELECT 1");
  return {};
}

/// Runs statements until one answers, swallowing everything else: after the judge gave the call
/// up, nothing ever answers.
std::vector<char> keep_going(const std::vector<char>&) {
  auto db = relayed_connection("db");
  for (;;) {
    try {
      db.exec("SELECT 1");
      return {};
    } catch (...) { // NOLINT(bugprone-empty-catch): the misbehaviour under test
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::function_table functions{{"echo", echo},
                                        {"catch_refusal", catch_refusal},
                                        {"use_unlent", use_unlent},
                                        {"keep_going", keep_going}};
  return dca::bridge::subject_main(argc, argv, {}, functions);
}
