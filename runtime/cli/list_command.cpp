// `dca list`: where the learner stands: done, next, todo, and a progress bar.
#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "command.hpp"
#include "dca/json.hpp"
#include "progress.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

int list_as_json(const context& ctx, const progress& done, const std::string& current) {
  std::cout << "{\"exercises\": [";
  const auto& all = ctx.curriculum.exercises();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& e = all[i];
    auto status = done.passed(e.id) ? "done" : e.id == current ? "next" : "todo";
    std::cout << (i ? ", " : "") << "{\"id\": " << json_quoted(e.id)
              << ", \"pattern\": " << json_quoted(e.pattern)
              << ", \"title\": " << json_quoted(e.title) << ", \"status\": \"" << status << "\"}";
  }
  std::cout << "]}\n";
  return exit_ok;
}

} // namespace

int list_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca list [--format json]\nLists the exercises in order, with your progress"};
  std::string format = "table";
  desc.add_options()("help,h", "show this help")(
      "format", po::value(&format)->default_value("table"), "table or json");
  po::variables_map vm;
  if (!parse_words(desc, args, vm))
    return exit_ok;
  progress done{ctx.source_dir};
  // "next" is where `dca` continues: the exercise last worked on, unless it passed since.
  std::string current;
  {
    std::ifstream in{ctx.source_dir / ".dca" / "current"};
    in >> current;
    if (!current.empty() && done.passed(current))
      current.clear();
  }
  if (current.empty())
    for (const auto& e : ctx.curriculum.exercises())
      if (!done.passed(e.id)) {
        current = e.id;
        break;
      }
  if (format == "json")
    return list_as_json(ctx, done, current);
  if (format != "table")
    throw usage_error("unknown format '" + format + "': use table or json");
  // The id column fits the longest id and one space, so no id runs into its pattern.
  std::size_t id_width = 0;
  for (const auto& e : ctx.curriculum.exercises())
    id_width = std::max(id_width, e.id.size() + 1);
  std::size_t passed = 0;
  for (const auto& e : ctx.curriculum.exercises()) {
    bool ok = done.passed(e.id);
    passed += ok ? 1 : 0;
    const char* status = ok ? "done" : e.id == current ? "next" : "todo";
    std::cout << "  " << std::left << std::setw(6) << status
              << std::setw(static_cast<int>(id_width)) << e.id << std::setw(5) << e.pattern
              << e.title << '\n';
  }
  auto total = ctx.curriculum.exercises().size();
  constexpr std::size_t width = 30;
  auto filled = total == 0 ? 0 : passed * width / total;
  std::cout << "\n  [" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
            << passed << " of " << total << " done"
            << (total ? " (" + std::to_string(passed * 100 / total) + "%)" : std::string{}) << '\n';
  if (!current.empty())
    std::cout << "  Continue with `dca` (it checks exercises/" << current
              << "/message_passing.cpp on every save).\n";
  return exit_ok;
}

} // namespace dca::cli
