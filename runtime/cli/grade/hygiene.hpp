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

/// The lines of the compiler's -E output (with # line markers) that come from `file`, each at its
/// line number in that file: macros expanded, headers left out.
std::string learner_lines(const std::string& preprocessed, const std::string& file);

/// Comments on `file` as the compiler sees it (its -E output): a macro hides nothing. Line numbers
/// and excerpts are those of `original`, the learner's text.
std::vector<hygiene_comment> analyze_preprocessed(const std::string& preprocessed,
                                                  const std::string& file,
                                                  const std::string& original);

/// The file's code as tokens: comments, preprocessor lines and whitespace gone, identifiers kept,
/// string literals blanked (for comparing submissions).
std::vector<std::string> code_tokens(const std::string& source);

/// How alike two files' code is, past what both took from `skeleton`: the Jaccard index of their
/// token 5-grams that are not in the skeleton (1: the same code). `own` is set to how many such
/// 5-grams `a` has: a small number means there is too little own code to tell a copy apart.
double code_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                       const std::vector<std::string>& skeleton, std::size_t& own);

/// The rules, for `dca grade --help` and the reports: "rule (severity): what it finds".
std::vector<std::string> hygiene_rules();

} // namespace dca::cli
