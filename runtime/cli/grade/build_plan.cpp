// Reading the instructor's build: the compile line of the exercise track's message_passing.cpp
// and the link lines Ninja runs, with the learner's parts turned into placeholders.
#include "grade/build_plan.hpp"

#include <fstream>
#include <sstream>
#include <unistd.h>

#include "dca/assert.hpp"
#include "dca/json.hpp"
#include "text.hpp"

namespace fs = std::filesystem;

namespace dca::cli {

namespace {

fs::path absolute_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return fs::absolute(name);
  const char* path = std::getenv("PATH");
  std::istringstream dirs{path ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (access((fs::path{dir} / name).c_str(), X_OK) == 0)
      return fs::path{dir} / name;
  throw std::runtime_error("cannot find " + name + " on PATH");
}

std::string make_program(const context& ctx) {
  std::ifstream cache{ctx.build_dir / "CMakeCache.txt"};
  std::string line;
  while (std::getline(cache, line))
    if (line.rfind("CMAKE_MAKE_PROGRAM:", 0) == 0)
      return line.substr(line.find('=') + 1);
  return "ninja";
}

/// The step of Ninja's command lines ("cmd && cmd && ...") that writes `target` with -o.
std::string step_writing(const std::string& commands, const std::string& target) {
  std::istringstream lines{commands};
  std::string line, found;
  while (std::getline(lines, line)) {
    std::size_t at = 0;
    while (at != std::string::npos) {
      auto next = line.find(" && ", at);
      auto step = line.substr(at, next == std::string::npos ? std::string::npos : next - at);
      at = next == std::string::npos ? next : next + 4;
      auto words = shell_words(step);
      for (std::size_t i = 0; i + 1 < words.size(); ++i)
        if (words[i] == "-o" && fs::path{words[i + 1]}.filename() == target)
          found = step;
    }
  }
  return found;
}

/// The command Ninja runs to link `target`, with the object under `object_dir` replaced by
/// {OBJECT} and the output by {OUTPUT}.
std::vector<std::string> link_line(const context& ctx, const std::string& target,
                                   const std::string& object_dir) {
  auto ninja =
      run_captured({make_program(ctx), "-C", ctx.build_dir.string(), "-t", "commands", target},
                   std::chrono::seconds(60));
  if (!ninja.ok())
    throw std::runtime_error("grading needs a Ninja build tree: `ninja -t commands " + target +
                             "` failed in " + ctx.build_dir.string());
  std::vector<std::string> out;
  bool swapped = false;
  for (auto& w : shell_words(step_writing(ninja.output, target))) {
    if (w.find(object_dir) != std::string::npos && w.size() > 2 && w.substr(w.size() - 2) == ".o") {
      out.push_back("{OBJECT}");
      swapped = true;
    } else if (!out.empty() && out.back() == "-o") {
      out.push_back("{OUTPUT}");
    } else {
      out.push_back(w);
    }
  }
  if (out.empty() || !swapped)
    throw std::runtime_error("cannot find how " + target + " is linked in " +
                             ctx.build_dir.string());
  out[0] = absolute_program(out[0]).string();
  return out;
}

/// The compile line of `command` with the learner's file and object as placeholders.
void take_compile_line(const compile_command& command, const fs::path& learner_file,
                       build_plan& plan) {
  const auto& words = command.words;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if ((words[i] == "-o" || words[i] == "-c") && i + 1 < words.size()) {
      plan.compile.push_back(words[i]);
      plan.compile.push_back(words[i] == "-o" ? "{OBJECT}" : "{SOURCE}");
      ++i;
    } else if (fs::weakly_canonical(command.directory / words[i]) == learner_file) {
      plan.compile.push_back("{SOURCE}");
    } else {
      plan.compile.push_back(words[i]);
    }
    plan.sanitized = plan.sanitized || words[i].rfind("-fsanitize", 0) == 0;
  }
  if (!plan.compile.empty() && plan.compile[0].find("ccache") != std::string::npos)
    plan.compile.erase(plan.compile.begin()); // the learner's file is never cached
  DCA_ASSERT(!plan.compile.empty());
  plan.compile[0] = absolute_program(plan.compile[0]).string();
  plan.compile_dir = command.directory;
}

/// Every other source of the exercise, and its spec, belong to the instructor. (Sources only: a
/// learner's notes in a README change nothing.)
std::vector<std::string> instructor_files_of(const fs::path& dir, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(dir)) {
    auto name = f.path().filename().string();
    auto ext = f.path().extension();
    if (f.is_regular_file() && name != "message_passing.cpp" &&
        (ext == ".cpp" || ext == ".hpp" || ext == ".h" || name == "CMakeLists.txt"))
      out.push_back("exercises/" + id + "/" + name);
  }
  out.push_back("tests/exercises/" + id + "_spec.cpp");
  return out;
}

