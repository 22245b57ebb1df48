// `dca reset NN` restores the pristine skeleton of an exercise, after backing up the learner's
// version.
#include <boost/program_options.hpp>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.hpp"
#include "progress.hpp"
#include "text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

/// The skeleton as the kit shipped it: the file in git at the kit's upstream (what the learner
/// cloned), else at HEAD. DCA_PRISTINE_REF or --from names another commit.
std::string pristine(const context& ctx, const std::string& rel, std::string& ref) {
  std::vector<std::string> refs;
  if (!ref.empty())
    refs.push_back(ref);
  else if (const char* env = std::getenv("DCA_PRISTINE_REF"))
    refs.push_back(env);
  else
    refs = {"@{upstream}", "origin/HEAD", "HEAD"};
  for (const auto& r : refs) {
    auto shown = run_captured({"git", "-C", ctx.source_dir.string(), "show", r + ":" + rel},
                              std::chrono::seconds(30), {{"GIT_PAGER", "cat"}});
    if (shown.ok()) {
      ref = r;
      return shown.output;
    }
  }
  throw std::runtime_error("cannot find the pristine " + rel +
                           " in git (is this a git checkout of the kit?)");
}

} // namespace

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
  auto skeleton = pristine(ctx, rel, ref);
  if (fs::exists(file) && read_text(file) == skeleton) {
    std::cout << rel << " is already the pristine skeleton: nothing to reset.\n";
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
