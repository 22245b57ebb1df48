// Grading one exercise of one submission: copy the learner's file to a scratch folder, compile and
// link it in the sandbox, run the spec (and, where the exercise explores, a random search of the
// actors' delivery orders) under K seeds, and stop at the first round that does not pass.
#include "grade/grader.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "dca/assert.hpp"
#include "dca/bridge/stand_in.hpp"
#include "explore_page.hpp"
#include "grade/hygiene.hpp"
#include "grade/learner_file.hpp"
#include "program_report.hpp"
#include "spec_words.hpp"
#include "text.hpp"

namespace fs = std::filesystem;

namespace dca::cli {

struct grader::attempt {
  exercise_grade g;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  fs::path submission;
  fs::path dir; // scratch/NAME/NN_name: the learner's file, build/ and run/
  std::string object, spec, program;
  unsigned uid = 0;                        // the slot's user: reads and builds the learner's files
  std::string learner_text;                // the learner's message_passing.cpp, as it read it
  fs::path evidence;                       // the FIFO the spec reports its cases on
  std::string evidence_text;               // what the last spec run reported there
  std::vector<spec_failure> failed_checks; // its failing checks, from the evidence
  sandbox_limits run_limits;               // of the spec runs and the explorations
  bool judged = false; // the spec and program are the instructor's judges; `spec` is the subject

