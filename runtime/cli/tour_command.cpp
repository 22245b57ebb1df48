// `dca tour`, the main job: for every exercise, the shared-state variant corrupting under the
// explorer (deterministic) next to the message-passing fix running clean. The reference programs
// report in JSON (program_report.hpp); the tour tells it as a table, or as JSON with --format json.
#include <boost/program_options.hpp>

#include <iostream>

#include "command.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/json.hpp"
#include "program_report.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

constexpr auto step_time_limit = std::chrono::seconds(120);

/// What the tour saw of one exercise: its three runs, as the programs reported them.
struct tour_stop {
  const exercise_entry* entry = nullptr;
  std::string not_built; // why this build lacks the exercise (module B without its packages)
  std::optional<explore_report> shared; // explore --variant shared
  std::optional<run_report> actors;     // run --variant actors
  bool actors_timed_out = false;
  std::optional<explore_report> explored; // explore --variant actors

  bool shared_corrupts() const {
    return shared && (shared->outcome == "invariant_broken" || shared->outcome == "deadlock");
  }
  bool actors_clean() const { return actors && !actors->corrupted && !actors_timed_out; }
  bool explored_clean() const { return !explored || !explored->failed(); }
  bool as_expected() const {
    return not_built.empty() && shared_corrupts() && actors_clean() && explored_clean();
  }
};

tour_stop visit(const context& ctx, const exercise_entry& e) {
  tour_stop stop;
  stop.entry = &e;
  auto program = ctx.program("sol" + e.number).string();
  auto ask = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), program);
    argv.insert(argv.end(), {"--format", "json"});
    return run_captured(argv, step_time_limit);
  };
  stop.shared = read_explore_report(ask({"explore", "--variant", "shared"}).output);
  auto actors = ask({"run", "--variant", "actors"});
  stop.actors_timed_out = actors.timed_out;
  if (actors.ok() || actors.exit_code == 3)
    stop.actors = read_run_report(actors.output);
  stop.explored = read_explore_report(ask({"explore", "--variant", "actors"}).output);
  return stop;
}

std::vector<std::string> lines_of_stop(const tour_stop& stop) {
  std::vector<std::string> lines;
  auto say = [&](const std::string& label, const std::string& status, const std::string& text) {
    lines.push_back("   " + label + std::string(17 - label.size(), ' ') + status +
                    std::string(11 - status.size(), ' ') + text);
  };
  auto more = [&](const std::string& text) { lines.push_back(std::string(31, ' ') + text); };
  if (!stop.not_built.empty()) {
    say("not built", "SKIPPED", "it runs against PostgreSQL 15 and Redis 7:");
    more(stop.not_built);
    return lines;
  }
  if (stop.shared_corrupts()) {
    const auto& s = *stop.shared;
    say("shared state", s.outcome == "deadlock" ? "DEADLOCK" : "CORRUPTED", s.what_broke());
    more("found by the explorer after " + harness::with_commas(s.schedules_explored) +
         " schedule(s); replay: dca explore " + stop.entry->number + " --replay " + s.schedule);
  } else {
    say("shared state", "NOT SHOWN",
        "the explorer found no corruption: " + (!stop.shared ? std::string{"no output"}
                                                : stop.shared->outcome == "clean"
                                                    ? std::string{"no schedule broke the invariant"}
                                                    : stop.shared->what_broke()));
  }
  if (stop.actors_clean())
    say("message passing", "ok", stop.actors->summary_line());
  else
    say("message passing", "FAILED",
        stop.actors_timed_out ? "timed out"
        : stop.actors         ? stop.actors->summary_line()
                              : "");
  if (stop.explored && !stop.explored->failed())
    more("explored every delivery order: " + stop.explored->explored_words());
  else if (stop.explored)
    more("EXPLORED ORDER CORRUPTS: " + stop.explored->what_broke());
  return lines;
}

std::string json_of_explore(const std::optional<explore_report>& r) {
  if (!r)
    return "null";
  return "{\"outcome\": " + json_quoted(r->outcome) +
         ", \"what_broke\": " + json_quoted(r->failed() ? r->what_broke() : "") +
         ", \"schedules_explored\": " + std::to_string(r->schedules_explored) +
         ", \"schedule\": " + json_quoted(r->schedule) + "}";
}

