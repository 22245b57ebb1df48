// `dca reset NN` restores the pristine skeleton of an exercise, after backing up the learner's
// version.
#include <boost/program_options.hpp>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.hpp"
#include "pristine.hpp"
#include "progress.hpp"
#include "text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

int reset_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca reset NN\nRestores exercise NN's message_passing.cpp "
                               "as the kit shipped it; your version is backed up first"};
  std::string ref;
  desc.add_options()("help,h", "show this help")(
      "from", po::value(&ref), "take the skeleton from this git commit (default: upstream)");
  const auto* chosen = parse_exercise_words(ctx, desc, args, "dca reset 01");
  if (chosen == nullptr)
    return exit_ok;
  const auto& e = *chosen;
  auto rel = "exercises/" + e.id + "/message_passing.cpp";
  auto file = ctx.source_dir / rel;
  auto shipped = pristine_text(ctx, rel, ref);
  if (!shipped)
    throw std::runtime_error("cannot find the pristine " + rel +
                             " in git (is this a git checkout of the kit?)");
  const auto& skeleton = *shipped;
  if (fs::exists(file) && read_text(file) == skeleton) {
    // The skeleton fails its spec, so a pass recorded for it is stale (restored by hand or git).
    progress{ctx.source_dir}.forget(e.id);
    std::cout << rel << " is already the pristine skeleton: nothing to reset (its progress is "
              << "reset).\n";
    return exit_ok;
  }
  if (fs::exists(file)) {
    auto backup =
        ctx.source_dir / ".dca" / "backups" / e.id / ("message_passing." + timestamp() + ".cpp");
    fs::create_directories(backup.parent_path());
    fs::copy_file(file, backup, fs::copy_options::overwrite_existing);
    std::cout << "Your version is saved as " << fs::relative(backup, ctx.source_dir).string()
              << '\n';
  }
  {
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out << skeleton;
    if (!out)
      throw std::runtime_error("cannot write " + file.string());
  }
  progress{ctx.source_dir}.forget(e.id);
  std::cout << "Restored " << rel << " (from " << ref << "). Its progress is reset: `dca check "
            << e.number << "` when you are ready.\n";
  return exit_ok;
}

} // namespace dca::cli
