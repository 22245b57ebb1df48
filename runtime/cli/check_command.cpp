// `dca check NN`: build the learner's message_passing.cpp against the exercise's spec, run the
// spec with a time limit, and say in words what happened. The watch loop (`dca`) uses the same
// check_exercise.
#include <boost/program_options.hpp>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "check.hpp"
#include "command.hpp"
#include "dca/json.hpp"
#include "grade/hygiene.hpp"
#include "progress.hpp"
#include "spec_words.hpp"
#include "stack_words.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

constexpr auto spec_time_limit_default = std::chrono::seconds(120);

} // namespace

void still_running(const std::string& what, std::chrono::steady_clock::time_point started,
                   std::chrono::seconds limit) {
  if (isatty(STDOUT_FILENO) == 0)
    return;
  auto s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  std::cout << "  still running " << what << ": " << s.count() << " s of at most " << limit.count()
            << " s (Ctrl-C stops it)" << std::endl;
}

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The grader's essential hygiene comments (shared state behind the actors), as a failed check:
/// a spec can pass by luck or by sharing state, and the lesson is one owner.
bool shares_state(const std::string& source, const std::string& file, check_outcome& out) {
  std::string lines;
  for (const auto& c : analyze_hygiene(source))
    if (c.severity == severity::essential)
      lines += "  " + file + ":" + std::to_string(c.line) + ": " + c.message + "\n      " +
               c.excerpt + "\n";
  if (lines.empty())
    return false;
  out.headline = "your actors share state, so this does not pass even when the spec "
                 "does (the lesson: one owner, messages only):";
  out.details = lines;
  return true;
}

/// The spec hung or crashed: name the line of message_passing.cpp it was in (its stack report).
void stopped_or_crashed(const process_result& ran, const std::filesystem::path& spec,
                        check_outcome& out) {
  auto frame = find_learner_frame(ran.output, spec);
  auto spec_time_limit = time_limit_from_env(spec_time_limit_default);
  if (ran.timed_out) {
    out.timed_out = true;
    out.headline = frame ? "timed out after " + std::to_string(spec_time_limit.count()) +
                               " s: your code at " + frame->where() +
                               " was still running (a loop that never ends? a call that blocks "
                               "inside a handler?)"
                         : timed_out_words(spec_time_limit);
    return;
  }
  const char* name = sigabbrev_np(ran.signal);
  out.headline = std::string{"the spec crashed with SIG"} + (name ? name : "?") + " (" +
                 strsignal(ran.signal) + ")" + (frame ? " at " + frame->where() : std::string{}) +
                 ": look for a handler that uses a dangling pointer or reference, or an actor "
                 "used after it quit";
  out.details = last_lines(without_stack_reports(ran.output), 6);
}

/// What checking `e` finds, without recording it.
check_outcome evaluate(const context& ctx, const exercise_entry& e) {
  check_outcome out;
  auto target = "ex" + e.number + "_spec";
  auto file = "exercises/" + e.id + "/message_passing.cpp";
  auto path = ctx.source_dir / file;
  if (!std::filesystem::exists(path)) {
    out.headline = file + " is missing: `dca reset " + e.number + "` brings back the skeleton.";
    return out;
  }
  // Before building: shared state fails the lesson whether or not the spec happens to pass.
  if (shares_state(read_file(path), file, out))
    return out;
  auto built = ctx.build({target});
  if (built.interrupted) {
    out.interrupted = true;
    out.headline = "stopped (Ctrl-C) while building.";
    return out;
  }
  if (!built.ok()) {
    out.headline = file + " does not compile (warnings are errors):";
    out.details = compiler_errors(built.output);
    return out;
  }
  auto started = std::chrono::steady_clock::now();
  auto spec_time_limit = time_limit_from_env(spec_time_limit_default);
  auto ran = run_captured({ctx.program(target).string(), "--no-colors", "--duration=false"},
                          spec_time_limit, {},
                          [&] { still_running("the spec of " + e.id, started, spec_time_limit); });
  if (ran.interrupted) {
    out.interrupted = true;
    out.headline = "stopped (Ctrl-C): the spec was killed.";
    return out;
  }
  if (ran.ok()) {
    out.passed = true;
    out.headline = "every check of its spec passes.";
    return out;
  }
  if (ran.timed_out || ran.signal != 0) {
    stopped_or_crashed(ran, ctx.program(target), out);
  } else {
    auto failures = spec_failures(ran.output);
    if (failures.empty()) {
      out.headline = "the spec failed (exit " + std::to_string(ran.exit_code) + "):";
      out.details = last_lines(ran.output, 10);
    } else {
      out.headline = in_words(failures.front().message, e.number);
      for (const auto& f : failures)
        out.details += "  - " + f.test_case + ":\n      " + in_words(f.message, "") + "\n";
    }
  }
  return out;
}

} // namespace

