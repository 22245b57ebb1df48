// `dca explore NN --levels`: one failure at every level (issue 17). Runs the exercise program's
// explorer once per level (`explore --level NAME --format json`: threads sharing memory, actors
// whose read and write are two messages, the same actors on two nodes with a link between them)
// and shows the three failing schedules side by side: as text, as JSON, or as one web page.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "dca/json.hpp"
#include "manifest.hpp"

namespace dca::cli {

/// What `dca explore NN --levels` was asked for.
struct levels_request {
  const exercise_entry* entry = nullptr;
  std::filesystem::path program;    // exNN, or a submission's build of it
  std::string invoked;              // "dca %s 01", as the exercise programs take it
  std::vector<std::string> options; // the options after --levels was taken out
  std::filesystem::path html;       // --html FILE; empty for text or JSON
};

/// One level's exploration, as the program reported it.
struct level_shown {
  std::string name;   // "threads", "actors", "nodes"
  bool fixed = false; // the fix explored (--fixed), not the split read-then-write
  json_value report;  // the explorer's JSON report of that level
  json_value run;     // the run whose steps are shown: the failing one, or for a clean search the
                      // schedule it tries first, traced (`explore --default-schedule`)
  std::string replay; // the command that replays its schedule; empty when clean
};

/// The level names an exercise's manifest entry lists (`levels = threads actors nodes`).
std::vector<std::string> levels_of(const exercise_entry& entry);

/// The levels side by side as text, `width` columns wide; stacked (and saying so) when they do not
/// fit side by side.
std::string levels_text(const exercise_entry& entry, const std::vector<level_shown>& levels,
                        std::size_t width);

/// The levels as one JSON object: {"exercise", "fixed", "levels": [one object per level]}.
std::string levels_json(const exercise_entry& entry, const std::vector<level_shown>& levels,
                        bool fixed);

/// The levels as one self-contained page, one column per level.
std::string levels_page(const exercise_entry& entry, const std::vector<level_shown>& levels);

/// Runs the levels and prints or writes them. Exit status: 3 when every level corrupts (the
/// lesson), 0 when every level is clean (--fixed), exit_failed otherwise; exit_usage with one line
/// for bad input (an exercise with no levels, --replay without --level, an unwritable page).
int explore_levels(const levels_request& req);

} // namespace dca::cli
