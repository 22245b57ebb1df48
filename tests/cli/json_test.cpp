// The one JSON writer and reader of dca (dca/json.hpp), and the reader of the exercise
// programs' reports (program_report.hpp) built on it.
#include <doctest/doctest.h>

#include "dca/json.hpp"
#include "program_report.hpp"

using namespace dca;
using namespace dca::cli;

TEST_CASE("json_quoted escapes quotes, backslashes and control characters") {
  CHECK(json_quoted("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_quoted("line\nnext\ttab\r") == R"("line\nnext\ttab\r")");
  CHECK(json_quoted(std::string{"bell\x07"}) == R"("bell\u0007")");
}

TEST_CASE("json_quoted passes valid UTF-8 and replaces each invalid byte with U+FFFD") {
  CHECK(json_quoted("lost 3 — run") == "\"lost 3 — run\"");
  CHECK(json_quoted("a\xff"
                    "b") == "\"a\xEF\xBF\xBD"
                            "b\"");
  CHECK(json_quoted("\xC3") == "\"\xEF\xBF\xBD\""); // a sequence cut short
}

TEST_CASE("parse_json reads back what json_quoted wrote") {
  std::string text = "{\"s\": " + json_quoted("x\"\n—\x01") +
                     ", \"n\": 18446744073709551615, "
                     "\"b\": true, \"z\": null, \"a\": [1, \"two\"]}";
  std::string error;
  auto v = parse_json(text, error);
  REQUIRE(v);
  CHECK(v->string_at("s") == "x\"\n—\x01");
  CHECK(v->find("n")->text == "18446744073709551615");
  CHECK(v->boolean_at("b"));
  CHECK(v->find("z")->type == json_value::kind::null);
  CHECK(v->find("a")->items.size() == 2);
}

TEST_CASE("parse_json says where a malformed document breaks") {
  std::string error;
  CHECK_FALSE(parse_json("{\"a\": [1, 2}", error));
  CHECK(error.find("at byte") != std::string::npos);
}

TEST_CASE("an explore report is read from the last JSON line of a program's output") {
  auto output = std::string{"a warning from a library\n"} +
                R"({"outcome":"deadlock","verdict":"stuck","actors":["A","B"],"trace":[)" +
                R"({"actor":1,"text":"asks A","file":"scenario.cpp","line":7}],)" +
                R"("cycle":["A waits for B","B waits for A"],"schedule":"0.1",)" +
                R"("schedules_explored":3,"search_exhausted":false,"elapsed_us":1500})" + "\n";
  auto r = read_explore_report(output);
  REQUIRE(r);
  CHECK(r->failed());
  CHECK(r->what_broke() == "A waits for B; B waits for A");
  CHECK(r->schedule == "0.1");
  REQUIRE(r->steps.size() == 1);
  CHECK(r->steps[0] == "step 1  B: asks A  (scenario.cpp:7)");
  CHECK_FALSE(read_run_report(output));
}