/// Whether the exercise program explores its actor variant: probed with one random schedule.
bool program_explores(const context& ctx, const exercise_entry& e) {
  auto probe = run_captured({ctx.program("sol" + e.number).string(), "explore", "--variant",
                             "actors", "--strategy", "random", "--schedules", "1"},
                            std::chrono::seconds(60));
  return (probe.exit_code == 0 || probe.exit_code == 3) && !probe.timed_out;
}

/// The case names the instructor's spec binary lists (doctest's --list-test-cases).
std::vector<std::string> spec_cases_of(const context& ctx, const exercise_entry& e) {
  auto listed = run_captured(
      {ctx.program("sol" + e.number + "_spec").string(), "--list-test-cases", "--no-colors"},
      std::chrono::seconds(60));
  if (!listed.ok())
    throw std::runtime_error("cannot list the cases of sol" + e.number + "_spec");
  std::vector<std::string> cases;
  std::istringstream lines{listed.output};
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line.rfind("[doctest]", 0) != 0 && line.rfind("=====", 0) != 0)
      cases.push_back(line);
  if (cases.empty())
    throw std::runtime_error("sol" + e.number + "_spec lists no test cases");
  return cases;
}

compile_command compile_command_of(const json_value& entry) {
  compile_command c;
  c.directory = entry.string_at("directory");
  c.file = entry.string_at("file");
  if (const auto* arguments = entry.find("arguments"))
    for (const auto& a : arguments->items)
      c.words.push_back(a.text);
  else
    c.words = shell_words(entry.string_at("command"));
  return c;
}

} // namespace

std::vector<compile_command> read_compile_commands(const context& ctx) {
  auto file = ctx.build_dir / "compile_commands.json";
  if (!fs::exists(file))
    throw std::runtime_error("no " + file.string() +
                             ": configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON");
  std::string error;
  auto document = parse_json(read_text(file), error);
  if (!document || document->type != json_value::kind::array)
    throw std::runtime_error(file.string() + " is not a JSON array of commands" +
                             (error.empty() ? "" : ": " + error));
  std::vector<compile_command> out;
  for (const auto& entry : document->items)
    out.push_back(compile_command_of(entry));
  return out;
}

bool has_judge(const context& ctx, const exercise_entry& e) {
  return fs::exists(ctx.source_dir / "tests" / "judge" / e.id / "stand_ins.cpp");
}

build_plan plan_build(const context& ctx, const exercise_entry& e,
                      const std::vector<compile_command>& commands, bool judged) {
  build_plan plan;
  plan.entry = &e;
  plan.instructor_dir = ctx.source_dir / "exercises" / e.id;
  auto learner_file = fs::weakly_canonical(plan.instructor_dir / "message_passing.cpp");
  for (const auto& command : commands)
    if (!command.file.empty() &&
        fs::weakly_canonical(command.directory / command.file) == learner_file) {
      take_compile_line(command, learner_file, plan);
      break;
    }
  if (plan.compile.empty())
    throw std::runtime_error("the instructor build " + ctx.build_dir.string() +
                             " has no compile command for exercises/" + e.id +
                             "/message_passing.cpp (is CMAKE_EXPORT_COMPILE_COMMANDS on?)");
  // The link lines: what Ninja runs for solNN_spec (and the program solNN), with the solution's
  // object swapped out.
  auto object_dir = "sol" + e.number + "_message_passing.dir";
  plan.judge_spec = ctx.program("judge" + e.number + "_spec");
  plan.judge_program = ctx.program("judge" + e.number);
  plan.judged = judged;
  if (judged && !fs::exists(plan.judge_spec))
    throw std::runtime_error("exercise " + e.id + " is judged, but the build has no " +
                             plan.judge_spec.string() + ": build judge" + e.number + "_spec");
  plan.explores = program_explores(ctx, e);
  if (plan.judged) {
    plan.link = link_line(ctx, "subject" + e.number, object_dir);
  } else {
    plan.link = link_line(ctx, "sol" + e.number + "_spec", object_dir);
    if (plan.explores)
      plan.program_link = link_line(ctx, "sol" + e.number, object_dir);
  }
  plan.link_dir = ctx.build_dir;
  plan.instructor_files = instructor_files_of(plan.instructor_dir, e.id);
  plan.spec_cases = spec_cases_of(ctx, e);
  return plan;
}

std::vector<std::string>
with_placeholders(std::vector<std::string> argv,
                  const std::vector<std::pair<std::string, std::string>>& values) {
  for (auto& a : argv)
    for (const auto& [key, value] : values)
      if (a == key)
        a = value;
  return argv;
}

} // namespace dca::cli
