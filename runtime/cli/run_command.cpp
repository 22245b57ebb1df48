// `dca run NN` and `dca explore NN`: build the learner's exercise program and hand over to it. Its
// own options (--variant, --format json, ...) pass through unchanged. With --submission PATH, the
// program is built from that submission's message_passing.cpp the way `dca grade` builds it (the
// instructor's scenario and flags), so a grade report's replay runs the learner's code.
#include <algorithm>
#include <iostream>

#include "command.hpp"
#include "file_build.hpp"
#include "grade/grader.hpp"
#include "process.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

/// The exercise program built from `submission`'s file (not sandboxed: replay only code you mean to
/// run), or an empty path after saying why not.
std::filesystem::path build_submission(const context& ctx, const exercise_entry& e,
                                       const std::string& submission) {
  namespace fs = std::filesystem;
  auto source = fs::is_regular_file(submission)
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

int hand_over(const context& ctx, std::vector<std::string> args, const std::string& mode) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "Usage: dca " << mode << " NN [options]\n"
              << (mode == "run" ? "Runs exercise NN on real threads (--variant shared) or real "
                                  "actors (--variant actors)\n"
                                : "Searches exercise NN's interleavings for one that corrupts, and "
                                  "prints it step by step\n")
              << "`dca " << mode << " 01 --help` lists an exercise's options.\n";
    return args.empty() ? exit_usage : exit_ok;
  }
  const auto& e = ctx.exercise(args[0]);
  if (auto at = std::find(args.begin(), args.end(), "--submission"); at != args.end()) {
    if (at + 1 == args.end())
      throw usage_error("--submission takes a submission folder or its message_passing.cpp");
    auto program = build_submission(ctx, e, *(at + 1));
    if (program.empty())
      return exit_failed;
    auto invoked = "dca %s " + e.number + " --submission " + shell_quote(*(at + 1));
    args.erase(at, at + 2);
    std::vector<std::string> argv{program.string(), mode};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    exec_program(argv, {{"DCA_INVOKED_AS", invoked}});
  }
  auto target = "ex" + e.number;
  auto built = ctx.build({target});
  if (!built.ok()) {
    std::cerr << "dca: " << e.id << " does not compile:\n" << compiler_errors(built.output);
    return exit_failed;
  }
  std::vector<std::string> argv{ctx.program(target).string(), mode};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  exec_program(argv, {{"DCA_INVOKED_AS", "dca %s " + e.number}});
}

} // namespace

int run_command(const context& ctx, const std::vector<std::string>& args) {
  return hand_over(ctx, args, "run");
}

int explore_command(const context& ctx, const std::vector<std::string>& args) {
  return hand_over(ctx, args, "explore");
}

} // namespace dca::cli
