// What `dca grade` found, one record per submission and exercise, and the writers that turn it into
// the formats instructors load elsewhere: a terminal table, JSON, a CSV gradebook, JUnit XML and
// Gradescope's results.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "grade/hygiene.hpp"

namespace dca::cli {

/// The verdicts, from best to worst: pass; flagged (passes, but essential hygiene comments); fail
/// (a check failed); compile_error; timeout; crash; resource_limit; missing (no such file in the
/// submission); rejected (includes or links to what it may not, e.g. the solutions); no_exercises
/// (the submission's path holds no exercise at all); error (the grader itself failed: not the
/// learner's fault).
struct exercise_grade {
  std::string id; // "01_lost_update"
  std::string number;
  std::string title;
  std::string verdict = "error";
  double points = 0;
  double points_max = 0;
  std::string message; // one line, in words
  std::string details; // more lines: the failing checks, the compiler's first errors, output
  int rounds = 0;      // seeds asked for
  int rounds_run = 0;
  std::optional<std::uint64_t> failing_seed;
  std::string failing_schedule; // an explored schedule that broke it, when exploration ran
  std::string replay;           // the command that reproduces the failure
  std::string schedule_page;    // the failing run as a web page (dca explore --html), if written
  std::vector<hygiene_comment> hygiene;
  std::vector<std::string> ignored_files; // files of the submission the grader did not use
  std::vector<std::string> copies; // "near-verbatim copy of the reference solution (0.97)", ...
  std::chrono::milliseconds elapsed{0};       // all of it
  std::chrono::milliseconds build_elapsed{0}; // compiling and linking the learner's file
};

struct submission_grade {
  std::string name; // the submission folder's name
  std::filesystem::path path;
  std::vector<exercise_grade> exercises;
  double points = 0;
  double points_max = 0;
  std::chrono::milliseconds elapsed{0};
};

struct grade_report {
  std::vector<submission_grade> submissions;
  std::vector<std::string> sandbox; // how isolated the runs were, one line per feature
  int rounds = 0;
  std::uint64_t seed_first = 0;
  std::string scratch;                // where the per-submission builds are kept
  double hygiene_penalty_percent = 0; // per kind of shared state flagged essential
};

/// The hygiene penalty in words, for every report's header: what flagged code costs.
std::string penalty_words(const grade_report& report);

/// `text` from a submission made safe for every format: each byte that is not valid UTF-8 becomes
/// U+FFFD, terminal escape sequences and control characters (but newline and tab) are dropped,
/// and so are the code points XML forbids.
std::string clean_text(const std::string& text);

/// Every string of the report that a submission could have written (output, paths, names,
/// excerpts) passed through clean_text: call once, before writing any format.
void sanitize_report(grade_report& report);

void write_table(std::ostream& out, const grade_report& report);
void write_json(std::ostream& out, const grade_report& report);
void write_csv(std::ostream& out, const grade_report& report);
void write_junit(std::ostream& out, const grade_report& report);
/// `format` is table, json, csv, junit or gradescope (the first submission's results.json).
void write_report(std::ostream& out, const std::string& format, const grade_report& report);
/// Gradescope grades one submission per run: one results.json for one submission.
void write_gradescope(std::ostream& out, const grade_report& report, const submission_grade& s);

} // namespace dca::cli
