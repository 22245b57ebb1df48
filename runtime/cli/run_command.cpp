// `dca run NN` and `dca explore NN`: build the learner's exercise program and run it at the
// terminal, its own options (--variant, --format json, ...) passed through unchanged, with a time
// limit: a program that does not finish is stopped with a line naming the learner's line that was
// still running, and the explorer says what a free run could not show. With --submission PATH, the
// program is built from that submission's message_passing.cpp the way `dca grade` builds it (the
// instructor's scenario and flags), so a grade report's replay runs the learner's code.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "check.hpp"
#include "command.hpp"
#include "dca/harness/exercise.hpp"
#include "explore_page.hpp"
#include "file_build.hpp"
#include "grade/grader.hpp"
#include "levels_view.hpp"
#include "process.hpp"
#include "program_report.hpp"
#include "stack_words.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

/// The exercise program built from `submission`'s file (not sandboxed: replay only code you mean to
/// run), or an empty path after saying why not. `source` is set to the file.
std::filesystem::path build_submission(const context& ctx, const exercise_entry& e,
                                       const std::string& submission,
                                       std::filesystem::path& source) {
  namespace fs = std::filesystem;
  source = fs::is_regular_file(submission)
               ? fs::path{submission}
               : exercises_dir_of(submission) / e.id / "message_passing.cpp";
  if (!fs::is_regular_file(source) || fs::is_symlink(source)) {
    std::cerr << "dca: no " << e.id << "/message_passing.cpp in " << submission << '\n';
    return {};
  }
  auto built = build_from_file(ctx, e, source, ctx.build_dir / "replay" / e.id);
  if (!built.ok())
    std::cerr << "dca: " << built.error;
  return built.program;
}

/// The exercise programs exit with 3 when a run corrupted or the explorer found a failure.
constexpr int exit_corrupted = 3;

/// The program and how to name it to the learner.
struct launch {
  const exercise_entry* entry = nullptr;
  std::filesystem::path program;
  std::string invoked;              // "dca %s 01", with --submission when given
  std::string mode;                 // "run" or "explore"
  std::vector<std::string> options; // the program's own options, as typed
  std::string variant = "shared";
  bool json = false;
  std::string learner_file = "message_passing.cpp"; // the file whose lines we name
  std::filesystem::path learner_source;             // that file, when not the exercise's own

  std::string command() const {
    auto at = invoked.find("%s");
    auto out = std::string{invoked}.replace(at, 2, mode);
    for (const auto& o : options)
      out += ' ' + shell_quote(o);
    return out;
  }
};

/// One line: what the explorer finds in `variant` of the program, with the command that replays
/// it; empty when it finds nothing (or cannot say within `limit`: its handlers may hang too).
std::string explorer_finding(const launch& l, const std::string& variant,
                             std::chrono::seconds limit) {
  auto ran = run_captured({l.program.string(), "explore", "--variant", variant, "--format", "json"},
                          time_limit_from_env(limit));
  auto found = read_explore_report(ran.output);
  if (!found || !found->failed())
    return {};
  auto invoked = l.invoked;
  invoked.replace(invoked.find("%s"), 2, "explore");
  return "The explorer finds it in " + harness::with_commas(found->schedules_explored) +
         (found->schedules_explored == 1 ? " schedule" : " schedules") + " (" +
         found->what_broke() + "): " + invoked + " --variant " + variant + " --replay " +
         found->schedule + "\n";
}

/// The time limit passed: say what did not finish, and what the explorer finds instead (a free
/// run of a lost update by "get, then set value+1" can be too slow to tell).
void report_stuck(const launch& l, const process_result& r, std::chrono::seconds limit) {
  auto frame = find_learner_frame(r.output, l.program, l.learner_file);
  std::cout << "dca: stopped " << l.command() << " after " << limit.count() << " s: ";
  if (frame)
    std::cout << "your code at " << frame->where() << " was still running (a loop that never "
              << "ends, a call that blocks inside a handler, or more work than this machine does "
              << "in " << limit.count() << " s)\n";
  else
    std::cout << "none of your code was running, so something waited forever (actors waiting "
              << "for a reply that never comes, a worker that never quits) or the run is too big "
              << "for this machine (try smaller figures)\n";
  if (l.mode == "run")
    std::cout << explorer_finding(l, l.variant, std::chrono::seconds(15));
}

/// It crashed: name the line of the learner's file instead of the shell's "Segmentation fault".
void report_crash(const launch& l, const process_result& r) {
  auto frame = find_learner_frame(r.output, l.program, l.learner_file);
  const char* name = sigabbrev_np(r.signal);
  std::cout << "dca: " << l.command() << " crashed (SIG" << (name ? name : "?") << ", "
            << strsignal(r.signal) << ")"
            << (frame ? " at " + frame->where() : std::string{" outside your file"})
            << ": a dangling pointer or reference, or an actor used after it quit?\n";
}

/// Runs the program at the terminal with a time limit, then says what a learner needs to know.
int watch(const launch& l) {
  auto limit = time_limit_from_env(std::chrono::seconds(l.mode == "run" ? 120 : 60));
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> argv{l.program.string(), l.mode};
  argv.insert(argv.end(), l.options.begin(), l.options.end());
  auto r = run_watched(argv, limit, {{"DCA_INVOKED_AS", l.invoked}},
                       [&] { still_running(l.command(), started, limit); });
  if (r.interrupted) {
    std::cout << "stopped (Ctrl-C).\n";
    return exit_interrupted;
  }
  if (r.timed_out) {
    report_stuck(l, r, limit);
    return exit_failed;
  }
  if (r.signal != 0) {
    report_crash(l, r);
    return exit_failed;
  }
  bool clean = r.exit_code == exit_ok, corrupted = r.exit_code == exit_corrupted;
  // A clean free run of the shared code was luck; a corrupted actor run says what it saw, and the
  // explorer says why (a lost update that a free run reports as a timeout, say).
  if (l.mode == "run" && !l.json &&
      ((clean && l.variant == "shared") || (corrupted && l.variant == "actors")))
    std::cout << explorer_finding(l, l.variant, std::chrono::seconds(60));
  return r.exit_code;
}

