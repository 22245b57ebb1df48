// What a learner reads when a check fails: the cause of a link error is kept, and the advice after
// a corruption explores the learner's own actors.
#include <doctest/doctest.h>

#include "context.hpp"
#include "spec_words.hpp"

using namespace dca::cli;

TEST_CASE("a link error keeps its undefined reference line") {
  std::string output = "[1/2] Linking CXX executable exercises/ex02_spec\n"
                       "FAILED: exercises/ex02_spec\n"
                       "/usr/bin/ld: message_passing.cpp.o: in function `f':\n"
                       "message_passing.cpp:(.text+0x1): undefined reference to "
                       "`check_then_act::spawn_account(caf::actor_system&, long)'\n"
                       "collect2: error: ld returned 1 exit status\n";
  auto kept = compiler_errors(output);
  CHECK(kept.find("undefined reference to `check_then_act::spawn_account") != std::string::npos);
}

TEST_CASE("the advice after lost increments explores the actors track") {
  auto words = in_words("expected 2,000,000 increments: 3 increments lost", "01");
  CHECK(words.find("dca explore 01 --variant actors") != std::string::npos);
}
