// `dca journal inspect PATH` and `dca journal verify PATH`: look into an entity journal from the
// command line. commands.cpp calls journal_command with the words after `dca journal`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dca::cli {

/// Runs `dca journal ARGS...`. Returns 0 on success, 1 when verify finds a problem (or the
/// journal cannot be read), 2 on a usage error. Output goes to `out`, errors (one line) to `err`.
int journal_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace dca::cli
