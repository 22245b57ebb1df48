// A schedule as a web page: one self-contained HTML file (inline CSS and script, no request to
// anything) that shows one explored run step by step, for `dca explore NN --html FILE` and the
// grader's report. Everything it shows is filled in at generation time; the page only moves a
// cursor.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dca::cli {

/// Source lines around one step, read when the page is generated (the page reads no file).
struct page_code {
  std::string file;    // "shared_state.cpp"
  int first_line = 1;  // the number of lines[0]
  int marked_line = 0; // the line the step ran
  std::string caption; // what the lines are: "the line that ran", "the handler of inc_atom"
  std::vector<std::string> lines;
};

/// One step of the run, as the page shows it.
struct page_step {
  int actor = 0;     // the column
  std::string text;  // "load counter = 0", "handle inc from W1"
  std::string where; // "shared_state.cpp:10"; empty when no line of ours ran it
  int code = -1;     // index into schedule_page::codes; -1: no code to show
  std::vector<std::vector<std::string>> mailboxes; // actors: each mailbox after the step
};

/// One message between two actors of the run (dca/explore/message_table.hpp), as the message
/// sequence diagram draws it: an arrow per copy, from its sending step to its handling step.
struct page_message {
  int from = 0;
  int to = 0;
  std::string message;                 // "reply 1"
  std::size_t sent_at = 0;             // step; 0: before the run
  std::vector<std::size_t> handled_at; // steps
  std::string fate;                    // "delivered", "lost", "duplicated", "unhandled"
  std::size_t fault_at = 0;            // the fault's step; 0: none
  std::string fault;                   // the fault's choice in the schedule: "d1", "t0"

  /// The copies the link carried: two when the explorer repeated it, else one. One arrow each.
  std::size_t copies() const { return fate == "duplicated" ? 2 : 1; }
};

/// Everything the page says.
struct schedule_page {
  std::string heading;   // "01_lost_update (P1, shared): Lost update on a shared counter"
  std::string outcome;   // the explorer's: "clean", "invariant_broken", "deadlock", ...
  std::string verdict;   // what broke, in words (a deadlock: its cycle, joined)
  std::string invariant; // what every schedule must keep; empty when the manifest gives none
  std::string replay;    // the command that replays the failure; empty for a clean run
  std::string explored;  // "3 schedules in 6.9 ms", or the proof of a clean search
  std::vector<std::string> actors;
  std::vector<page_step> steps;
  std::size_t breaking_step = 0; // counting from 1; 0 for a clean run
  std::vector<page_code> codes;
  /// The run's messages, for a run in which a link lost or repeated one (the report's "messages");
  /// empty: no diagram.
  std::vector<page_message> messages;

  bool clean() const { return outcome == "clean"; }
};

/// The page as one HTML document. Every text is escaped; the data the script reads is embedded as
/// JSON that cannot close its <script> element.
std::string render_schedule_page(const schedule_page& page);

} // namespace dca::cli