check_outcome check_exercise(const context& ctx, const exercise_entry& e) {
  auto out = evaluate(ctx, e);
  // Progress follows the latest check: a regression (or a reset skeleton) is no longer done, so
  // `dca` and `dca list` come back to it.
  if (out.passed)
    progress{ctx.source_dir}.mark_passed(e.id);
  else if (!out.interrupted)
    progress{ctx.source_dir}.forget(e.id);
  return out;
}

namespace {

/// What to try next: never the command that just hung.
std::string next_step(const check_outcome& r, const std::string& number) {
  if (r.timed_out) // not `dca run`: it would wait for the same loop, up to its own limit
    return "Stuck? `dca hint " + number + "`. Look for a handler that never returns or a loop " +
           "that never ends.\n";
  return "Stuck? `dca hint " + number + "`. To watch your code run: `dca run " + number +
         " --variant actors`.\n";
}

int check_one(const context& ctx, const exercise_entry& e, bool quiet) {
  if (!quiet)
    std::cout << "checking " << e.id << " ..." << std::endl;
  auto r = check_exercise(ctx, e);
  if (r.passed) {
    std::cout << "PASS " << e.id << ": " << r.headline << '\n';
    return exit_ok;
  }
  if (r.interrupted) {
    std::cout << r.headline << '\n';
    return exit_interrupted;
  }
  std::cout << "FAIL " << e.id << ": " << r.headline << '\n' << r.details;
  if (!quiet)
    std::cout << next_step(r, e.number);
  return exit_failed;
}

int check_as_json(const context& ctx, const exercise_entry& e) {
  auto r = check_exercise(ctx, e);
  if (r.interrupted)
    return exit_interrupted;
  std::cout << "{\"id\": " << json_quoted(e.id) << ", \"passed\": " << (r.passed ? "true" : "false")
            << ", \"headline\": " << json_quoted(r.headline)
            << ", \"details\": " << json_quoted(r.details) << "}\n";
  return r.passed ? exit_ok : exit_failed;
}

} // namespace

int check_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca check [NN] | dca check --all\nBuilds your "
                               "message_passing.cpp and runs the exercise's spec against it"};
  std::string name, format = "table";
  bool all = false;
  desc.add_options()("help,h", "show this help")(
      "all", po::bool_switch(&all), "re-check every exercise you have passed (find regressions)")(
      "format", po::value(&format)->default_value("table"),
      "table, or json: one exercise's outcome as one JSON object")(
      "exercise", po::value(&name), "the exercise, e.g. 01 (default: the one you are on)");
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "exercise", 1))
    return exit_ok;
  if (all && !name.empty())
    throw usage_error("--all re-checks every passed exercise: use `dca check " + name +
                      "` or `dca check --all`, not both");
  if (all)
    return check_all(ctx);
  if (name.empty())
    name = current_exercise(ctx);
  if (name.empty())
    throw usage_error("which exercise? e.g. `dca check 01`, or `dca check --all`");
  if (format == "json")
    return check_as_json(ctx, ctx.exercise(name));
  if (format != "table")
    throw usage_error("unknown format '" + format + "': use table or json");
  return check_one(ctx, ctx.exercise(name), false);
}

int check_all(const context& ctx) {
  progress done{ctx.source_dir};
  int failed = 0, checked = 0;
  for (const auto& e : ctx.curriculum.exercises())
    if (done.passed(e.id)) {
      ++checked;
      auto rc = check_one(ctx, e, true);
      if (rc == exit_interrupted)
        return rc;
      failed += rc == exit_ok ? 0 : 1;
    }
  if (checked == 0) {
    std::cout << "Nothing to re-check yet: no exercise has passed. Start with `dca`.\n";
    return exit_ok;
  }
  std::cout << checked - failed << " of " << checked << " passed exercises still pass"
            << (failed ? ": fix the regressions above.\n" : ".\n");
  return failed == 0 ? exit_ok : exit_failed;
}

} // namespace dca::cli
