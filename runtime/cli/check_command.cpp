// `dca check NN`: build the learner's message_passing.cpp against the exercise's spec, run the
// spec with a time limit, and say in words what happened.
#include <boost/program_options.hpp>

#include <csignal>
#include <cstring>
#include <iostream>
#include <sstream>

#include "context.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

constexpr auto spec_time_limit = std::chrono::seconds(120);

/// The failing checks of a doctest run, told as "test case: what went wrong", in the spec's own
/// words (its logged message) where it has them, else the failed assertion.
std::string failures(const std::string& output) {
  std::istringstream in{output};
  std::string line, out, assertion;
  auto flush_assertion = [&] {
    if (!assertion.empty())
      out += "      " + assertion + "\n";
    assertion.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("TEST CASE:", 0) == 0) {
      flush_assertion();
      out += "  - " + line.substr(line.find_first_not_of(' ', 10)) + "\n";
    } else if (auto at = line.find("ERROR"); at != std::string::npos) {
      flush_assertion();
      assertion = line.substr(at);
    } else if (auto logged = line.find("logged:"); logged != std::string::npos) {
      assertion = line.substr(line.find_first_not_of(' ', logged + 7));
    }
  }
  flush_assertion();
  return out;
}

int check_one(const context& ctx, const exercise_entry& e, bool quiet) {
  auto target = "ex" + e.number + "_spec";
  if (!quiet)
    std::cout << "checking " << e.id << " ..." << std::endl;
  auto built = ctx.build({target});
  if (!built.ok()) {
    std::cout << "FAIL " << e.id << ": exercises/" << e.id
              << "/message_passing.cpp does not compile:\n"
              << compiler_errors(built.output);
    return exit_failed;
  }
  auto ran = run_captured({ctx.program(target).string(), "--no-colors", "--duration=false"},
                          spec_time_limit);
  progress done{ctx.source_dir};
  if (ran.ok()) {
    done.mark_passed(e.id);
    std::cout << "PASS " << e.id << ": every check of its spec passes.\n";
    return exit_ok;
  }
  if (ran.timed_out)
    std::cout << "FAIL " << e.id << ": timed out after " << spec_time_limit.count()
              << " s (a handler that never returns? a worker that never quits?)\n";
  else if (ran.signal != 0)
    std::cout << "FAIL " << e.id << ": crashed with signal " << ran.signal << " ("
              << strsignal(ran.signal) << ")\n";
  else
    std::cout << "FAIL " << e.id << ": some checks fail:\n" << failures(ran.output);
  std::cout << "Stuck? `dca hint " << e.number << "`. To watch your code run: `dca run " << e.number
            << " --variant actors`.\n";
  return exit_failed;
}

} // namespace

int check_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca check NN | dca check --all\nBuilds your "
                               "message_passing.cpp and runs the exercise's spec against it"};
  std::string name;
  bool all = false;
  desc.add_options()("help,h", "show this help")(
      "all", po::bool_switch(&all), "re-check every exercise you have passed (find regressions)")(
      "exercise", po::value(&name), "the exercise, e.g. 01");
  po::positional_options_description pos;
  pos.add("exercise", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_ok;
  }
  if (all) {
    progress done{ctx.source_dir};
    int failed = 0, checked = 0;
    for (const auto& e : ctx.curriculum.exercises())
      if (done.passed(e.id)) {
        ++checked;
        failed += check_one(ctx, e, true) == exit_ok ? 0 : 1;
      }
    std::cout << checked - failed << " of " << checked << " passed exercises still pass.\n";
    return failed == 0 ? exit_ok : exit_failed;
  }
  if (name.empty())
    throw usage_error("which exercise? e.g. `dca check 01`, or `dca check --all`");
  return check_one(ctx, ctx.exercise(name), false);
}

} // namespace dca::cli
