// CAF's deterministic test DSL (test_coordinator_fixture, expect, run, trigger_timeouts), reporting
// through doctest. Include this instead of caf/test/dsl.hpp in a doctest test.
#pragma once

#include <doctest/doctest.h>

#include <sstream>

#include "caf/test/unit_test.hpp"

#undef CAF_CHECK
#undef CAF_CHECK_EQUAL
#undef CAF_REQUIRE
#undef CAF_REQUIRE_EQUAL
#undef CAF_FAIL
#undef CAF_MESSAGE
#define CAF_CHECK(...) CHECK(__VA_ARGS__)
#define CAF_CHECK_EQUAL(x, y) CHECK((x) == (y))
#define CAF_REQUIRE(...) REQUIRE(__VA_ARGS__)
#define CAF_REQUIRE_EQUAL(x, y) REQUIRE((x) == (y))
#define CAF_FAIL(msg)                                                                              \
  do {                                                                                             \
    std::ostringstream os_;                                                                        \
    os_ << msg;                                                                                    \
    FAIL(os_.str());                                                                               \
  } while (false)
#define CAF_MESSAGE(msg)                                                                           \
  do {                                                                                             \
    std::ostringstream os_;                                                                        \
    os_ << msg;                                                                                    \
    MESSAGE(os_.str());                                                                            \
  } while (false)

#include "caf/test/dsl.hpp"
