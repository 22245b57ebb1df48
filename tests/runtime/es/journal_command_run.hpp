// Runs `dca journal ARGS...` in the test's process and keeps what it printed: the journal command
// tests on SQLite (journal_command_test.cpp) and on PostgreSQL (postgres_journal_check_test.cpp).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "journal_command.hpp"

namespace dca::es::testing {

struct command_result {
  int rc;
  std::string out;
  std::string err;
};

inline command_result run_journal_command(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  auto rc = dca::cli::journal_command(args, out, err);
  return {rc, out.str(), err.str()};
}

} // namespace dca::es::testing
