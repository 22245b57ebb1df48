// `dca grade SUBMISSION...`: grade learners' message_passing.cpp files with the instructor's own
// specs, scenarios and build. The instructor's side is built once (cmake --build); per submission
// and exercise only the learner's file is compiled, with the instructor build's exact flags (from
// compile_commands.json), and linked with the instructor's objects (the link line Ninja would run)
// into a spec binary in the submission's scratch folder. Compiling, linking and every spec run go
// through the sandbox; each spec runs under K seeds and the first failing seed is recorded.
#include <boost/program_options.hpp>

#include <atomic>
#include <cctype>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "context.hpp"
#include "grade.hpp"
#include "sandbox.hpp"
#include "spec_words.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

// -- reading the instructor's build
// ------------------------------------------------------------------

/// Just enough JSON for compile_commands.json: objects, arrays, strings, and skipping the rest.
class json_reader {
public:
  explicit json_reader(const std::string& text) : s_(text) {}

  /// compile_commands.json: an array of objects of strings (and "arguments" arrays).
  std::vector<std::map<std::string, std::string>> entries() {
    std::vector<std::map<std::string, std::string>> out;
    expect('[');
    while (peek() != ']') {
      out.push_back(object());
      if (peek() == ',')
        ++i_;
    }
    return out;
  }

private:
  char peek() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
    if (i_ >= s_.size())
      throw std::runtime_error("compile_commands.json ends early");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c)
      throw std::runtime_error(std::string{"compile_commands.json: expected '"} + c + "'");
    ++i_;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
        ++i_;
        char c = s_[i_];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        out += s_[i_];
      }
      ++i_;
    }
    ++i_;
    return out;
  }
  std::string value() {
    if (peek() == '"')
      return string();
    if (peek() == '[') { // "arguments": kept as one shell-quoted line
      ++i_;
      std::string joined;
      while (peek() != ']') {
        auto arg = string();
        std::string quoted = "'";
        for (char c : arg)
          quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
        joined += (joined.empty() ? "" : " ") + quoted + "'";
        if (peek() == ',')
          ++i_;
      }
      ++i_;
      return joined;
    }
    auto start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']')
      ++i_;
    return s_.substr(start, i_ - start);
  }
  std::map<std::string, std::string> object() {
    std::map<std::string, std::string> out;
    expect('{');
    while (peek() != '}') {
      auto key = string();
      expect(':');
      out[key] = value();
      if (peek() == ',')
        ++i_;
    }
    ++i_;
    return out;
  }
  const std::string& s_;
  std::size_t i_ = 0;
};

/// Splits a command line as /bin/sh would (quotes and backslashes; no expansions).
std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\'') {
      in_word = true;
      for (++i; i < line.size() && line[i] != '\''; ++i)
        word += line[i];
    } else if (c == '"') {
      in_word = true;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size() &&
            (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '$'))
          ++i;
        word += line[i];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      in_word = true;
      word += line[++i];
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word)
        out.push_back(word);
      word.clear();
      in_word = false;
    } else {
      in_word = true;
      word += c;
    }
  }
  if (in_word)
    out.push_back(word);
  return out;
}

