// Schedules print as dotted thread numbers and parse back; anything else is refused with a reason.
#include "dca/explore/schedule.hpp"

#include <doctest/doctest.h>

using dca::explore::schedule;

TEST_CASE("a schedule round-trips through its text form") {
  schedule s{{0, 0, 1, 1, 0}};
  CHECK(s.to_string() == "0.0.1.1.0");
  auto parsed = schedule::parse("0.0.1.1.0");
  REQUIRE(parsed);
  CHECK(*parsed == s);
}

TEST_CASE("malformed schedules are refused with the offending part named") {
  auto empty = schedule::parse("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().find("empty") != std::string::npos);
  auto letter = schedule::parse("0.x.1");
  REQUIRE_FALSE(letter);
  CHECK(letter.error() == "'x' at character 3 is not a thread number: expected e.g. 0.1.0.1");
  CHECK_FALSE(schedule::parse("0..1"));
  CHECK_FALSE(schedule::parse("0.1."));
  CHECK_FALSE(schedule::parse("-1"));
}

TEST_CASE("parsing bad input returns a value that carries its error") {
  for (const char* text : {"", "0..1", "0.1.", "-1", "1,2", " 0", "99999999999"}) {
    INFO("text: '" << text << "'");
    auto parsed = schedule::parse(text);
    CHECK_FALSE(parsed.has_value());
    CHECK_FALSE(parsed.error().empty());
  }
  auto good = schedule::parse("3");
  REQUIRE(good.has_value());
  CHECK(good->choices() == std::vector<int>{3});
}

TEST_CASE("a fault on a lossy link prints as d (lost) or t (twice) before its actor and parses "
          "back") {
  using namespace dca::explore;
  schedule s{{0, drop_choice(1), 1, duplicate_choice(12)}};
  CHECK(s.to_string() == "0.d1.1.t12");
  auto parsed = schedule::parse("0.d1.1.t12");
  REQUIRE(parsed);
  CHECK(*parsed == s);
  CHECK(kind_of_choice(parsed->choices()[1]) == choice_kind::drop);
  CHECK(target_of_choice(parsed->choices()[3]) == 12);
  for (const char* text : {"d", "t", "dd1", "d-1", "x1", "1d"}) {
    INFO("text: '" << text << "'");
    CHECK_FALSE(schedule::parse(text));
  }
}
