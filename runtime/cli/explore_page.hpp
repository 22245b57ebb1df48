// `dca explore NN --html FILE`: runs the exercise program's explorer, reads its JSON report, embeds
// the code of every step, and writes the schedule page (schedule_page.hpp) whole or not at all.
// The grader calls it too, for the page of each failing spec.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dca/json.hpp"
#include "manifest.hpp"
#include "schedule_page.hpp"

namespace dca::cli {

/// What the page is made from.
struct explore_page_request {
  const exercise_entry* entry = nullptr;
  std::filesystem::path program;    // exNN, or a submission's build of it
  std::vector<std::string> options; // the explorer's options as typed (--variant, --replay, ...)
  std::string variant = "shared";   // the --variant among them
  std::string invoked; // "dca %s 01" (%s: the command), as the exercise programs take it
  std::filesystem::path build_dir;    // relative source paths in the report start here
  std::filesystem::path exercise_dir; // exercises/NN_name: where the program's sources are
  std::filesystem::path learner_file; // the message_passing.cpp the program was built from
  std::filesystem::path out;          // the page
  /// False for a program the grader ran: its report may name any file, so code is read only from
  /// the exercise's folder by file name, and the learner's file only from `learner_text`.
  bool report_paths_trusted = true;
  std::string learner_text; // the learner's file as already read; empty: read learner_file
};

/// Steps in the shape of a report's "trace" (a turn's "choices" too), each with the code it ran.
struct steps_with_code {
  std::vector<page_step> steps;
  std::vector<page_code> codes; // page_step::code indexes these
};

/// The steps of `steps` (a JSON array; null: none) as the page shows them, code read as
/// page_of_report reads it (`dca play` shows each step so).
steps_with_code steps_of(const explore_page_request& req, const json_value* steps);

/// The page of an explorer's JSON report (`PROGRAM explore --format json`). `example` is the
/// traced default schedule shown for a clean search (null for a failure).
schedule_page page_of_report(const explore_page_request& req, const json_value& report,
                             const json_value* example);

/// The page of a program's output (`PROGRAM explore --format json`), with its verdict and what
/// the search explored in the words `dca` uses; nullopt when the output holds no explore report.
std::optional<schedule_page> page_of_output(const explore_page_request& req,
                                            const std::string& output,
                                            const json_value* example = nullptr);

/// Writes `text` to `file` through a temporary file in the same folder, renamed over it: a reader
/// never sees half a page, and a failure leaves nothing behind. Returns an empty string, or why it
/// could not (one line).
std::string write_whole(const std::filesystem::path& file, const std::string& text);

/// Why a page cannot go to `file`, checked before the search (a page that cannot be written must
/// not cost a whole exploration); empty when it can. Leaves nothing behind, and `file` as it was.
std::string unwritable(const std::filesystem::path& file);

/// Runs the explorer and writes the page. Returns the exit status: the explorer's (0 clean, 3 a
/// failure shown), exit_usage with one line on stderr for bad input (an unwritable path, a
/// schedule of another exercise), exit_failed when the program reported nothing.
int write_explore_page(const explore_page_request& req);

} // namespace dca::cli
