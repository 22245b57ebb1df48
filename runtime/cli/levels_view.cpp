// `dca explore NN --levels`: the exercise program explores each level on its own (`explore --level
// NAME --format json`); this file runs them and lays the three schedules out side by side.
#include "levels_view.hpp"

#include <algorithm>
#include <iostream>
#include <optional>
#include <sstream>
#include <sys/ioctl.h>
#include <unistd.h>

#include "context.hpp"
#include "dca/assert.hpp"
#include "explore_page.hpp"
#include "process.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

/// Columns between two levels shown side by side.
constexpr std::size_t gap_columns = 2;

/// What each level is, in one line (the page and the text say it above the level's steps).
std::string level_words(const level_shown& level) {
  if (level.name == "threads")
    return "threads sharing memory: each reads and writes the variable itself";
  if (level.name == "actors")
    return level.fixed ? "actors, fixed: one message does the whole read-modify-write in the owner"
                       : "actors, no shared memory: the read and the write are two messages to "
                         "the owner";
  if (level.name == "nodes")
    return std::string{"two nodes: clients on A, the owner on B, every message crosses a link"} +
           (level.fixed ? " (fixed: one message)" : "");
  return level.name;
}

bool fixed_given(const std::vector<std::string>& options) {
  return std::find(options.begin(), options.end(), "--fixed") != options.end();
}

std::string invoked_as(std::string pattern) {
  if (auto at = pattern.find("%s"); at != std::string::npos)
    pattern.replace(at, 2, "explore");
  return pattern;
}

/// "T1: load counter = 0", one step of a level's trace as the text and the page show it.
std::string step_line(const json_value& report, const json_value& step) {
  const auto* actors = report.find("actors");
  auto who = static_cast<std::size_t>(step.integer_at("actor"));
  auto name = actors != nullptr && who < actors->items.size() ? actors->items[who].text : "?";
  return name + ": " + step.string_at("text");
}

std::vector<std::string> step_lines(const level_shown& level) {
  std::vector<std::string> out;
  if (const auto* trace = level.run.find("trace"))
    for (const auto& s : trace->items)
      out.push_back(step_line(level.run, s));
  return out;
}

std::string outcome_words(const json_value& report) {
  auto outcome = report.string_at("outcome");
  if (outcome == "clean")
    return "clean: " + report.string_at("proof", "no schedule broke the invariant");
  return (outcome == "invariant_broken" ? std::string{"CORRUPTED"} : outcome) + ": " +
         report.string_at("verdict");
}

/// `text` cut into lines of at most `width` columns at spaces, the later ones indented.
std::vector<std::string> wrapped(const std::string& text, std::size_t width) {
  std::vector<std::string> out{""};
  std::istringstream words{text};
  for (std::string w; words >> w;) {
    if (!out.back().empty() && out.back().size() + 1 + w.size() > width)
      out.emplace_back("    ");
    out.back() += (out.back().empty() || out.back().back() == ' ' ? "" : " ") + w;
  }
  return out;
}

/// One level's steps, numbered, the step that breaks the invariant marked with '*'.
std::vector<std::string> numbered_steps(const level_shown& level) {
  auto lines = step_lines(level);
  auto breaking = static_cast<std::size_t>(level.report.integer_at("breaking_step"));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto n = std::to_string(i + 1);
    lines[i] =
        std::string(n.size() < 2 ? 1 : 0, ' ') + n + (i + 1 == breaking ? "* " : "  ") + lines[i];
  }
  return lines;
}

void write_outcomes(std::ostream& out, const std::vector<level_shown>& levels, std::size_t width) {
  for (const auto& level : levels) {
    for (const auto& line : wrapped(level.name + ": " + outcome_words(level.report), width))
      out << line << '\n';
    if (!level.replay.empty())
      for (const auto& line : wrapped("replay: " + level.replay, width - 2))
        out << "  " << line << '\n';
  }
}

} // namespace

std::vector<std::string> levels_of(const exercise_entry& entry) {
  std::vector<std::string> out;
  std::istringstream words{entry.levels};
  for (std::string w; words >> w;)
    out.push_back(w);
  return out;
}

