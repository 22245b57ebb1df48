// The dca command: run a pattern and watch it corrupt, explore its interleavings, check your fix,
// get hints. The commands live in the dca_cli library (command.hpp); this file only finds the
// checkout, picks the command and turns an escaping exception into one line and an exit status.
#include <boost/program_options/errors.hpp>

#include <cstdlib>
#include <iostream>

#include "command.hpp"

namespace {

dca::cli::context context_from_environment() {
  dca::cli::context ctx;
  const char* source = std::getenv("DCA_SOURCE_DIR");
  const char* build = std::getenv("DCA_BUILD_DIR");
  ctx.source_dir = source ? source : DCA_SOURCE_DIR;
  ctx.build_dir = build ? build : DCA_BUILD_DIR;
  ctx.curriculum = dca::cli::manifest::load(ctx.source_dir / "exercises" / "manifest.ini");
  ctx.manifest_all = ctx.curriculum;
  return ctx;
}

/// Learners' commands see the exercises this build has (05-08 need DCA_WITH_SERVICES); naming one
/// it has not says how to get it (context::exercise). `dca dev check` sees them all.
dca::cli::context for_command(dca::cli::context ctx, const std::string& name) {
  if (name == "dev")
    return ctx;
  ctx.curriculum.keep_only([&](const dca::cli::exercise_entry& e) { return ctx.builds(e); });
  return ctx;
}

} // namespace

int main(int argc, char** argv) {
  using namespace dca::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--version") {
    std::cout << "dca " << DCA_VERSION << '\n';
    return exit_ok;
  }
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    print_usage(std::cout);
    return exit_ok;
  }
  // No command (or only watch's options): continue where the learner left off.
  std::string name = "watch";
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    name = args[0];
    args.erase(args.begin());
  }
  try {
    const auto* found = find_command(name);
    if (found == nullptr) {
      std::cerr << "dca: unknown command '" << name << "': run `dca --help` to see them\n";
      return exit_usage;
    }
    return found->run(for_command(context_from_environment(), name), args);
  } catch (const usage_error& e) {
    std::cerr << "dca " << name << ": " << e.what() << '\n';
    return exit_usage;
  } catch (const boost::program_options::error& e) {
    std::cerr << "dca " << name << ": " << e.what() << " (see `dca " << name << " --help`)\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "dca " << name << ": " << e.what() << '\n';
    return exit_failed;
  }
}