std::string read_text(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

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

/// How to build one exercise's spec binary from a learner's message_passing.cpp.
struct exercise_plan {
  const exercise_entry* entry = nullptr;
  fs::path instructor_dir;          // <source>/exercises/NN_name
  std::vector<std::string> compile; // with {SOURCE} and {OBJECT} placeholders
  fs::path compile_dir;
  std::vector<std::string> link;         // with {OBJECT} and {OUTPUT} placeholders
  std::vector<std::string> program_link; // the exercise program (for exploring), same placeholders
  bool explores = false;                 // the exercise explores its actor variant
  fs::path link_dir;
  bool sanitized = false; // -fsanitize: no address-space limit
  std::vector<std::string>
      instructor_files; // paths (relative to the source) a learner may not edit
};

std::string make_program(const context& ctx) {
  std::ifstream cache{ctx.build_dir / "CMakeCache.txt"};
  std::string line;
  while (std::getline(cache, line))
    if (line.rfind("CMAKE_MAKE_PROGRAM:", 0) == 0)
      return line.substr(line.find('=') + 1);
  return "ninja";
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
  std::istringstream lines{ninja.output};
  std::string line, found;
  while (std::getline(lines, line)) {
    // A line is "cmd && cmd && ...": keep the step that writes the target.
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
  std::vector<std::string> out;
  bool swapped = false;
  for (auto& w : shell_words(found)) {
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

exercise_plan plan_exercise(const context& ctx, const exercise_entry& e,
                            const std::vector<std::map<std::string, std::string>>& commands) {
  exercise_plan plan;
  plan.entry = &e;
  plan.instructor_dir = ctx.source_dir / "exercises" / e.id;
  auto learner_file = fs::weakly_canonical(plan.instructor_dir / "message_passing.cpp");
  // The compile line: the exercise track's message_passing.cpp in the instructor's build.
  for (const auto& entry : commands) {
    auto file = entry.count("file") ? entry.at("file") : "";
    fs::path dir = entry.count("directory") ? entry.at("directory") : "";
    if (file.empty() || fs::weakly_canonical(dir / file) != learner_file)
      continue;
    plan.compile_dir = dir;
    auto words = shell_words(entry.count("command") ? entry.at("command") : entry.at("arguments"));
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] == "-o" && i + 1 < words.size()) {
        plan.compile.push_back("-o");
        plan.compile.push_back("{OBJECT}");
        ++i;
      } else if (words[i] == "-c" && i + 1 < words.size()) {
        plan.compile.push_back("-c");
        plan.compile.push_back("{SOURCE}");
        ++i;
      } else if (fs::weakly_canonical(dir / words[i]) == learner_file) {
        plan.compile.push_back("{SOURCE}");
      } else {
        plan.compile.push_back(words[i]);
      }
      plan.sanitized = plan.sanitized || words[i].rfind("-fsanitize", 0) == 0;
    }
    if (!plan.compile.empty() && plan.compile[0].find("ccache") != std::string::npos)
      plan.compile.erase(plan.compile.begin()); // the learner's file is never cached
    plan.compile[0] = absolute_program(plan.compile[0]).string();
    break;
  }
  if (plan.compile.empty())
    throw std::runtime_error("the instructor build " + ctx.build_dir.string() +
                             " has no compile command for exercises/" + e.id +
                             "/message_passing.cpp (is CMAKE_EXPORT_COMPILE_COMMANDS on?)");
  // The link lines: what Ninja runs for solNN_spec (and the program solNN), with the solution's
  // object swapped out.
  plan.link = link_line(ctx, "sol" + e.number + "_spec", "sol" + e.number + "_message_passing.dir");
  // Exploring the actor variant needs the exercise program; probe whether the exercise has it.
  auto probe = run_captured({ctx.program("sol" + e.number).string(), "explore", "--variant",
                             "actors", "--strategy", "random", "--schedules", "1"},
                            std::chrono::seconds(60));
  plan.explores = (probe.exit_code == 0 || probe.exit_code == 3) && !probe.timed_out;
  if (plan.explores)
    plan.program_link = link_line(ctx, "sol" + e.number, "sol" + e.number + "_message_passing.dir");
  plan.link_dir = ctx.build_dir;
  // Every other file of the exercise and its spec belong to the instructor.
  // (Sources only: a learner's notes in a README change nothing.)
  for (const auto& f : fs::directory_iterator(plan.instructor_dir))
    if (f.is_regular_file() && f.path().filename() != "message_passing.cpp" &&
        (f.path().extension() == ".cpp" || f.path().extension() == ".hpp" ||
         f.path().extension() == ".h" || f.path().filename() == "CMakeLists.txt"))
      plan.instructor_files.push_back("exercises/" + e.id + "/" + f.path().filename().string());
  plan.instructor_files.push_back("tests/exercises/" + e.id + "_spec.cpp");
  return plan;
}

// -- one submission
// ----------------------------------------------------------------------------------

struct grading_options {
  int rounds = 3;
  std::uint64_t schedules = 200; // random delivery orders explored per seed
  std::uint64_t seed = 1;
  std::chrono::seconds time_limit{60};
  std::chrono::seconds compile_limit{300};
  std::map<std::string, double> points; // by exercise id
  double default_points = 10;
  double hygiene_penalty_percent = 0;
  bool keep_scratch = false;
};

/// Where a submission's exercises are: SUB/exercises, or SUB itself when it is that folder.
fs::path exercises_dir_of(const fs::path& submission) {
  return fs::is_directory(submission / "exercises") ? submission / "exercises" : submission;
}

std::vector<std::string> replace(std::vector<std::string> argv,
                                 const std::map<std::string, std::string>& values) {
  for (auto& a : argv)
    if (auto found = values.find(a); found != values.end())
      a = found->second;
  return argv;
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" '\"$\\`") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

class grader {
public:
  grader(const context& ctx, const sandbox& box, const grading_options& opts, fs::path scratch)
      : ctx_(ctx), box_(box), opts_(opts), scratch_(std::move(scratch)) {}

  exercise_grade grade(int slot, const fs::path& submission, const std::string& name,
                       const exercise_plan& plan) const {
    const auto& e = *plan.entry;
    exercise_grade g;
    g.id = e.id;
    g.number = e.number;
    g.title = e.title;
    g.max_points = opts_.points.count(e.id) ? opts_.points.at(e.id) : opts_.default_points;
    g.rounds = opts_.rounds;
    auto started = std::chrono::steady_clock::now();
    auto finish = [&](std::string verdict, std::string message) {
      g.verdict = std::move(verdict);
      g.message = std::move(message);
      g.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      return g;
    };
    auto exercises = exercises_dir_of(submission);
    auto source = exercises / e.id / "message_passing.cpp";
    note_ignored(submission, exercises, plan, g);
    if (!fs::is_regular_file(source))
      return finish("missing", "no exercises/" + e.id + "/message_passing.cpp in the submission");
    auto text = read_text(source);
    g.hygiene = analyze_hygiene(text);

    // The scratch folder: the learner's file, its build, and the runs' working folder.
    auto dir = scratch_ / name / e.id;
    fs::remove_all(dir);
    fs::create_directories(dir / "build");
    fs::create_directories(dir / "run");
    fs::copy_file(source, dir / "message_passing.cpp");
    box_.hand_over(slot, dir);

    sandbox_limits build_limits;
    build_limits.wall = opts_.compile_limit;
    build_limits.cpu_seconds = static_cast<std::uint64_t>(opts_.compile_limit.count());
    build_limits.file_bytes = 1ull << 30;
    build_limits.address_space_bytes = plan.sanitized ? 0 : 8ull << 30;
    auto object = (dir / "build" / "message_passing.o").string();
    auto spec = (dir / "build" / ("ex" + e.number + "_spec")).string();
    auto compiled =
        box_.run(slot, {replace(plan.compile, {{"{SOURCE}", (dir / "message_passing.cpp").string()},
                                               {"{OBJECT}", object}}),
                        plan.compile_dir,
                        false,
                        {{"TMPDIR", (dir / "build").string()}},
                        build_limits});
    g.build_elapsed = compiled.elapsed;
    if (!compiled.error.empty())
      return finish("error", compiled.error);
    if (!compiled.ok()) {
      g.details = compiler_errors(compiled.output, 12);
      return finish("compile_error",
                    compiled.timed_out
                        ? "the compiler gave up after " +
                              std::to_string(opts_.compile_limit.count()) + " s"
                        : "does not compile (warnings are errors): " + first_error(g.details));
    }
    auto linked = box_.run(slot, {replace(plan.link, {{"{OBJECT}", object}, {"{OUTPUT}", spec}}),
                                  plan.link_dir,
                                  false,
                                  {{"TMPDIR", (dir / "build").string()}},
                                  build_limits});
    if (!linked.error.empty())
      return finish("error", linked.error);
    if (!linked.ok()) {
      g.details = compiler_errors(linked.output, 12);
      return finish("compile_error", "does not link (a function of the contract missing or "
                                     "defined twice?): " +
                                         first_error(linked.output));
    }

    g.build_elapsed += linked.elapsed;
    auto program = (dir / "build" / ("ex" + e.number)).string();
    if (plan.explores) {
      auto linked_program =
          box_.run(slot, {replace(plan.program_link, {{"{OBJECT}", object}, {"{OUTPUT}", program}}),
                          plan.link_dir,
                          false,
                          {{"TMPDIR", (dir / "build").string()}},
                          build_limits});
      g.build_elapsed += linked_program.elapsed;
      if (!linked_program.ok())
        return finish("error",
                      "cannot link the exercise program: " + first_error(linked_program.output));
    }
    // K rounds, one seed each; stop at the first that does not pass.
    sandbox_limits run_limits;
    run_limits.wall = opts_.time_limit;
    run_limits.cpu_seconds = static_cast<std::uint64_t>(opts_.time_limit.count()) * 4;
    if (plan.sanitized)
      run_limits.address_space_bytes = 0;
    for (int r = 0; r < opts_.rounds; ++r) {
      auto seed = opts_.seed + static_cast<std::uint64_t>(r);
      ++g.rounds_run;
      auto ran = box_.run(
          slot, {{spec, "--no-colors", "--order-by=rand", "--rand-seed=" + std::to_string(seed)},
                 dir / "run",
                 true,
                 {{"DCA_SEED", std::to_string(seed)}},
                 run_limits});
      if (ran.ok() && plan.explores) {
        // The same seed drives a random search over the actors' delivery orders.
        auto explored = box_.run(
            slot, {{program, "explore", "--variant", "actors", "--strategy", "random", "--seed",
                    std::to_string(seed), "--schedules", std::to_string(opts_.schedules)},
                   dir / "run",
                   true,
                   {{"DCA_SEED", std::to_string(seed)}, {"DCA_INVOKED_AS", "dca %s " + e.number}},
                   run_limits});
        if (explored.ok())
          continue;
        if (explored.exit_code == 3 && explored.limit_hit.empty())
          return explored_failure(g, explored, submission, seed, r, started);
        ran = explored;
      } else if (ran.ok()) {
        continue;
      }
      g.failing_seed = seed;
      g.replay = "dca grade " + shell_quote(submission.string()) + " --exercise " + e.number +
                 " --seed " + std::to_string(seed) + " --rounds 1";
      auto round = " (seed " + std::to_string(seed) + ", round " + std::to_string(r + 1) + " of " +
                   std::to_string(opts_.rounds) + ")";
      if (!ran.error.empty())
        return finish("error", ran.error);
      // A limit hit explains a timeout (a fork bomb spins until the clock runs out): say it first.
      if (!ran.limit_hit.empty()) {
        g.details = last_lines(ran.output, 8);
        return finish("resource_limit", limit_words(ran, run_limits) + round);
      }
      if (ran.timed_out) {
        g.details = last_lines(ran.output, 8);
        return finish("timeout", timed_out_words(opts_.time_limit) + round);
      }
      if (ran.signal != 0) {
        g.details = last_lines(ran.output, 8);
        return finish("crash", "crashed: " + describe_signal(ran.signal) + round);
      }
      // An exploring spec that logs its failing schedule ("schedule 0.1.2", "schedule=0.1.2" or
      // "--replay 0.1.2") gets it recorded, with the command that replays it.
      static const std::regex schedule_token{R"((?:schedule[= ]|--replay )([0-9]+(?:\.[0-9]+)+))"};
      std::smatch m;
      if (std::regex_search(ran.output, m, schedule_token) && m[1].str() != "-") {
        g.failing_schedule = m[1].str();
        g.replay += "; the schedule: dca explore " + e.number + " --variant actors --replay " +
                    shell_quote(g.failing_schedule);
      }
      auto failures = spec_failures(ran.output);
      for (const auto& f : failures)
        g.details += "  - " + f.test_case + ": " + f.message + "\n";
      if (failures.empty()) {
        g.details = last_lines(ran.output, 8);
        return finish("fail",
                      "the spec failed (exit " + std::to_string(ran.exit_code) + ")" + round);
      }
      return finish("fail", in_words(failures.front().message, e.number) + round);
    }
    if (!opts_.keep_scratch) {
      std::error_code ec;
      fs::remove(spec, ec);
      fs::remove(object, ec);
    }
    std::size_t essential = 0;
    for (const auto& c : g.hygiene)
      essential += c.severity == severity::essential ? 1 : 0;
    auto seeds = "every check passes under " + std::to_string(opts_.rounds) +
                 (opts_.rounds == 1 ? " seed" : " seeds");
    if (essential == 0) {
      g.points = g.max_points;
      return finish("pass", seeds);
    }
    double lost =
        g.max_points * opts_.hygiene_penalty_percent / 100.0 * static_cast<double>(essential);
    g.points = std::max(0.0, g.max_points - lost);
    return finish("flagged", "passes, but shares state: " + first_essential(g).rule + " at line " +
                                 std::to_string(first_essential(g).line) +
                                 (essential > 1 ? " (+" + std::to_string(essential - 1) + " more)"
                                                : std::string{}));
  }

private:
  /// A delivery order of the actors that breaks the exercise's invariant: record the schedule,
  /// show the interleaving table, and say how to replay it.
  exercise_grade explored_failure(exercise_grade& g, const sandbox_result& explored,
                                  const fs::path& submission, std::uint64_t seed, int round,
                                  std::chrono::steady_clock::time_point started) const {
    std::istringstream in{explored.output};
    std::string line, verdict = "an explored delivery order breaks it";
    while (std::getline(in, line)) {
      if (line.rfind("CORRUPTED: ", 0) == 0) {
        verdict = "a delivery order corrupts it: " + in_words(line.substr(11), "");
      } else if (line.rfind("DEADLOCK: ", 0) == 0) {
        verdict = "deadlocked: " + line.substr(10);
        for (auto at = verdict.find("; "); at != std::string::npos; at = verdict.find("; ", at))
          verdict.replace(at, 2, ", ");
      } else if (auto at = line.find(" schedule=");
                 line.rfind("RESULT ", 0) == 0 && at != std::string::npos) {
        g.failing_schedule = line.substr(at + 10, line.find(' ', at + 10) - at - 10);
      } else if (!line.empty() && line.rfind("replay:", 0) != 0 &&
                 line.rfind("explored:", 0) != 0) {
        g.details += "    " + line + "\n";
      }
    }
    g.failing_seed = seed;
    g.replay = "dca explore " + g.number + " --variant actors --replay " +
               shell_quote(g.failing_schedule) + "  (or: dca grade " +
               shell_quote(submission.string()) + " --exercise " + g.number + " --seed " +
               std::to_string(seed) + " --rounds 1)";
    g.verdict = "fail";
    g.message = verdict + " (seed " + std::to_string(seed) + ", round " +
                std::to_string(round + 1) + " of " + std::to_string(opts_.rounds) + ")";
    g.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return g;
  }

  static const hygiene_comment& first_essential(const exercise_grade& g) {
    for (const auto& c : g.hygiene)
      if (c.severity == severity::essential)
        return c;
    return g.hygiene.front();
  }

  static std::string first_error(const std::string& output) {
    std::istringstream in{output};
    std::string line;
    while (std::getline(in, line))
      if (auto at = line.find("error:"); at != std::string::npos) {
        auto where = line.substr(0, at);
        auto slash = where.rfind('/');
        if (slash != std::string::npos)
          where = where.substr(slash + 1);
        auto text = where + line.substr(at);
        return text.size() > 160 ? text.substr(0, 157) + "..." : text;
      }
    return "see the details";
  }

  static std::string limit_words(const sandbox_result& r, const sandbox_limits& l) {
    if (r.limit_hit == "cpu")
      return "used more than " + std::to_string(l.cpu_seconds) + " s of CPU";
    if (r.limit_hit == "file size")
      return "tried to write a file larger than " + std::to_string(l.file_bytes >> 20) + " MiB";
    if (r.limit_hit == "processes")
      return "tried to run more than " + std::to_string(l.tasks_max) +
             " processes and threads (a fork bomb? threads that are never joined?)";
    if (r.limit_hit == "memory")
      return "ran out of memory (" + std::to_string(l.address_space_bytes >> 20) +
             " MiB of address space per process)";
    if (r.limit_hit == "disk")
      return "filled its scratch space (" + std::to_string(l.scratch_bytes >> 20) + " MiB)";
    return "hit a limit: " + r.limit_hit;
  }

  /// The submission's own copies of instructor files are never used: say which ones differ.
  void note_ignored(const fs::path& submission, const fs::path& exercises,
                    const exercise_plan& plan, exercise_grade& g) const {
    for (const auto& rel : plan.instructor_files) {
      // exercises/NN_name/x lives at SUB/exercises/NN_name/x or, for a bare exercises folder,
      // at SUB/NN_name/x; tests/... only in a whole checkout.
      fs::path theirs = rel.rfind("exercises/", 0) == 0
                            ? exercises / fs::path{rel}.lexically_relative("exercises")
                            : submission / rel;
      std::error_code ec;
      if (!fs::is_regular_file(theirs, ec))
        continue;
      if (read_text(theirs) != read_text(ctx_.source_dir / rel))
        g.ignored_files.push_back(rel);
    }
  }

  const context& ctx_;
  const sandbox& box_;
  const grading_options& opts_;
  fs::path scratch_;
};

/// A folder name for a submission: its own name, made unique among the others.
std::string submission_name(const fs::path& path, std::map<std::string, int>& taken) {
  auto p = fs::absolute(path).lexically_normal();
  if (p.filename().empty())
    p = p.parent_path();
  auto name = p.filename().string();
  if (name == "exercises" && p.has_parent_path())
    name = p.parent_path().filename().string();
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      c = '_';
  if (name.empty() || name == "." || name == "..")
    name = "submission";
  if (int n = taken[name]++; n > 0)
    name += "-" + std::to_string(n + 1);
  return name;
}

} // namespace