/// The value of `--name V` or `--name=V` in `options`; `fallback` when absent.
std::string option_value(const std::vector<std::string>& options, const std::string& name,
                         const std::string& fallback) {
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (options[i] == name && i + 1 < options.size())
      return options[i + 1];
    if (options[i].rfind(name + "=", 0) == 0)
      return options[i].substr(name.size() + 1);
  }
  return fallback;
}

/// `--html FILE` taken out of `args` (explore only): the page to write, or empty.
std::filesystem::path take_html(std::vector<std::string>& args, const std::string& mode) {
  auto at = std::find_if(args.begin(), args.end(), [](const std::string& a) {
    return a == "--html" || a.rfind("--html=", 0) == 0;
  });
  if (at == args.end())
    return {};
  if (mode != "explore")
    throw usage_error("--html is an option of dca explore (the page of an explored schedule)");
  auto inline_value = at->size() > 6 ? at->substr(7) : std::string{};
  if (inline_value.empty() && at + 1 == args.end())
    throw usage_error("--html takes the file to write, e.g. --html lost-update.html");
  std::filesystem::path out = inline_value.empty() ? *(at + 1) : inline_value;
  args.erase(at, at + (inline_value.empty() ? 2 : 1));
  if (option_value(args, "--format", "").size() > 0)
    throw usage_error("--html writes a page; give it without --format");
  return out;
}

/// `--levels` taken out of `args` (explore only): one failure at every level (levels_view.hpp).
bool take_levels(std::vector<std::string>& args, const std::string& mode) {
  auto at = std::find(args.begin(), args.end(), "--levels");
  if (at == args.end())
    return false;
  if (mode != "explore")
    throw usage_error("--levels is an option of dca explore (one failure at every level)");
  args.erase(at);
  return true;
}

/// `dca explore NN --html FILE`: the page instead of the table.
int write_page(const context& ctx, const launch& l, const std::filesystem::path& out) {
  explore_page_request req;
  req.entry = l.entry;
  req.program = l.program;
  req.options = l.options;
  req.variant = l.variant;
  req.invoked = l.invoked;
  req.build_dir = ctx.build_dir;
  req.exercise_dir = ctx.source_dir / "exercises" / l.entry->id;
  req.learner_file =
      l.learner_source.empty() ? req.exercise_dir / "message_passing.cpp" : l.learner_source;
  req.out = out;
  return write_explore_page(req);
}

int hand_over(const context& ctx, std::vector<std::string> args, const std::string& mode) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "Usage: dca " << mode << " NN [options]\n"
              << (mode == "run" ? "Runs exercise NN on real threads (--variant shared) or real "
                                  "actors (--variant actors)\n"
                                : "Searches exercise NN's interleavings for one that corrupts, and "
                                  "prints it step by step\n")
              << "`dca " << mode << " 01 --help` lists an exercise's options."
              << (mode == "explore" ? " --html FILE writes the schedule as a web page to step "
                                      "through (one file, opens from disk). --levels shows 01's "
                                      "or 02's failure as threads, actors and nodes side by side.\n"
                                    : "\n");
    return args.empty() ? exit_usage : exit_ok;
  }
  auto html = take_html(args, mode);
  auto levels = take_levels(args, mode);
  launch l;
  l.entry = &ctx.exercise(args[0]);
  if (levels && levels_of(*l.entry).empty())
    throw usage_error(l.entry->id + " has no levels: --levels shows the lost update (01) and "
                                    "check-then-act (02) as threads, actors and nodes");
  l.mode = mode;
  l.invoked = "dca %s " + l.entry->number;
  if (auto at = std::find(args.begin(), args.end(), "--submission"); at != args.end()) {
    if (at + 1 == args.end())
      throw usage_error("--submission takes a submission folder or its message_passing.cpp");
    std::filesystem::path source;
    l.program = build_submission(ctx, *l.entry, *(at + 1), source);
    if (l.program.empty())
      return exit_failed;
    l.learner_file = source.filename().string();
    l.learner_source = source;
    l.invoked += " --submission " + shell_quote(*(at + 1));
    args.erase(at, at + 2);
  } else {
    auto target = "ex" + l.entry->number;
    auto built = ctx.build({target});
    if (!built.ok()) {
      std::cerr << "dca: " << l.entry->id << " does not compile:\n"
                << compiler_errors(built.output);
      return exit_failed;
    }
    l.program = ctx.program(target);
  }
  l.options.assign(args.begin() + 1, args.end());
  if (levels)
    return explore_levels({l.entry, l.program, l.invoked, l.options, html});
  l.variant = option_value(l.options, "--variant", "shared");
  if (std::find(l.options.begin(), l.options.end(), "--real") != l.options.end())
    l.variant = "actors"; // the message-passing code, on the real servers its stand-ins play
  l.json = option_value(l.options, "--format", "table") == "json";
  if (!html.empty())
    return write_page(ctx, l, html);
  return watch(l);
}

} // namespace

int run_command(const context& ctx, const std::vector<std::string>& args) {
  return hand_over(ctx, args, "run");
}

int explore_command(const context& ctx, const std::vector<std::string>& args) {
  return hand_over(ctx, args, "explore");
}

} // namespace dca::cli
