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
  std::string error;
  CHECK_FALSE(schedule::parse("", &error));
  CHECK(error.find("empty") != std::string::npos);
  CHECK_FALSE(schedule::parse("0.x.1", &error));
  CHECK(error == "'x' at character 3 is not a thread number: expected e.g. 0.1.0.1");
  CHECK_FALSE(schedule::parse("0..1", &error));
  CHECK_FALSE(schedule::parse("0.1.", &error));
  CHECK_FALSE(schedule::parse("-1", &error));
}
