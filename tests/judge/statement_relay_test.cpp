// The statement relay (dca/bridge/statement_relay.hpp) against its own subject (relay_subject.cpp),
// with no server: the connections the judge lends are built on scripted executors, so each test
// decides what "the server" answers and sees exactly what crossed.
#include <doctest/doctest.h>

#include <functional>
#include <memory>

#include "dca/bridge/statement_relay.hpp"

namespace {

using dca::services::pg_connection;
using dca::services::pg_result;
using dca::services::sql_param;
using dca::services::sql_text;

/// A server in a function: what each statement the subject relays gets back.
using script = std::function<pg_result(const std::string& sql, const std::vector<sql_param>&)>;

class scripted final : public dca::services::statement_executor {
public:
  explicit scripted(script answer) : answer_(std::move(answer)) {}
  pg_result exec(sql_text sql, const std::vector<sql_param>& params) override {
    return answer_(sql.text, params);
  }

private:
  script answer_;
};

pg_connection lend(script answer) {
  return pg_connection{std::make_unique<scripted>(std::move(answer)), "judge"};
}

} // namespace

TEST_CASE("a relayed statement runs on the lent connection and its rows and NULLs come back") {
  std::vector<std::string> seen;
  auto db = lend([&](const std::string& sql, const std::vector<sql_param>& params) {
    seen.push_back(sql);
    CHECK(params.size() == 2);
    CHECK(params.at(0) == sql_param{"hello"});
    CHECK_FALSE(params.at(1).has_value());
    return pg_result{{"a", "b"}, {{params.at(0), std::nullopt}}, "SELECT 1", 0};
  });
  std::int64_t rows = 0;
  std::string first;
  std::string second;
  std::string tag;
  auto out = dca::bridge::call_with_connections(
      "echo", dca::bridge::encode_result(std::string{"hello"}), {{"db", &db}});
  dca::bridge::decode_arguments(out, rows, first, second, tag);
  CHECK(seen == std::vector<std::string>{"SELECT $1, $2"});
  CHECK(rows == 1);
  CHECK(first == "hello");
  CHECK(second == "NULL");
  CHECK(tag == "SELECT 1");
}

TEST_CASE("a server's refusal reaches the learner's catch as sql_error with its SQLSTATE") {
  auto db = lend([](const std::string&, const std::vector<sql_param>&) -> pg_result {
    throw dca::services::sql_error{"42P01", "42P01: relation \"nowhere\" does not exist"};
  });
  auto said = dca::bridge::call_relayed<std::string>("catch_refusal", {{"db", &db}});
  CHECK(said == "42P01 42P01: relation \"nowhere\" does not exist");
}

TEST_CASE("a call the judge gives up is rethrown once the function returns, and the link stays "
          "in step") {
  int statements = 0;
  auto cut = lend([&](const std::string&, const std::vector<sql_param>&) -> pg_result {
    ++statements;
    throw std::runtime_error{"the schedule was cut short"};
  });
  CHECK_THROWS_WITH(dca::bridge::call_relayed<std::string>("catch_refusal", {{"db", &cut}}),
                    "the schedule was cut short");
  CHECK(statements == 1); // later statements were answered (abandoned), never run
  auto db = lend([](const std::string&, const std::vector<sql_param>& params) {
    return pg_result{{"a", "b"}, {{params.at(0), std::nullopt}}, "SELECT 1", 0};
  });
  std::int64_t rows = 0;
  std::string first;
  std::string second;
  std::string tag;
  dca::bridge::decode_arguments(
      dca::bridge::call_with_connections("echo", dca::bridge::encode_result(std::string{"again"}),
                                         {{"db", &db}}),
      rows, first, second, tag);
  CHECK(first == "again");
}

// These two end the judge (status 4, one line): each runs in its own process, --no-skip
// (tests/judge/CMakeLists.txt).
TEST_SUITE_BEGIN("ends the judge");

TEST_CASE("a statement on a connection the call did not lend ends the judge" * doctest::skip()) {
  auto db = lend([](const std::string&, const std::vector<sql_param>&) { return pg_result{}; });
  dca::bridge::call_relayed<void>("use_unlent", {{"db", &db}});
}

TEST_CASE("a function that swallows the judge giving its call up and goes on is ended" *
          doctest::skip()) {
  auto cut = lend([](const std::string&, const std::vector<sql_param>&) -> pg_result {
    throw std::runtime_error{"the schedule was cut short"};
  });
  dca::bridge::call_relayed<void>("keep_going", {{"db", &cut}});
}

TEST_SUITE_END();