  exercise_grade finish(std::string verdict, std::string message) {
    g.verdict = std::move(verdict);
    g.message = std::move(message);
    g.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return g;
  }
  std::string round_words(std::uint64_t seed, int round, int rounds) const {
    return " (seed " + std::to_string(seed) + ", round " + std::to_string(round + 1) + " of " +
           std::to_string(rounds) + ")";
  }
};

namespace {

std::string first_error(const std::string& output) {
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

std::string limit_words(const sandbox_result& r, const sandbox_limits& l) {
  if (r.limit_hit == "cpu")
    return "used more than " + std::to_string(l.cpu_seconds) + " s of CPU";
  if (r.limit_hit == "file size")
    return "tried to write a file larger than " + std::to_string(l.file_bytes >> 20) + " MiB";
  if (r.limit_hit == "processes")
    return "tried to run more than " + std::to_string(l.tasks_max) +
           " processes and threads (a fork bomb? threads that are never joined?)";
  if (r.limit_hit == "memory")
    return "ran out of memory (" + std::to_string(l.memory_bytes >> 20) +
           " MiB for all its processes together, " + std::to_string(l.address_space_bytes >> 20) +
           " MiB of address space each)";
  if (r.limit_hit == "disk")
    return "disk full: filled its scratch space (" + std::to_string(l.scratch_bytes >> 20) +
           " MiB)";
  return "hit a limit: " + r.limit_hit;
}

const hygiene_comment& first_essential(const exercise_grade& g) {
  DCA_ASSERT(!g.hygiene.empty());
  for (const auto& c : g.hygiene)
    if (c.severity == severity::essential)
      return c;
  return g.hygiene.front();
}

std::string replay_grade(const fs::path& submission, const std::string& number,
                         std::uint64_t seed) {
  return "dca grade " + shell_quote(submission.string()) + " --exercise " + number + " --seed " +
         std::to_string(seed) + " --rounds 1";
}

// -- what a submission may include ----------------------------------------------------------

/// The first `#include` that names a path with ".." or "solutions" in it, with its line, or empty.
std::string forbidden_include(const std::string& source) {
  static const std::regex include{R"(^\s*#\s*include\s*([<"])([^">]*)[">])"};
  std::istringstream lines{source};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::smatch m;
    if (std::regex_search(line, m, include) && (m[2].str().find("..") != std::string::npos ||
                                                m[2].str().find("solutions") != std::string::npos))
      return "line " + std::to_string(number) + " includes \"" + m[2].str() +
             "\": a submission may include only the exercise's own headers";
  }
  return {};
}

/// The first file the compiler read (its -MD dependency list) from the instructor's solutions/,
/// or empty: catches includes a macro or a symbolic link hides from forbidden_include.
std::string solution_dependency(const std::string& deps, const fs::path& source_dir) {
  auto solutions = fs::weakly_canonical(source_dir / "solutions").string() + "/";
  std::istringstream words{deps};
  std::string word;
  while (words >> word) {
    if (word == "\\" || word.back() == ':')
      continue;
    std::error_code ec;
    auto real = fs::weakly_canonical(word, ec).string();
    if (real.rfind(solutions, 0) == 0 || word.find("/solutions/") != std::string::npos)
      return "the compiler read " + fs::path{word}.filename().string() +
             " from the instructor's solutions: a submission may not include them";
  }
  return {};
}

// -- the evidence channel ---------------------------------------------------------------------

/// The read end of the evidence FIFO, for one spec run: opened before it starts, drained after.
class evidence_reader {
public:
  explicit evidence_reader(const fs::path& fifo)
      : fd_(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {}
  ~evidence_reader() {
    if (fd_ >= 0)
      close(fd_);
  }
  evidence_reader(const evidence_reader&) = delete;
  evidence_reader& operator=(const evidence_reader&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::string drain() const {
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while (text.size() < (1u << 20) && (n = read(fd_, buffer, sizeof buffer)) > 0)
      text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }

private:
  int fd_;
};

/// A judge's verdict on its subject, "dca judge (KIND): WHAT", as (KIND, WHAT). Only a judged
/// run's output is read for it: the subject's own output goes to /dev/null.
std::optional<std::pair<std::string, std::string>> judge_line(const std::string& output) {
  static const std::regex line{R"(^dca judge \((timeout|crash|fail)\): (.*)$)"};
  std::istringstream in{output};
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (std::regex_match(text, m, line))
      return std::make_pair(m[1].str(), m[2].str());
  }
  return std::nullopt;
}

/// How long the subject may take for one handler: a quarter of the run's limit, at least 1 s, so
/// that a hang mid-handler is reported as such before the whole run times out.
long subject_timeout_ms(std::chrono::seconds run_limit) {
  return std::max(1000L, static_cast<long>(run_limit.count()) * 250L);
}

/// The argv of one spec run under `seed`: doctest's cases in the seed's random order.
std::vector<std::string> spec_argv(const std::string& spec, const std::string& seed) {
  return {spec, "--no-colors", "--order-by=rand", "--rand-seed=" + seed};
}

/// The argv of one exploration: `schedules` random delivery orders of the actors from `seed`.
std::vector<std::string> explore_argv(const std::string& program, const std::string& seed,
                                      std::uint64_t schedules) {
  return {program,    "explore", "--variant", "actors",      "--strategy",
          "random",   "--seed",  seed,        "--schedules", std::to_string(schedules),
          "--format", "json"};
}

/// `env` and what a judge needs: the subject it starts, and how long one handler may take there.
std::map<std::string, std::string> with_subject(std::map<std::string, std::string> env,
                                                const std::string& subject,
                                                std::chrono::seconds run_limit) {
  env["DCA_SUBJECT"] = subject;
  env["DCA_SUBJECT_TIMEOUT_MS"] = std::to_string(subject_timeout_ms(run_limit));
  return env;
}

/// An exercise that needs services reaches the slot's own role and Redis, and only those.
void add_services(sandbox_request& r, const build_plan& plan, const slot_services* services,
                  int slot) {
  if (plan.entry->needs != "services" || services == nullptr)
    return;
  r.env.insert(services->env(slot).begin(), services->env(slot).end());
  const auto& sockets = services->folders(slot);
  r.read_only.insert(r.read_only.end(), sockets.begin(), sockets.end());
}

/// The explored schedule replayed on the learner's own file, built like the grader built it.
std::string replay_explore(const fs::path& submission, const std::string& number,
                           const std::string& schedule) {
  return "dca explore " + number + " --submission " + shell_quote(submission.string()) +
         " --variant actors --replay " + shell_quote(schedule);
}

/// The compiler's diagnostics about the learner's own file only (named as message_passing.cpp),
/// with the learner's own source lines they quote: never a line of another file (an #include of
/// /etc/passwd shows nothing of it).
std::string learner_diagnostics(const std::string& output, const std::string& source) {
  static const std::regex colour{"\x1b\\[[0-9;]*[A-Za-z]"}; // -fdiagnostics-color=always
  static const std::regex diagnostic{R"(^\S+:\d+:(\d+:)? )"};
  std::istringstream in{output};
  std::string line, out;
  bool ours = false;
  while (std::getline(in, line)) {
    line = std::regex_replace(line, colour, "");
    if (std::regex_search(line, diagnostic) || line.rfind("In file included from", 0) == 0 ||
        line.rfind("                 from", 0) == 0)
      ours = line.rfind(source + ":", 0) == 0;
    else if (line.rfind(source + ":", 0) == 0) // "FILE: In function ..."
      ours = true;
    if (ours)
      out +=
          (line.rfind(source, 0) == 0 ? "message_passing.cpp" + line.substr(source.size()) : line) +
          "\n";
  }
  return out;
}

} // namespace

std::string check_evidence(const std::string& evidence, const std::string& nonce,
                           const std::vector<std::string>& cases) {
  std::set<std::string> passed, failed;
  bool done = false;
  std::istringstream lines{evidence};
  std::string line;
  auto prefix = nonce + " ";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0)
      continue; // not from the specs of this run
    auto rest = line.substr(prefix.size());
    if (rest.rfind("passed ", 0) == 0)
      passed.insert(rest.substr(7));
    else if (rest.rfind("failed ", 0) == 0)
      failed.insert(rest.substr(7));
    else if (rest.rfind("done ", 0) == 0)
      done = rest == "done " + std::to_string(cases.size()) + " passed 0 failed";
  }
  for (const auto& c : cases)
    if (passed.count(c) == 0 || failed.count(c) != 0)
      return "the spec case \"" + c + "\" did not report a pass";
  if (passed.size() != cases.size() || !failed.empty())
    return "the spec reported cases the instructor's spec does not have";
  if (!done)
    return "the specs did not report that they finished";
  return {};
}