std::string levels_text(const exercise_entry& entry, const std::vector<level_shown>& levels,
                        std::size_t width) {
  std::ostringstream out;
  out << entry.id << " (" << entry.pattern << "): " << entry.title
      << ": one failure at every level\n\n";
  std::vector<std::vector<std::string>> columns;
  std::size_t column = 0, rows = 0;
  for (const auto& level : levels) {
    columns.push_back(numbered_steps(level));
    columns.back().insert(columns.back().begin(), level.name);
    for (const auto& line : columns.back())
      column = std::max(column, line.size());
    rows = std::max(rows, columns.back().size());
  }
  auto needed = levels.size() * column + (levels.size() - 1) * gap_columns;
  if (needed <= width) {
    for (std::size_t r = 0; r < rows; ++r) {
      std::string line;
      for (const auto& c : columns)
        line += (line.empty() ? "" : std::string(gap_columns, ' ')) +
                fit_columns(r < c.size() ? c[r] : "", column + 1).substr(0, column);
      out << line.substr(0, line.find_last_not_of(' ') + 1) << '\n';
    }
  } else {
    out << "(stacked: side by side the " << levels.size() << " levels need " << needed
        << " columns, this is " << width << "; `--html FILE` shows them side by side)\n";
    for (std::size_t i = 0; i < levels.size(); ++i) {
      out << '\n' << levels[i].name << " - " << level_words(levels[i]) << '\n';
      for (std::size_t r = 1; r < columns[i].size(); ++r)
        out << columns[i][r].substr(0, width) << '\n';
    }
  }
  if (std::any_of(levels.begin(), levels.end(), [](const level_shown& l) { return l.fixed; }))
    out << '\n';
  else
    out << "\n(* the step after which the invariant is broken)\n";
  write_outcomes(out, levels, width);
  return out.str();
}

std::string levels_json(const exercise_entry& entry, const std::vector<level_shown>& levels,
                        bool fixed) {
  std::ostringstream out;
  out << "{\"exercise\":" << json_quoted(entry.id) << ",\"fixed\":" << (fixed ? "true" : "false")
      << ",\"levels\":[";
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto& level = levels[i];
    out << (i > 0 ? "," : "") << "{\"level\":" << json_quoted(level.name)
        << ",\"what\":" << json_quoted(level_words(level))
        << ",\"outcome\":" << json_quoted(level.report.string_at("outcome"))
        << ",\"verdict\":" << json_quoted(level.report.string_at("verdict"))
        << ",\"schedule\":" << json_quoted(level.report.string_at("schedule"))
        << ",\"replay\":" << json_quoted(level.replay)
        << ",\"breaking_step\":" << level.report.integer_at("breaking_step") << ",\"actors\":[";
    if (const auto* actors = level.run.find("actors"))
      for (std::size_t a = 0; a < actors->items.size(); ++a)
        out << (a > 0 ? "," : "") << json_quoted(actors->items[a].text);
    out << "],\"steps\":[";
    auto lines = step_lines(level);
    for (std::size_t k = 0; k < lines.size(); ++k)
      out << (k > 0 ? "," : "") << json_quoted(lines[k]);
    out << "]}";
  }
  out << "]}\n";
  return out.str();
}

namespace {

const char* const levels_style = R"css(
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1d2433; }
header, .levels { padding: 12px 20px; } header { border-bottom: 1px solid #d6dbe4; }
h1 { font-size: 20px; margin: 0 0 6px; } h2 { font-size: 17px; margin: 0; }
.levels { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; }
.level { border: 1px solid #d6dbe4; border-radius: 6px; padding: 10px; }
.what { color: #5b6577; margin: 2px 0 8px; }
ol.steps { font: 13px/1.5 ui-monospace, monospace; padding-left: 34px; margin: 0; }
li.breaks { background: #fde2e1; font-weight: 700; } li.breaks::after { content: " \2716"; color: #a4161a; }
.verdict { margin: 8px 0 4px; } .corrupted { color: #a4161a; } .clean { color: #1b6e3a; }
code { font-size: 12px; word-break: break-all; }
)css";

void write_level(std::ostream& out, const level_shown& level) {
  auto breaking = static_cast<std::size_t>(level.report.integer_at("breaking_step"));
  auto clean = level.report.string_at("outcome") == "clean";
  out << "<section class=\"level\" data-level=\"" << markup_escaped(level.name) << "\">\n<h2>"
      << markup_escaped(level.name) << "</h2>\n<p class=\"what\">"
      << markup_escaped(level_words(level)) << "</p>\n<ol class=\"steps\">\n";
  auto lines = step_lines(level);
  for (std::size_t i = 0; i < lines.size(); ++i)
    out << "<li" << (i + 1 == breaking ? " class=\"breaks\"" : "") << ">"
        << markup_escaped(lines[i]) << "</li>\n";
  out << "</ol>\n<p class=\"verdict " << (clean ? "clean" : "corrupted") << "\">"
      << markup_escaped(outcome_words(level.report)) << "</p>\n";
  if (!level.replay.empty())
    out << "<p>replay: <code class=\"replay\">" << markup_escaped(level.replay) << "</code></p>\n";
  out << "</section>\n";
}

} // namespace

std::string levels_page(const exercise_entry& entry, const std::vector<level_shown>& levels) {
  std::ostringstream out;
  auto heading = entry.id + " (" + entry.pattern + "): " + entry.title;
  out << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << markup_escaped(heading) << ": one failure at every level</title>\n<style>" << levels_style
      << "</style>\n</head>\n<body>\n<header>\n<h1>" << markup_escaped(heading)
      << ": one failure at every level</h1>\n<p>The same split read-then-write, found by the "
         "explorer three times: your multi-core computer is also a distributed system.</p>\n"
      << "<p>invariant: <span id=\"invariant\">" << markup_escaped(entry.invariant)
      << "</span></p>\n</header>\n<main class=\"levels\">\n";
  for (const auto& level : levels)
    write_level(out, level);
  out << "</main>\n</body>\n</html>\n";
  return out.str();
}

namespace {

/// The columns of the terminal on stdout; 80 when stdout is not one.
std::size_t terminal_width() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) != 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col >= 40)
    return size.ws_col;
  return 80;
}

/// Refuses what --levels cannot take; returns the options for each level's run (without --format).
std::vector<std::string> checked_options(const levels_request& req, bool& json) {
  DCA_ASSERT_MSG(!levels_of(*req.entry).empty(), "dca explore checks for levels before building");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < req.options.size(); ++i) {
    const auto& o = req.options[i];
    if (o == "--replay" || o.rfind("--replay=", 0) == 0 || o == "--level" || o == "--variant")
      throw usage_error(o + " picks one level or variant: replay a level with `" +
                        invoked_as(req.invoked) +
                        " --level NAME --replay SCHEDULE`, without "
                        "--levels");
    if (o == "--format" && i + 1 < req.options.size()) {
      json = req.options[++i] == "json";
      if (!json && req.options[i] != "table")
        throw usage_error("--format must be 'table' or 'json', not '" + req.options[i] + "'");
      continue;
    }
    out.push_back(o);
  }
  if (json && !req.html.empty())
    throw usage_error("--html writes a page; give it without --format");
  return out;
}

