// The judge calling one of the learner's pure functions in the subject process: the learner's code
// computes, the judge holds everything the verdict is made from (the entity's host, its journal,
// its state between calls) and believes a result only once it decodes. Cheaper and narrower than a
// stand-in: no actor of the learner's runs, so there is nothing to schedule on the subject's side.
#pragma once

#include <string>
#include <vector>

namespace dca::bridge {

/// Runs the learner's function `function` (as the subject's function_table names it) on `args`,
/// encoded by the caller, and returns what it returned, encoded. A subject that refuses, throws,
/// dies, hangs or answers in another shape ends the judge with its one line (stand_in.hpp).
std::vector<char> call_subject(const std::string& function, const std::vector<char>& args);

/// Ends the judge with "dca judge (fail): WHAT" and status 4: for a result that does not decode
/// or breaks the function's contract.
[[noreturn]] void fail_subject(const std::string& what);

} // namespace dca::bridge