void write_json(std::ostream& out, const std::vector<tour_stop>& stops, int unexpected) {
  out << "{\n  \"version\": 1,\n  \"unexpected\": " << unexpected << ",\n  \"exercises\": [";
  for (std::size_t i = 0; i < stops.size(); ++i) {
    const auto& s = stops[i];
    out << (i ? "," : "") << "\n    {\"id\": " << json_quoted(s.entry->id)
        << ", \"pattern\": " << json_quoted(s.entry->pattern)
        << ", \"title\": " << json_quoted(s.entry->title)
        << ", \"as_expected\": " << (s.as_expected() ? "true" : "false")
        << ", \"not_built\": " << json_quoted(s.not_built)
        << ", \"shared\": " << json_of_explore(s.shared) << ", \"actors_run\": "
        << (s.actors ? "{\"corrupted\": " + std::string{s.actors->corrupted ? "true" : "false"} +
                           ", \"summary\": " + json_quoted(s.actors->summary) + "}"
                     : std::string{"null"})
        << ", \"actors_explored\": " << json_of_explore(s.explored) << "}";
  }
  out << "\n  ]\n}\n";
}

void write_stop(std::ostream& out, const tour_stop& stop) {
  out << stop.entry->number << "  " << stop.entry->title << " (" << stop.entry->pattern << ")\n";
  for (const auto& line : lines_of_stop(stop))
    out << line << '\n';
  out << '\n';
}

void write_ending(std::ostream& out, const context& ctx, std::size_t total, std::size_t skipped,
                  int unexpected) {
  if (unexpected == 0)
    out << "All " << total << " patterns corrupt with shared state; all " << total
        << " fixes run clean.\n";
  else
    out << unexpected << " of " << total << " exercises did not behave as the tour expects.\n";
  if (skipped > 0)
    out << skipped << " more need PostgreSQL and Redis: see SKIPPED above.\n";
  if (unexpected == 0)
    out << "Next: `dca list`, then open exercises/" << ctx.curriculum.exercises().front().id
        << "/README.md.\n";
}

} // namespace

int tour_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca tour [--format json]\nFor every exercise: the "
                               "shared-state variant corrupting (found by the explorer), next to "
                               "the message-passing fix running clean"};
  std::string format = "table";
  desc.add_options()("help,h", "show this help")(
      "format", po::value(&format)->default_value("table"), "table or json");
  po::variables_map vm;
  if (!parse_words(desc, args, vm))
    return exit_ok;
  if (format != "table" && format != "json")
    throw usage_error("unknown format '" + format + "': use table or json");
  bool json = format == "json";
  std::vector<std::string> targets;
  for (const auto& e : ctx.curriculum.exercises())
    targets.push_back("sol" + e.number);
  (json ? std::cerr : std::cout) << "Building the exercises and their reference solutions..."
                                 << std::endl;
  auto built = ctx.build(targets);
  if (!built.ok()) {
    std::cerr << "dca: the build failed:\n" << compiler_errors(built.output);
    return exit_failed;
  }
  if (!json)
    std::cout << "\nData Corrupting Architectures: each pattern with shared state, then with "
                 "message passing\n\n";
  std::vector<tour_stop> stops;
  int unexpected = 0;
  std::size_t skipped = 0;
  // Every exercise the manifest lists: one this build lacks says what it needs, in its place.
  for (const auto& e : ctx.manifest_all.exercises()) {
    if (ctx.builds(e)) {
      stops.push_back(visit(ctx, e));
      unexpected += stops.back().as_expected() ? 0 : 1;
    } else {
      tour_stop stop;
      stop.entry = &e;
      stop.not_built = ctx.why_not_built(e);
      stops.push_back(std::move(stop));
      ++skipped;
    }
    if (!json)
      write_stop(std::cout, stops.back()); // as it goes: each stop takes seconds
  }
  if (json)
    write_json(std::cout, stops, unexpected);
  else
    write_ending(std::cout, ctx, stops.size() - skipped, skipped, unexpected);
  return unexpected == 0 ? exit_ok : exit_failed;
}

} // namespace dca::cli