std::vector<spec_failure> evidence_failures(const std::string& evidence, const std::string& nonce) {
  std::vector<spec_failure> out;
  std::istringstream lines{evidence};
  std::string line;
  auto prefix = nonce + " check ";
  while (std::getline(lines, line))
    if (line.rfind(prefix, 0) == 0) {
      auto rest = line.substr(prefix.size());
      auto cut = rest.find('\x1f');
      if (cut != std::string::npos)
        out.push_back({rest.substr(0, cut), rest.substr(cut + 1)});
    }
  return out;
}

double grading_options::points_of(const std::string& id) const {
  auto found = points.find(id);
  return found != points.end() ? found->second : points_default;
}

std::chrono::seconds grading_options::run_limit_of(const std::string& id) const {
  if (time_limit_fixed)
    return time_limit;
  auto found = run_limits.find(id);
  return found != run_limits.end() ? found->second : time_limit;
}

fs::path exercises_dir_of(const fs::path& submission) {
  return fs::is_directory(submission / "exercises") ? submission / "exercises" : submission;
}

exercise_grade grader::grade(int slot, const fs::path& submission, const std::string& name,
                             const build_plan& plan) const {
  DCA_ASSERT(plan.entry != nullptr);
  const auto& e = *plan.entry;
  attempt a;
  a.submission = submission;
  a.g.id = e.id;
  a.g.number = e.number;
  a.g.title = e.title;
  a.g.points_max = opts_.points_of(e.id);
  a.g.rounds = opts_.rounds;
  auto source = exercises_dir_of(submission) / e.id / "message_passing.cpp";
  a.uid = box_.slot_uid(slot);
  note_ignored(a, plan);

  // The scratch folder: the learner's file, its build, and the runs' working folder, all the
  // slot user's. That user reads the learner's file and writes the copy the compiler reads.
  a.dir = scratch_ / name / e.id;
  fs::remove_all(a.dir);
  fs::create_directories(a.dir / "build");
  fs::create_directories(a.dir / "run");
  a.evidence = a.dir / "build" / "evidence";
  if (mkfifo(a.evidence.c_str(), 0600) != 0)
    return a.finish("error", "cannot make the evidence channel " + a.evidence.string());
  box_.hand_over(slot, a.dir);
  // Write-only for the slot's user: a judged submission's subject runs as the same user as its
  // judge, and must not read the judge's lines (they carry the nonce) off the channel.
  if (geteuid() == 0 &&
      (chown(a.evidence.c_str(), 0, 0) != 0 || chmod(a.evidence.c_str(), 0622) != 0))
    return a.finish("error",
                    "cannot hand the evidence channel over: " + std::string{std::strerror(errno)});
  learner_file_options copy;
  copy.copy = a.dir / "message_passing.cpp";
  auto learner = read_as_user(a.uid, submission, source.lexically_relative(submission), copy);
  if (!learner.found || !learner.refused.empty())
    fs::remove_all(a.dir);
  if (!learner.refused.empty())
    return a.finish("rejected", learner.refused);
  if (!learner.found)
    return a.finish("missing", "no exercises/" + e.id + "/message_passing.cpp in the submission");
  if (auto bad = forbidden_include(learner.text); !bad.empty())
    return a.finish("rejected", bad);
  a.learner_text = std::move(learner.text);
  a.g.hygiene = analyze_hygiene(a.learner_text);
  a.object = (a.dir / "build" / "message_passing.o").string();
  // Judged: the learner's file is linked into the subject, and the spec is the instructor's judge.
  a.judged = plan.judged;
  a.spec =
      (a.dir / "build" / (plan.judged ? "subject" + e.number : "ex" + e.number + "_spec")).string();
  a.program = (a.dir / "build" / ("ex" + e.number)).string();
  a.run_limits = limits_for_runs(plan);

  if (auto failed = build(slot, a, plan))
    return *failed;
  // K rounds, one seed each; stop at the first that does not pass.
  for (int round = 0; round < opts_.rounds; ++round)
    if (auto failed = run_round(slot, a, plan, round))
      return *failed;
  if (!opts_.keep_scratch) {
    std::error_code ec;
    fs::remove(a.spec, ec);
    fs::remove(a.object, ec);
  }
  return score(a);
}