int grade_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca grade SUBMISSION... [options]\n"
      "Grades learners' message_passing.cpp files with your specs, scenarios and build.\n"
      "A SUBMISSION is a folder: a learner's checkout, or just its exercises/ folder. Only its\n"
      "exercises/NN_name/message_passing.cpp files are used; edits to anything else are ignored\n"
      "(and listed). Each submission is built and run in a sandbox with time and memory limits\n"
      "and no network, under K seeds.\n\nOptions"};
  std::vector<std::string> submissions, exercise_filter, points, also;
  std::string format = "table", out_file, scratch_option;
  grading_options opts;
  int jobs = static_cast<int>(std::max(1u, std::min(4u, std::thread::hardware_concurrency())));
  long time_limit = 90;
  desc.add_options()("help,h", "show this help")("jobs,j", po::value(&jobs)->default_value(jobs),
                                                 "submissions graded at once")(
      "format,f", po::value(&format)->default_value("table"),
      "table, json, csv (a gradebook), junit (XML) or gradescope (results.json)")(
      "out,o", po::value(&out_file),
      "write the report to FILE (gradescope with several "
      "submissions: a folder, one NAME/results.json each)")(
      "also", po::value(&also),
      "FORMAT=FILE: write this format too, from the same run (repeatable)")(
      "exercise,e", po::value(&exercise_filter), "grade only this exercise (repeatable)")(
      "rounds,k", po::value(&opts.rounds)->default_value(opts.rounds),
      "run every spec under K seeds; a submission passes only if all pass")(
      "seed", po::value(&opts.seed)->default_value(opts.seed), "the first seed (then +1, +2...)")(
      "schedules", po::value(&opts.schedules)->default_value(opts.schedules),
      "random delivery orders of the actors explored per seed (where the exercise explores)")(
      "time-limit", po::value(&time_limit)->default_value(time_limit),
      "seconds one spec run may take")("points", po::value(&points),
                                       "NN=P: exercise NN is worth P points (default 10)")(
      "hygiene-penalty", po::value(&opts.hygiene_penalty_percent)->default_value(0),
      "percent of an exercise's points lost per essential hygiene comment (0: comments only)")(
      "scratch", po::value(&scratch_option),
      "where submissions are built (default: BUILD/grading/TIMESTAMP)")(
      "keep-scratch", po::bool_switch(&opts.keep_scratch),
      "keep every build (default: only the failing ones, to replay)")(
      "submission", po::value(&submissions), "a submission folder");
  po::positional_options_description pos;
  pos.add("submission", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\nHygiene rules (comments on message-passing code):\n";
    for (const auto& r : hygiene_rules())
      std::cout << "  " << r << '\n';
    return exit_ok;
  }
  // -- bad input: one line, non-zero
  // ----------------------------------------------------------------
  static const std::vector<std::string> formats{"table", "json", "csv", "junit", "gradescope"};
  if (std::find(formats.begin(), formats.end(), format) == formats.end())
    throw usage_error("unknown format '" + format + "': use table, json, csv, junit or gradescope");
  if (submissions.empty())
    throw usage_error("which submissions? e.g. `dca grade submissions/*`");
  if (jobs < 1 || jobs > 64)
    throw usage_error("--jobs must be between 1 and 64");
  if (opts.rounds < 1 || opts.rounds > 1000)
    throw usage_error("--rounds must be between 1 and 1000");
  if (time_limit < 1 || time_limit > 3600)
    throw usage_error("--time-limit must be between 1 and 3600 seconds");
  opts.time_limit = std::chrono::seconds(time_limit);
  std::vector<const exercise_entry*> chosen;
  for (const auto& name : exercise_filter)
    chosen.push_back(&ctx.exercise(name));
  if (chosen.empty())
    for (const auto& e : ctx.curriculum.exercises())
      chosen.push_back(&e);
  for (const auto& p : points) {
    auto eq = p.find('=');
    if (eq == std::string::npos)
      throw usage_error("--points takes NN=P, e.g. --points 01=20");
    try {
      opts.points[ctx.exercise(p.substr(0, eq)).id] = std::stod(p.substr(eq + 1));
    } catch (const std::invalid_argument&) {
      throw usage_error("--points " + p + ": P must be a number");
    }
  }
  for (const auto& s : submissions) {
    if (!fs::exists(s))
      throw usage_error("no such submission: " + s);
    if (!fs::is_directory(s))
      throw usage_error("a submission is a folder, not a file: " + s);
    auto dir = exercises_dir_of(s);
    bool any = false;
    for (const auto& e : ctx.curriculum.exercises())
      any = any || fs::is_regular_file(dir / e.id / "message_passing.cpp");
    if (!any)
      throw usage_error(s + " has no exercises (expected exercises/NN_name/message_passing.cpp)");
  }
  std::vector<std::pair<std::string, std::string>> extra_outputs;
  for (const auto& a : also) {
    auto eq = a.find('=');
    auto f = a.substr(0, eq);
    if (eq == std::string::npos || eq + 1 == a.size())
      throw usage_error("--also takes FORMAT=FILE, e.g. --also csv=grades.csv");
    if (std::find(formats.begin(), formats.end(), f) == formats.end() || f == "gradescope")
      throw usage_error("unknown format '" + f + "' for --also: use table, json, csv or junit");
    extra_outputs.emplace_back(f, a.substr(eq + 1));
  }
  if (format == "gradescope" && submissions.size() > 1 && out_file.empty())
    throw usage_error("gradescope writes one results.json per submission: give --out FOLDER");

  // -- the instructor's side, built once
  // --------------------------------------------------------------
  std::vector<std::string> targets;
  for (const auto* e : chosen) {
    targets.push_back("sol" + e->number + "_spec");
    targets.push_back("sol" + e->number);
  }
  std::cerr << "building the instructor's side (" << chosen.size() << " exercise"
            << (chosen.size() == 1 ? "" : "s") << ") ..." << std::endl;
  auto built = ctx.build(targets);
  if (!built.ok())
    throw std::runtime_error("cannot build the instructor's side: " +
                             compiler_errors(built.output, 5));
  auto commands_file = ctx.build_dir / "compile_commands.json";
  if (!fs::exists(commands_file))
    throw std::runtime_error("no " + commands_file.string() +
                             ": configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON");
  auto commands_text = read_text(commands_file);
  auto commands = json_reader{commands_text}.entries();
  std::vector<exercise_plan> plans;
  for (const auto* e : chosen)
    plans.push_back(plan_exercise(ctx, *e, commands));

  fs::path scratch = scratch_option.empty() ? ctx.build_dir / "grading" /
                                                  (timestamp() + "-" + std::to_string(getpid()))
                                            : fs::absolute(scratch_option);
  fs::create_directories(scratch);
  fs::permissions(scratch, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);

  sandbox box{jobs};
  grader g{ctx, box, opts, scratch};
  grade_report report;
  report.sandbox = box.description();
  report.rounds = opts.rounds;
  report.first_seed = opts.seed;
  report.scratch = scratch.string();
  std::map<std::string, int> taken;
  for (const auto& s : submissions) {
    submission_grade sg;
    sg.path = s;
    sg.name = submission_name(s, taken);
    report.submissions.push_back(sg);
  }
  std::cerr << "grading " << submissions.size() << " submission"
            << (submissions.size() == 1 ? "" : "s") << " with " << jobs << " job"
            << (jobs == 1 ? "" : "s") << ", " << opts.rounds << " seed"
            << (opts.rounds == 1 ? "" : "s") << " each; sandbox:\n";
  for (const auto& line : box.description())
    std::cerr << "  " << line << '\n';

  std::atomic<std::size_t> next{0};
  std::mutex print;
  std::size_t done = 0;
  auto work = [&](int slot) {
    for (;;) {
      auto i = next.fetch_add(1);
      if (i >= report.submissions.size())
        return;
      auto& sg = report.submissions[i];
      auto t0 = std::chrono::steady_clock::now();
      for (const auto& plan : plans) {
        try {
          sg.exercises.push_back(g.grade(slot, sg.path, sg.name, plan));
        } catch (const std::exception& ex) {
          exercise_grade eg;
          eg.id = plan.entry->id;
          eg.number = plan.entry->number;
          eg.title = plan.entry->title;
          eg.max_points = opts.points.count(eg.id) ? opts.points.at(eg.id) : opts.default_points;
          eg.message = std::string{"the grader failed: "} + ex.what();
          sg.exercises.push_back(eg);
        }
        sg.points += sg.exercises.back().points;
        sg.max_points += sg.exercises.back().max_points;
      }
      sg.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - t0);
      std::lock_guard<std::mutex> lock{print};
      std::cerr << "  [" << ++done << "/" << report.submissions.size() << "] " << sg.name << ": "
                << sg.points << "/" << sg.max_points << " points ("
                << sg.elapsed.count() / 100 / 10.0 << " s)" << std::endl;
    }
  };
  std::vector<std::thread> workers;
  for (int slot = 0; slot < jobs; ++slot)
    workers.emplace_back(work, slot);
  for (auto& w : workers)
    w.join();

  // -- the report
  // --------------------------------------------------------------------------------------
  auto emit_as = [&](std::ostream& out, const std::string& as) {
    if (as == "table")
      write_table(out, report);
    else if (as == "json")
      write_json(out, report);
    else if (as == "csv")
      write_csv(out, report);
    else if (as == "junit")
      write_junit(out, report);
  };
  for (const auto& [as, file] : extra_outputs) {
    std::ofstream out{file};
    emit_as(out, as);
    if (!out)
      throw std::runtime_error("cannot write " + file);
    std::cerr << "wrote " << file << '\n';
  }
  auto emit = [&](std::ostream& out) {
    if (format == "table")
      write_table(out, report);
    else if (format == "json")
      write_json(out, report);
    else if (format == "csv")
      write_csv(out, report);
    else if (format == "junit")
      write_junit(out, report);
    else
      write_gradescope(out, report, report.submissions.front());
  };
  if (format == "gradescope" && !out_file.empty() && report.submissions.size() > 1) {
    for (const auto& sg : report.submissions) {
      fs::create_directories(fs::path{out_file} / sg.name);
      std::ofstream out{fs::path{out_file} / sg.name / "results.json"};
      write_gradescope(out, report, sg);
      if (!out)
        throw std::runtime_error("cannot write " + out_file + "/" + sg.name + "/results.json");
    }
    std::cerr << "wrote " << report.submissions.size() << " results.json files under " << out_file
              << '\n';
  } else if (!out_file.empty()) {
    std::ofstream out{out_file};
    emit(out);
    if (!out)
      throw std::runtime_error("cannot write " + out_file);
    std::cerr << "wrote " << out_file << '\n';
  } else {
    emit(std::cout);
  }
  bool grader_failed = false;
  for (const auto& sg : report.submissions)
    for (const auto& eg : sg.exercises)
      grader_failed = grader_failed || eg.verdict == "error";
  if (grader_failed)
    std::cerr << "some runs failed in the grader itself (verdict 'error'): see the report\n";
  return grader_failed ? exit_failed : exit_ok;
}

} // namespace dca::cli
