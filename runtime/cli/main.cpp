// The dca command: run a pattern and watch it corrupt, explore its interleavings, check your fix,
// get hints. Each subcommand lives in its own file; this one only dispatches.
#include <boost/program_options/errors.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>

#include "context.hpp"
#include "journal_command.hpp"

namespace {

void print_usage() {
  std::cout << "dca: Data Corrupting Architectures, the workshop kit\n\n"
               "  dca                   continue where you left off: checks your exercise on "
               "every save\n"
               "  dca tour              every pattern corrupting, next to its fix (start here)\n"
               "  dca list              the exercises and your progress\n"
               "  dca run NN            run exercise NN on real threads (or --variant actors)\n"
               "  dca explore NN        find the interleaving that corrupts, step by step\n"
               "  dca check NN          check your message_passing.cpp against the spec\n"
               "  dca check --all       re-check every exercise you have passed\n"
               "  dca hint NN           a hint when you are stuck (--level 2, 3 for more)\n"
               "  dca reset NN          start exercise NN over (your version is backed up)\n"
               "  dca solution NN       the reference solution, once yours passes\n"
               "  dca journal inspect|verify PATH   read or check an entity journal (SQLite)\n\n"
               "For instructors and authors:\n"
               "  dca grade SUB...      grade submissions in a sandbox (table, json, csv, junit, "
               "gradescope)\n"
               "  dca dev check         every exercise: listed, documented, skeleton fails, "
               "solution passes\n\n"
               "Add --help after any command for its options.\n";
}

} // namespace

int main(int argc, char** argv) {
  using namespace dca::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    print_usage();
    return exit_ok;
  }
  // No command (or only watch's options): continue where the learner left off.
  std::string command = "watch";
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  try {
    context ctx;
    const char* source = std::getenv("DCA_SOURCE_DIR");
    const char* build = std::getenv("DCA_BUILD_DIR");
    ctx.source_dir = source ? source : DCA_SOURCE_DIR;
    ctx.build_dir = build ? build : DCA_BUILD_DIR;
    ctx.curriculum = manifest::load(ctx.source_dir / "exercises" / "manifest.ini");
    const std::map<std::string, std::function<int()>> commands{
        {"list", [&] { return list_command(ctx, args); }},
        {"hint", [&] { return hint_command(ctx, args); }},
        {"run", [&] { return run_command(ctx, args, "run"); }},
        {"explore", [&] { return run_command(ctx, args, "explore"); }},
        {"check", [&] { return check_command(ctx, args); }},
        {"tour", [&] { return tour_command(ctx, args); }},
        {"grade", [&] { return grade_command(ctx, args); }},
        {"watch", [&] { return watch_command(ctx, args); }},
        {"reset", [&] { return reset_command(ctx, args); }},
        {"solution", [&] { return solution_command(ctx, args); }},
        {"dev", [&] { return dev_command(ctx, args); }},
        {"journal", [&] { return journal_command(args, std::cout, std::cerr); }},
    };
    auto found = commands.find(command);
    if (found == commands.end()) {
      std::cerr << "dca: unknown command '" << command << "': run `dca --help` to see them\n";
      return exit_usage;
    }
    return found->second();
  } catch (const usage_error& e) {
    std::cerr << "dca " << command << ": " << e.what() << '\n';
    return exit_usage;
  } catch (const boost::program_options::error& e) {
    std::cerr << "dca " << command << ": " << e.what() << " (see `dca " << command << " --help`)\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "dca " << command << ": " << e.what() << '\n';
    return exit_failed;
  }
}