namespace {

/// The largest preprocessed learner's file the hygiene analysis reads (CAF's headers included).
constexpr std::size_t preprocessed_bytes_max = 256u << 20;

sandbox_limits compile_limits(std::chrono::seconds limit, bool sanitized) {
  sandbox_limits limits;
  limits.wall = limit;
  limits.cpu_seconds = static_cast<std::uint64_t>(limit.count());
  limits.file_bytes = 1ull << 30;
  limits.address_space_bytes = sanitized ? 0 : 8ull << 30;
  limits.memory_bytes = 4ull << 30;
  return limits;
}

/// The limits of one spec run or exploration: `wall`, and CPU time for 4 busy threads that long.
sandbox_limits run_limits_of(std::chrono::seconds wall, bool sanitized) {
  sandbox_limits limits;
  limits.wall = wall;
  limits.cpu_seconds = static_cast<std::uint64_t>(wall.count()) * 4;
  if (sanitized)
    limits.address_space_bytes = 0;
  return limits;
}

/// Where a run's limit came from, for a timeout's words.
std::string run_limit_origin(const grading_options& opts) {
  if (opts.time_limit_fixed)
    return "; the limit was fixed by --time-limit";
  return "; the limit: " + std::to_string(run_limit_floor.count()) + " s + " +
         std::to_string(run_limit_factor) + " x the reference solution's run here";
}

std::string in_seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << static_cast<double>(ms.count()) / 1000.0 << " s";
  return s.str();
}

} // namespace

std::string calibrate_compile_limit(const context& ctx, const sandbox& box,
                                    const std::vector<build_plan>& plans, const fs::path& scratch,
                                    grading_options& opts) {
  std::chrono::milliseconds slowest{0};
  for (const auto& plan : plans) {
    const auto& id = plan.entry->id;
    auto dir = scratch / ".calibration" / id;
    fs::create_directories(dir);
    box.hand_over(0, dir);
    auto reference = ctx.source_dir / "solutions" / id / "message_passing.cpp";
    if (!fs::exists(reference))
      reference = plan.instructor_dir / "message_passing.cpp";
    auto argv = with_placeholders(plan.compile, {{"{SOURCE}", reference.string()},
                                                 {"{OBJECT}", (dir / "reference.o").string()}});
    sandbox_request r{argv,
                      plan.compile_dir,
                      false,
                      {{"TMPDIR", dir.string()}},
                      compile_limits(std::chrono::seconds(3600), plan.sanitized),
                      {ctx.source_dir, ctx.build_dir},
                      {dir},
                      scratch};
    auto compiled = box.run(0, r);
    if (!compiled.ok())
      throw std::runtime_error("cannot compile the reference solution of " + id +
                               " to calibrate the compile limit: " + first_error(compiled.output));
    slowest = std::max(slowest, compiled.elapsed);
  }
  fs::remove_all(scratch / ".calibration");
  auto floor = opts.compile_limit;
  auto scaled = std::chrono::duration_cast<std::chrono::seconds>(slowest * compile_limit_factor) +
                std::chrono::seconds(1);
  opts.compile_limit = std::max(floor, scaled);
  return "calibration: the reference solution compiles in " + in_seconds(slowest) +
         " here; compile limit max(" + std::to_string(floor.count()) + " s, " +
         std::to_string(compile_limit_factor) + " x " + in_seconds(slowest) +
         ") = " + std::to_string(opts.compile_limit.count()) + " s";
}

std::chrono::seconds calibrated_run_limit(std::chrono::milliseconds reference) {
  auto scaled = std::chrono::ceil<std::chrono::seconds>(reference * run_limit_factor);
  return run_limit_floor + scaled;
}

