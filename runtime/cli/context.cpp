// The shared parts of the dca commands: finding exercises, building, progress.
#include "context.hpp"

#include "check.hpp"
#include "dca/assert.hpp"
#include "text.hpp"

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace dca::cli {

const exercise_entry& context::exercise(const std::string& name) const {
  if (auto* e = curriculum.find(name))
    return *e;
  if (auto* e = manifest_all.find(name); e != nullptr && !builds(*e))
    throw usage_error(e->id + " runs against PostgreSQL 15 and Redis 7: " + why_not_built(*e));
  throw usage_error("no exercise '" + name + "': run `dca list` to see them");
}

process_result context::build(const std::vector<std::string>& targets) const {
  std::vector<std::string> argv{"cmake", "--build", build_dir.string(), "--target"};
  argv.insert(argv.end(), targets.begin(), targets.end());
  auto started = std::chrono::steady_clock::now();
  auto limit = std::chrono::seconds(20 * 60);
  return run_captured(argv, limit, {}, [&] { still_running("the build", started, limit); });
}

bool context::builds(const exercise_entry& e) const {
  if (e.needs != "services")
    return true;
  for (const auto& line : lines_of(build_dir / "CMakeCache.txt"))
    if (line == "DCA_WITH_SERVICES:BOOL=ON")
      return true;
  return false;
}

std::string context::why_not_built(const exercise_entry& e) const {
  DCA_ASSERT(!builds(e));
  // The bootstrap's own package list decides, so the advice and the install never disagree.
  auto missing =
      run_captured({(source_dir / "scripts" / "bootstrap").string(), "--services", "--missing"},
                   std::chrono::seconds(60));
  auto packages = missing.output.substr(0, missing.output.find('\n'));
  if (missing.exit_code == 1 && !packages.empty())
    return packages + (packages.find(' ') == std::string::npos ? " is" : " are") +
           " not installed: run scripts/bootstrap --services, then ./dca again (it adds " + e.id +
           " to the build)";
  return "this build was configured without them: run ./dca (it adds them once they are "
         "installed), or cmake -B " +
         build_dir.string() + " -DDCA_WITH_SERVICES=ON";
}

std::filesystem::path context::program(const std::string& target) const {
  return build_dir / "exercises" / target;
}

bool parse_words(const boost::program_options::options_description& desc,
                 const std::vector<std::string>& args, boost::program_options::variables_map& vm,
                 const char* positional, int positional_max) {
  namespace po = boost::program_options;
  po::positional_options_description pos;
  if (positional != nullptr)
    pos.add(positional, positional_max);
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return false;
  }
  return true;
}

std::string current_exercise(const context& ctx) {
  std::ifstream in{ctx.source_dir / ".dca" / "current"};
  std::string id;
  if (in >> id && ctx.curriculum.find(id) != nullptr)
    return id;
  return "";
}

const exercise_entry* parse_exercise_words(const context& ctx,
                                           boost::program_options::options_description& desc,
                                           const std::vector<std::string>& args,
                                           const std::string& example, bool default_current) {
  namespace po = boost::program_options;
  std::string name;
  desc.add_options()("exercise", po::value(&name), "the exercise, e.g. 01");
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "exercise", 1))
    return nullptr;
  if (name.empty() && default_current)
    name = current_exercise(ctx);
  if (name.empty())
    throw usage_error("which exercise? e.g. `" + example + "`");
  return &ctx.exercise(name);
}

std::string timestamp() {
  auto now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", &tm);
  return buffer;
}

std::string compiler_errors(const std::string& output, std::size_t lines_max) {
  std::istringstream in{output};
  std::string line;
  std::vector<std::string> kept;
  bool in_error = false;
  while (std::getline(in, line)) {
    bool starts_error = line.find("error:") != std::string::npos ||
                        line.find("undefined reference to") != std::string::npos;
    bool is_noise = line.rfind("ninja:", 0) == 0 || line.rfind("FAILED:", 0) == 0 ||
                    line.rfind("/usr/bin/", 0) == 0 || line.find("ccache") != std::string::npos ||
                    line.rfind("[", 0) == 0;
    if (starts_error)
      in_error = true;
    else if (line.find("warning:") != std::string::npos || line.find("note:") != std::string::npos)
      in_error = line.find("note:") != std::string::npos && in_error;
    if (in_error && !is_noise)
      kept.push_back(line);
  }
  std::string out;
  for (std::size_t i = 0; i < kept.size() && i < lines_max; ++i)
    out += kept[i] + '\n';
  if (kept.size() > lines_max)
    out += "... (" + std::to_string(kept.size() - lines_max) + " more lines)\n";
  if (out.empty())
    out = output.substr(output.size() > 2000 ? output.size() - 2000 : 0);
  return out;
}

} // namespace dca::cli
