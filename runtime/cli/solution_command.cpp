// `dca solution NN` shows the reference solution, but only once the learner's own version has
// passed (or they say --give-up): hints first, answers after (rustlings #293).
#include <boost/program_options.hpp>

#include <iostream>

#include "command.hpp"
#include "progress.hpp"
#include "text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

int solution_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca solution NN [--give-up] [--diff]\nShows the reference "
                               "solution of an exercise, once your own version passes"};
  bool give_up = false, diff = false;
  desc.add_options()("help,h", "show this help")("give-up", po::bool_switch(&give_up),
                                                 "show it even though yours does not pass yet")(
      "diff", po::bool_switch(&diff), "show how it differs from your version");
  const auto* chosen = parse_exercise_words(ctx, desc, args, "dca solution 01");
  if (chosen == nullptr)
    return exit_ok;
  const auto& e = *chosen;
  if (!progress{ctx.source_dir}.passed(e.id) && !give_up) {
    std::cerr << "dca solution: not yet: the solution opens once `dca check " << e.number
              << "` passes. Try `dca hint " << e.number << "` first, or `dca solution " << e.number
              << " --give-up`.\n";
    return exit_failed;
  }
  auto solution = ctx.source_dir / "solutions" / e.id / "message_passing.cpp";
  auto mine = ctx.source_dir / "exercises" / e.id / "message_passing.cpp";
  if (!fs::exists(solution))
    throw std::runtime_error("no reference solution at " + solution.string());
  std::cout << "Solution for comparison: solutions/" << e.id << "/message_passing.cpp\n";
  if (diff) {
    auto d = run_captured({"diff", "-u", "--label", "yours", "--label", "reference", mine.string(),
                           solution.string()},
                          std::chrono::seconds(30));
    std::cout << (d.output.empty() ? "Yours is the same as the reference.\n" : d.output);
  } else {
    std::cout << "\n" << read_text(solution);
  }
  auto notes = ctx.source_dir / "solutions" / e.id / "NOTES.md";
  if (fs::exists(notes))
    std::cout << "\nThe instructor's notes on it: solutions/" << e.id << "/NOTES.md\n";
  return exit_ok;
}

} // namespace dca::cli