namespace {

/// How long one round of the reference solution of `plan` takes here (the slower of its spec run
/// and its exploration), run in slot 0 as a learner's would be; throws when it does not pass.
std::chrono::milliseconds reference_run_time(const context& ctx, const sandbox& box,
                                             const build_plan& plan, const fs::path& scratch,
                                             const slot_services* services,
                                             const grading_options& opts) {
  const auto& number = plan.entry->number;
  auto dir = scratch / ".calibration" / "runs" / plan.entry->id;
  fs::create_directories(dir);
  box.hand_over(0, dir);
  constexpr std::chrono::seconds wall{900}; // generous: this run sets the limit, none applies yet
  auto seed = std::to_string(opts.seed);
  std::map<std::string, std::string> env{{"DCA_SEED", seed}};
  if (plan.judged) // the judge, with the reference in the subject
    env = with_subject(env, ctx.program("subject" + number).string(), wall);
  auto spec = plan.judged ? plan.judge_spec : ctx.program("sol" + number + "_spec");
  auto program = plan.judged ? plan.judge_program : ctx.program("sol" + number);
  auto timed = [&](std::vector<std::string> argv, const std::string& what) {
    sandbox_request r{std::move(argv), dir, true,   env, run_limits_of(wall, plan.sanitized),
                      {ctx.build_dir}, {},  scratch};
    add_services(r, plan, services, 0);
    auto ran = box.run(0, r);
    if (!ran.ok())
      throw std::runtime_error("cannot calibrate the run limit: the reference solution of " +
                               plan.entry->id + " does not pass its " + what + " here: " +
                               (ran.error.empty() ? last_lines(ran.output, 3) : ran.error));
    return ran.elapsed;
  };
  auto took = timed(spec_argv(spec.string(), seed), "spec");
  if (plan.explores)
    took =
        std::max(took, timed(explore_argv(program.string(), seed, opts.schedules), "exploration"));
  return took;
}

} // namespace

std::vector<std::string> calibrate_run_limits(const context& ctx, const sandbox& box,
                                              const std::vector<build_plan>& plans,
                                              const fs::path& scratch,
                                              const slot_services* services,
                                              grading_options& opts) {
  if (opts.time_limit_fixed)
    return {"run limit: " + std::to_string(opts.time_limit.count()) +
            " s per spec run and exploration (--time-limit: fixed, not calibrated)"};
  std::vector<std::string> lines;
  for (const auto& plan : plans) {
    auto took = reference_run_time(ctx, box, plan, scratch, services, opts);
    auto limit = calibrated_run_limit(took);
    opts.run_limits[plan.entry->id] = limit;
    lines.push_back("calibration: " + plan.entry->number + "'s reference solution runs " +
                    (plan.judged ? "judged" : "in process") + " in " + in_seconds(took) +
                    " here (spec or exploration, the slower); run limit " +
                    std::to_string(run_limit_floor.count()) + " s + " +
                    std::to_string(run_limit_factor) + " x " + in_seconds(took) + " = " +
                    std::to_string(limit.count()) + " s");
  }
  fs::remove_all(scratch / ".calibration");
  return lines;
}

sandbox_limits grader::limits_for_build(const build_plan& plan) const {
  return compile_limits(opts_.compile_limit, plan.sanitized);
}

sandbox_limits grader::limits_for_runs(const build_plan& plan) const {
  return run_limits_of(opts_.run_limit_of(plan.entry->id), plan.sanitized);
}

std::vector<std::string> grader::compile_argv(const build_plan& plan, const attempt& a,
                                              const std::string& source,
                                              const std::string& stage) const {
  auto out = stage == "-E" ? (a.dir / "build" / "message_passing.ii").string() : a.object;
  auto argv = with_placeholders(plan.compile, {{"{SOURCE}", source}, {"{OBJECT}", out}});
  if (stage == "-E")
    argv.push_back("-E");
  else
    argv.insert(argv.end(), {"-MD", "-MF", (a.dir / "build" / "message_passing.d").string()});
  return argv;
}

/// The hygiene comments of the code as the compiler saw it (macros expanded), when it could
/// preprocess the file; else those of the raw text stay.
void grader::analyze_as_compiled(attempt& a, const sandbox_result& preprocessed) const {
  if (!preprocessed.ok())
    return;
  learner_file_options large;
  large.bytes_max = preprocessed_bytes_max;
  auto file = read_as_user(a.uid, a.dir / "build", "message_passing.ii", large);
  if (file.found && file.refused.empty())
    a.g.hygiene =
        analyze_preprocessed(file.text, (a.dir / "message_passing.cpp").string(), a.learner_text);
  if (!opts_.keep_scratch)
    fs::remove(a.dir / "build" / "message_passing.ii");
}

