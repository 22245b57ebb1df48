// The one translation unit that provides main() for every test binary: doctest's runner, plus the
// symbols CAF's deterministic test DSL needs (its own runner is switched off with CAF_TEST_NO_MAIN).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#define CAF_TEST_NO_MAIN
#include "caf/test/unit_test_impl.hpp"