std::vector<std::string> with(std::vector<std::string> options, const std::string& option) {
  options.push_back(option);
  return options;
}

/// The program's JSON report of one level; nullopt (and why, on stderr) when it reported nothing.
std::optional<json_value> level_report(const levels_request& req, const std::string& name,
                                       const std::vector<std::string>& options) {
  std::vector<std::string> argv{req.program.string(), "explore", "--level", name};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--format", "json"});
  auto ran = run_captured(argv, time_limit_from_env(std::chrono::seconds(60)),
                          {{"DCA_INVOKED_AS", req.invoked}});
  if (ran.exit_code == exit_usage)
    throw usage_error(last_output_line(ran.output));
  auto report = last_json_object(ran.output);
  if (!report)
    std::cerr << "dca: the " << name << " level of " << req.entry->id
              << " reported nothing (timed out or crashed): run `" << invoked_as(req.invoked)
              << " --level " << name << "` to see why\n";
  return report;
}

} // namespace

int explore_levels(const levels_request& req) {
  bool json = false;
  auto options = checked_options(req, json);
  bool fixed = fixed_given(options);
  if (!req.html.empty())
    if (auto why = unwritable(req.html); !why.empty())
      throw usage_error(why);
  std::vector<level_shown> levels;
  for (const auto& name : levels_of(*req.entry)) {
    if (fixed && name == "threads")
      continue; // the shared-state track has no fix to explore at this level
    auto report = level_report(req, name, options);
    if (!report)
      return exit_failed;
    level_shown shown{name, fixed, *report, *report, {}};
    if (shown.report.string_at("outcome") != "clean")
      shown.replay = invoked_as(req.invoked) + " --level " + name + (fixed ? " --fixed" : "") +
                     " --replay " + shown.report.string_at("schedule");
    else if (auto example = level_report(req, name, with(options, "--default-schedule")))
      shown.run = std::move(*example);
    levels.push_back(std::move(shown));
  }
  bool corrupted = std::any_of(levels.begin(), levels.end(), [](const level_shown& l) {
    return l.report.string_at("outcome") != "clean";
  });
  if (!req.html.empty()) {
    auto html = levels_page(*req.entry, levels);
    if (auto why = write_whole(req.html, html); !why.empty())
      throw usage_error(why);
    std::cout << "wrote " << req.html.string() << " (" << (html.size() + 1023) / 1024 << " KB, "
              << levels.size() << " levels side by side): open it in a browser\n";
  } else
    std::cout << (json ? levels_json(*req.entry, levels, fixed)
                       : levels_text(*req.entry, levels, terminal_width()));
  return corrupted ? 3 : exit_ok;
}

} // namespace dca::cli
