// `dca run NN` and `dca explore NN`: build the learner's exercise program and hand over to it. Its
// own options (--variant, --format json, ...) pass through unchanged.
#include <iostream>

#include "command.hpp"

namespace dca::cli {

namespace {

int hand_over(const context& ctx, const std::vector<std::string>& args, const std::string& mode) {
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
