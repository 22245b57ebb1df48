// `dca reset NN` restores the pristine skeleton of an exercise (after backing up the learner's
// version), and `dca solution NN` shows the reference solution, but only once the learner's own
// version has passed (or they say --give-up): hints first, answers after (rustlings #293).
#include <boost/program_options.hpp>

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "context.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

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

std::string parse_exercise(const std::vector<std::string>& args, po::options_description& desc,
                           po::variables_map& vm, const std::string& example) {
  std::string name;
  desc.add_options()("exercise", po::value(&name), "the exercise, e.g. 01");
  po::positional_options_description pos;
  pos.add("exercise", 1);
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (!vm.count("help") && name.empty())
    throw usage_error("which exercise? e.g. `" + example + "`");
  return name;
}

} // namespace

int reset_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca reset NN\nRestores exercise NN's message_passing.cpp "
                               "as the kit shipped it; your version is backed up first"};
  std::string ref;
  desc.add_options()("help,h", "show this help")(
      "from", po::value(&ref), "take the skeleton from this git commit (default: upstream)");
  po::variables_map vm;
  auto name = parse_exercise(args, desc, vm, "dca reset 01");
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_ok;
  }
  const auto& e = ctx.exercise(name);
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

int solution_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: dca solution NN [--give-up] [--diff]\nShows the reference "
                               "solution of an exercise, once your own version passes"};
  bool give_up = false, diff = false;
  desc.add_options()("help,h", "show this help")("give-up", po::bool_switch(&give_up),
                                                 "show it even though yours does not pass yet")(
      "diff", po::bool_switch(&diff), "show how it differs from your version");
  po::variables_map vm;
  auto name = parse_exercise(args, desc, vm, "dca solution 01");
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_ok;
  }
  const auto& e = ctx.exercise(name);
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
