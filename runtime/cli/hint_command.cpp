// `dca hint NN`: help when stuck, from a nudge (level 1) to nearly the answer, from the manifest.
#include <boost/program_options.hpp>

#include <iostream>

#include "command.hpp"

namespace po = boost::program_options;

namespace dca::cli {

int hint_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca hint [NN] [--level N]\nShows hints for an exercise "
                               "(default: the one you are on), "
                               "from a nudge (level 1) to nearly the answer"};
  int level = 1;
  desc.add_options()("help,h", "show this help")("level", po::value(&level)->default_value(1),
                                                 "how much to give away: 1, 2, 3...");
  const auto* chosen = parse_exercise_words(ctx, desc, args, "dca hint 01", true);
  if (chosen == nullptr)
    return exit_ok;
  const auto& e = *chosen;
  auto count = static_cast<int>(e.hints.size());
  if (level < 1 || level > count)
    throw usage_error("--level must be between 1 and " + std::to_string(count) + " for " + e.id);
  for (int i = 0; i < level; ++i)
    std::cout << "hint " << i + 1 << " of " << count << ": " << e.hints[static_cast<std::size_t>(i)]
              << "\n\n";
  if (level < count)
    std::cout << "More: dca hint " << e.number << " --level " << level + 1 << '\n';
  return exit_ok;
}

} // namespace dca::cli
