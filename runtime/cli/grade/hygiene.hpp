// The actor-hygiene analyzer: reads a learner's message_passing.cpp and comments, Exercism-style,
// where shared state sneaks back in behind the actors (a mutex, an atomic, a global, a blocking
// receive in a handler...). A spec can pass while the code cheats the lesson; these comments say
// so, and the instructor decides whether they cost points.
#pragma once

#include <string>
#include <vector>

namespace dca::cli {

/// Exercism's comment types: essential (the lesson is not learned: shared state is back),
/// actionable (worth changing), informative (worth knowing).
enum class severity { essential, actionable, informative };

const char* to_string(severity s);

struct hygiene_comment {
  std::string rule; // "shared-atomic", "global-state", ...
  dca::cli::severity severity = severity::informative;
  int line = 0;        // 1-based line in the file
  std::string message; // what is wrong and why, in words
  std::string excerpt; // the line itself, trimmed
};

/// Comments on one message-passing source file, in line order.
std::vector<hygiene_comment> analyze_hygiene(const std::string& source);

/// The rules, for `dca grade --help` and the reports: "rule (severity): what it finds".
std::vector<std::string> hygiene_rules();

} // namespace dca::cli
