// What a spec run means, in words a learner or an instructor can act on: the failing checks in the
// spec's own words, "lost 3 of 2,000,000 increments", "timed out after 10 s". `dca check`, the
// watch loop and `dca grade` all say it the same way.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace dca::cli {

/// One failing check of a doctest run: the test case and what the spec logged (or the assertion).
struct spec_failure {
  std::string test_case;
  std::string message;
};

/// The failing checks of a doctest run, in order.
std::vector<spec_failure> spec_failures(const std::string& doctest_output);

/// A spec's message retold for people: "the count is 1,999,997, expected 2,000,000: 3 increments
/// lost" becomes "lost 3 of 2,000,000 increments — run `dca explore 01` to see how".
std::string in_words(const std::string& message, const std::string& exercise_number);

/// "timed out after 10 s (a handler that never returns? a worker that never quits?)".
std::string timed_out_words(std::chrono::seconds limit);

/// The last `lines` non-empty lines of a program's output, indented, for a crash report.
std::string last_lines(const std::string& output, std::size_t lines);

} // namespace dca::cli