/// Compiles the learner's file and links the spec (and the program, where the exercise explores).
/// A finished grade when that fails, else nothing.
std::optional<exercise_grade> grader::build(int slot, attempt& a, const build_plan& plan) const {
  auto limits = limits_for_build(plan);
  auto in_box = [&](const std::vector<std::string>& argv, const fs::path& cwd) {
    // The instructor's files read-only, the submission's own folder writable, its peers hidden.
    sandbox_request r{argv,    cwd,
                      false,   {{"TMPDIR", (a.dir / "build").string()}},
                      limits,  {ctx_.source_dir, ctx_.build_dir},
                      {a.dir}, scratch_};
    return box_.run(slot, r);
  };
  auto source = (a.dir / "message_passing.cpp").string();
  auto compiled = in_box(compile_argv(plan, a, source, "-c"), plan.compile_dir);
  a.g.build_elapsed = compiled.elapsed;
  if (!compiled.error.empty())
    return a.finish("error", compiled.error);
  // Over the limit (the wall clock or its CPU time) is a compile timeout, never a compile error:
  // the limit scales with the reference solution's compile time (calibrate_compile_limit).
  if (compiled.timed_out || compiled.limit_hit == "cpu")
    return a.finish("timeout", "compile timeout: the compiler did not finish within " +
                                   std::to_string(opts_.compile_limit.count()) +
                                   " s (the compile limit, scaled from the reference solution)");
  if (!compiled.ok()) {
    a.g.details = compiler_errors(learner_diagnostics(compiled.output, source), 12);
    return a.finish("compile_error",
                    "does not compile (warnings are errors): " + first_error(a.g.details));
  }
  // The compiler's outputs are the slot user's files: read as that user too, never through a link.
  auto deps = read_as_user(a.uid, a.dir / "build", "message_passing.d");
  if (!deps.refused.empty() || !deps.found)
    return a.finish("error", "cannot read the compiler's dependency list: " + deps.refused);
  if (auto bad = solution_dependency(deps.text, ctx_.source_dir); !bad.empty())
    return a.finish("rejected", bad);
  analyze_as_compiled(a, in_box(compile_argv(plan, a, source, "-E"), plan.compile_dir));
  auto linked = in_box(with_placeholders(plan.link, {{"{OBJECT}", a.object}, {"{OUTPUT}", a.spec}}),
                       plan.link_dir);
  if (!linked.error.empty())
    return a.finish("error", linked.error);
  if (!linked.ok()) {
    a.g.details = compiler_errors(linked.output, 12);
    return a.finish("compile_error", "does not link (a function of the contract missing or "
                                     "defined twice?): " +
                                         first_error(linked.output));
  }
  a.g.build_elapsed += linked.elapsed;
  if (!plan.explores || plan.judged) // the judge's program explores through the same subject
    return std::nullopt;
  auto program = in_box(
      with_placeholders(plan.program_link, {{"{OBJECT}", a.object}, {"{OUTPUT}", a.program}}),
      plan.link_dir);
  a.g.build_elapsed += program.elapsed;
  if (!program.ok())
    return a.finish("error", "cannot link the exercise program: " + first_error(program.output));
  return std::nullopt;
}

