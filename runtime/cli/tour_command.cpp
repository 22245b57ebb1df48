// `dca tour`, the main job: for every exercise, the shared-state variant corrupting under the
// explorer (deterministic) next to the message-passing fix running clean.
#include <boost/program_options.hpp>

#include <iostream>
#include <map>
#include <sstream>

#include "context.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

constexpr auto step_time_limit = std::chrono::seconds(120);

/// key=value pairs of the RESULT line a run printed.
std::map<std::string, std::string> result_fields(const std::string& output) {
  std::map<std::string, std::string> fields;
  std::istringstream in{output};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RESULT ", 0) == 0) {
      std::istringstream words{line.substr(7)};
      std::string word;
      while (words >> word)
        if (auto eq = word.find('='); eq != std::string::npos)
          fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
  return fields;
}

/// The first line that starts with one of `prefixes`, without the prefix.
std::string line_after(const std::string& output, std::initializer_list<const char*> prefixes) {
  std::istringstream in{output};
  std::string line;
  while (std::getline(in, line))
    for (const char* p : prefixes)
      if (line.rfind(p, 0) == 0)
        return line.substr(std::string{p}.size());
  return {};
}

struct row {
  bool as_expected = true;
  std::vector<std::string> lines;
};

row tour_one(const context& ctx, const exercise_entry& e) {
  row r;
  auto program = ctx.program("sol" + e.number).string();
  auto say = [&](const std::string& label, const std::string& status, const std::string& text) {
    r.lines.push_back("   " + label + std::string(17 - label.size(), ' ') + status +
                      std::string(11 - status.size(), ' ') + text);
  };
  auto more = [&](const std::string& text) { r.lines.push_back(std::string(31, ' ') + text); };

  auto shared = run_captured({program, "explore", "--variant", "shared"}, step_time_limit);
  auto sf = result_fields(shared.output);
  if (sf["outcome"] == "invariant_broken" || sf["outcome"] == "deadlock") {
    auto verdict = line_after(shared.output, {"CORRUPTED: ", "DEADLOCK: "});
    say("shared state", sf["outcome"] == "deadlock" ? "DEADLOCK" : "CORRUPTED", verdict);
    more("found by the explorer after " + sf["schedules"] + " schedule(s); replay: dca explore " +
         e.number + " --replay " + sf["schedule"]);
  } else {
    r.as_expected = false;
    say("shared state", "NOT SHOWN",
        "the explorer found no corruption: " + (shared.output.empty()
                                                    ? std::string{"no output"}
                                                    : line_after(shared.output, {"ok: "})));
  }

  auto actors = run_captured({program, "run", "--variant", "actors"}, step_time_limit);
  auto af = result_fields(actors.output);
  if (actors.ok() && af["corrupted"] == "0") {
    say("message passing", "ok", line_after(actors.output, {"ok: "}));
  } else {
    r.as_expected = false;
    say("message passing", "FAILED",
        actors.timed_out ? "timed out" : line_after(actors.output, {"CORRUPTED: "}));
  }
  auto explored = run_captured({program, "explore", "--variant", "actors"}, step_time_limit);
  auto xf = result_fields(explored.output);
  if (xf.count("outcome")) {
    if (xf["outcome"] == "clean") {
      more("every explored delivery order is clean: " +
           line_after(explored.output, {"explored: "}));
    } else {
      r.as_expected = false;
      more("EXPLORED ORDER CORRUPTS: " +
           line_after(explored.output, {"CORRUPTED: ", "DEADLOCK: "}));
    }
  }
  return r;
}

} // namespace

int tour_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca tour\nFor every exercise: the shared-state variant "
                               "corrupting (found by the explorer), next to the message-passing "
                               "fix running clean"};
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (!parse_words(desc, args, vm))
    return exit_ok;
  std::vector<std::string> targets;
  for (const auto& e : ctx.curriculum.exercises())
    targets.push_back("sol" + e.number);
  std::cout << "Building the exercises and their reference solutions..." << std::endl;
  auto built = ctx.build(targets);
  if (!built.ok()) {
    std::cerr << "dca: the build failed:\n" << compiler_errors(built.output);
    return exit_failed;
  }
  std::cout << "\nData Corrupting Architectures: each pattern with shared state, then with "
               "message passing\n\n";
  int unexpected = 0;
  for (const auto& e : ctx.curriculum.exercises()) {
    std::cout << e.number << "  " << e.title << " (" << e.pattern << ")\n";
    auto r = tour_one(ctx, e);
    for (const auto& line : r.lines)
      std::cout << line << '\n';
    std::cout << '\n';
    unexpected += r.as_expected ? 0 : 1;
  }
  auto total = ctx.curriculum.exercises().size();
  if (unexpected == 0)
    std::cout << "All " << total << " patterns corrupt with shared state; all " << total
              << " fixes run clean.\nNext: `dca list`, then open exercises/"
              << ctx.curriculum.exercises().front().id << "/README.md.\n";
  else
    std::cout << unexpected << " of " << total
              << " exercises did not behave as the tour expects.\n";
  return unexpected == 0 ? exit_ok : exit_failed;
}

} // namespace dca::cli