/// One seed: the spec, then (where the exercise explores) a random search of the actors' delivery
/// orders driven by the same seed. A finished grade when the round fails, else nothing.
std::optional<exercise_grade> grader::run_round(int slot, attempt& a, const build_plan& plan,
                                                int round) const {
  auto seed = opts_.seed + static_cast<std::uint64_t>(round);
  auto seed_text = std::to_string(seed);
  const auto& limits = a.run_limits;
  ++a.g.rounds_run;
  auto nonce = random_hex();
  evidence_reader evidence{a.evidence};
  if (!evidence.ok())
    return a.finish("error", "cannot open the evidence channel " + a.evidence.string());
  // The built spec and program read-only (the spec cannot rewrite the program run after it), a
  // private working folder, other submissions hidden.
  auto in_box = [&](std::vector<std::string> argv, std::map<std::string, std::string> env) {
    sandbox_request r{std::move(argv), a.dir / "run",           true, std::move(env),
                      limits,          {ctx_.build_dir, a.dir}, {},   scratch_};
    add_services(r, plan, services_, slot);
    return box_.run(slot, r);
  };
  auto judged = [&](std::map<std::string, std::string> env) {
    return a.judged ? with_subject(std::move(env), a.spec, limits.wall) : env;
  };
  auto spec = a.judged ? plan.judge_spec.string() : a.spec;
  auto ran = in_box(spec_argv(spec, seed_text), judged({{"DCA_SEED", seed_text},
                                                        {"DCA_EVIDENCE_PATH", a.evidence.string()},
                                                        {"DCA_EVIDENCE_NONCE", nonce}}));
  // An exit status of 0 is not a pass: every case of the instructor's spec must say so itself.
  a.failed_checks = evidence_failures(a.evidence_text = evidence.drain(), nonce);
  if (ran.ok())
    if (auto missing = check_evidence(a.evidence_text, nonce, plan.spec_cases); !missing.empty()) {
      a.g.failing_seed = seed;
      a.g.replay = replay_grade(a.submission, a.g.number, seed);
      a.g.details = last_lines(ran.output, 8);
      return a.finish("fail", "exited with status 0, but " + missing +
                                  " (did the program end itself early?)" +
                                  a.round_words(seed, round, opts_.rounds));
    }
  if (ran.ok() && !plan.explores)
    return std::nullopt;
  auto program = a.judged ? plan.judge_program.string() : a.program;
  auto explore_env = judged({{"DCA_SEED", seed_text}, {"DCA_INVOKED_AS", "dca %s " + a.g.number}});
  if (ran.ok()) {
    auto explored = in_box(explore_argv(program, seed_text, opts_.schedules), explore_env);
    if (explored.ok())
      return std::nullopt;
    if (explored.exit_code == 3 && explored.limit_hit.empty())
      return explored_failure(a, explored, seed, round);
    ran = explored;
  }
  auto failed = round_failure(a, ran, seed, round);
  // A spec that failed on an explored schedule: that schedule, replayed, is its failing run's page.
  if (plan.explores && !failed.failing_schedule.empty())
    failed.schedule_page =
        replayed_run_page(a, in_box({program, "explore", "--variant", "actors", "--replay",
                                     failed.failing_schedule, "--format", "json"},
                                    explore_env));
  return failed;
}

exercise_grade grader::round_failure(attempt& a, const sandbox_result& ran, std::uint64_t seed,
                                     int round) const {
  auto& g = a.g;
  g.failing_seed = seed;
  g.replay = replay_grade(a.submission, g.number, seed);
  auto where = a.round_words(seed, round, opts_.rounds);
  if (!ran.error.empty())
    return a.finish("error", ran.error);
  // A limit hit explains a timeout (a fork bomb spins until the clock runs out): say it first.
  if (!ran.limit_hit.empty() || ran.timed_out || ran.signal != 0)
    g.details = last_lines(ran.output, 8);
  if (!ran.limit_hit.empty() && ran.limit_hit != "cpu")
    return a.finish("resource_limit", limit_words(ran, a.run_limits) + where);
  // Over the run's limit (its wall clock, or its CPU time) is a timeout, never a fail: the limit
  // scales with the reference solution's run (calibrate_run_limits) unless --time-limit fixed it.
  if (ran.timed_out || ran.limit_hit == "cpu")
    return a.finish("timeout",
                    timed_out_words(a.run_limits.wall) + run_limit_origin(opts_) + where);
  if (ran.signal != 0)
    return a.finish("crash", "crashed: " + describe_signal(ran.signal) + where);
  if (a.judged && ran.exit_code == dca::bridge::subject_failed_status)
    if (auto said = judge_line(ran.output)) {
      g.details = last_lines(ran.output, 8);
      return a.finish(said->first, said->second + where);
    }
  // An exploring spec that logs its failing schedule ("schedule 0.1.2", "schedule=0.1.2" or
  // "--replay 0.1.2") gets it recorded, with the command that replays it.
  static const std::regex schedule_token{R"((?:schedule[= ]|--replay )([0-9]+(?:\.[0-9]+)+))"};
  std::smatch m;
  if (std::regex_search(ran.output, m, schedule_token)) {
    g.failing_schedule = m[1].str();
    g.replay += "; the schedule: " + replay_explore(a.submission, g.number, g.failing_schedule);
  }
  // The failing checks as the specs reported them on the evidence channel: the output is the
  // submission's too, and a fake "ERROR:" line printed there must not become the headline.
  const auto& failures = a.failed_checks;
  for (const auto& f : failures)
    g.details += "  - " + f.test_case + ": " + f.message + "\n";
  if (failures.empty()) {
    g.details = last_lines(ran.output, 8);
    return a.finish("fail", "the spec failed (exit " + std::to_string(ran.exit_code) + ")" + where);
  }
  return a.finish("fail", in_words(failures.front().message, g.number) + where);
}

namespace {

/// The failing exploration as a schedule page beside the kept build (scratch/NAME/NN_name), for
/// the report to point to; empty when it could not be written. The report is the submission's
/// output, so the page takes code only from the instructor's exercise folder and the learner's
/// text as the grader read it, never from a path the output names.
std::string failing_run_page(const context& ctx, const grader::attempt& a,
                             const std::string& output) {
  const auto* entry = ctx.curriculum.find(a.g.number);
  if (entry == nullptr)
    return {};
  explore_page_request req;
  req.entry = entry;
  req.variant = "actors";
  req.invoked = "dca %s " + a.g.number + " --submission " + shell_quote(a.submission.string());
  req.exercise_dir = ctx.source_dir / "exercises" / entry->id;
  req.learner_file = a.dir / "message_passing.cpp";
  req.learner_text = a.learner_text;
  req.report_paths_trusted = false;
  auto page = page_of_output(req, output);
  auto file = a.dir / "failing-run.html";
  if (!page || !write_whole(file, render_schedule_page(*page)).empty())
    return {};
  return file.string();
}

} // namespace

/// The page of a failing spec's schedule replayed by the exercise program; empty unless the replay
/// broke the invariant again (a schedule the spec logged for another variant replays clean).
std::string grader::replayed_run_page(const attempt& a, const sandbox_result& replayed) const {
  if (replayed.exit_code != 3 || !replayed.limit_hit.empty())
    return {};
  return failing_run_page(ctx_, a, replayed.output);
}

/// A delivery order of the actors that breaks the exercise's invariant: record the schedule, show
/// the interleaving and its page, and say how to replay it.
exercise_grade grader::explored_failure(attempt& a, const sandbox_result& explored,
                                        std::uint64_t seed, int round) const {
  auto& g = a.g;
  std::string verdict = "an explored delivery order breaks it";
  if (auto report = read_explore_report(explored.output)) {
    if (report->outcome == "deadlock")
      verdict = "deadlocked: " + report->what_broke(", ");
    else
      verdict = "a delivery order corrupts it: " + in_words(report->what_broke(), "");
    g.failing_schedule = report->schedule;
    for (const auto& step : report->steps)
      g.details += "    " + step + "\n";
    g.schedule_page = failing_run_page(ctx_, a, explored.output);
  }
  g.failing_seed = seed;
  g.replay = replay_explore(a.submission, g.number, g.failing_schedule) +
             "  (or: " + replay_grade(a.submission, g.number, seed) + ")";
  return a.finish("fail", verdict + a.round_words(seed, round, opts_.rounds));
}

/// Every round passed: full points, less the hygiene penalty once per kind of shared state (rule)
/// with an essential comment: a smuggled global costs the same however often it is used.
exercise_grade grader::score(attempt& a) const {
  auto& g = a.g;
  std::size_t essential = 0;
  std::set<std::string> rules;
  for (const auto& c : g.hygiene)
    if (c.severity == severity::essential) {
      ++essential;
      rules.insert(c.rule);
    }
  auto seeds = "every check passes under " + std::to_string(opts_.rounds) +
               (opts_.rounds == 1 ? " seed" : " seeds");
  if (essential == 0) {
    g.points = g.points_max;
    return a.finish("pass", seeds);
  }
  double lost =
      g.points_max * opts_.hygiene_penalty_percent / 100.0 * static_cast<double>(rules.size());
  g.points = std::max(0.0, g.points_max - lost);
  const auto& first = first_essential(g);
  return a.finish(
      "flagged",
      "passes, but shares state: " + first.rule + " at line " + std::to_string(first.line) +
          (essential > 1 ? " (+" + std::to_string(essential - 1) + " more)" : std::string{}));
}

/// The submission's own copies of instructor files are never used: say which ones differ.
void grader::note_ignored(attempt& a, const build_plan& plan) const {
  auto exercises = exercises_dir_of(a.submission);
  for (const auto& rel : plan.instructor_files) {
    // exercises/NN_name/x lives at SUB/exercises/NN_name/x or, for a bare exercises folder, at
    // SUB/NN_name/x; tests/... only in a whole checkout.
    fs::path theirs = rel.rfind("exercises/", 0) == 0
                          ? exercises / fs::path{rel}.lexically_relative("exercises")
                          : a.submission / rel;
    auto file = read_as_user(a.uid, a.submission, theirs.lexically_relative(a.submission));
    if (file.found && (!file.refused.empty() || file.text != read_text(ctx_.source_dir / rel)))
      a.g.ignored_files.push_back(rel);
  }
}

} // namespace dca::cli
