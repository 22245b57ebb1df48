// `dca grade SUBMISSION...`: grade learners' message_passing.cpp files with the instructor's own
// specs, scenarios and build. The instructor's side is built once (cmake --build); per submission
// and exercise only the learner's file is compiled, with the instructor build's exact flags, and
// linked with the instructor's objects (build_plan.hpp) into a spec binary in the submission's
// scratch folder. The grader (grader.hpp) runs every step in the sandbox; the report formats
// (grade_report.hpp) write what it found.
#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "command.hpp"
#include "dca/assert.hpp"
#include "grade/grader.hpp"
#include "grade/hygiene.hpp"
#include "grade/learner_file.hpp"
#include "text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

const std::vector<std::string> formats{"table", "json", "csv", "junit", "gradescope"};

/// The command line of `dca grade`, as given.
struct grade_words {
  std::vector<std::string> submissions, exercise_filter, points, also;
  std::map<std::string, std::string> bad; // submission path -> why it cannot be graded
  std::string format = "table", out_file, scratch;
  grading_options opts;
  int jobs = static_cast<int>(std::max(1u, std::min(4u, std::thread::hardware_concurrency())));
  long time_limit_s = 0; // 0: each exercise's limit calibrated from its reference solution
  long compile_limit_s = 300;
  bool judge = false;      // --judge: the default, kept for the command lines that say it
  bool in_process = false; // --in-process: 01-04 linked into the spec, as before the judge
  std::vector<std::pair<std::string, std::string>> extra_outputs; // --also FORMAT=FILE
  std::vector<const exercise_entry*> chosen;
};

po::options_description grade_options(grade_words& w) {
  po::options_description desc{
      "Usage: dca grade SUBMISSION... [options]\n"
      "Grades learners' message_passing.cpp files with your specs, scenarios and build.\n"
      "A SUBMISSION is a folder: a learner's checkout, or just its exercises/ folder. Only its\n"
      "exercises/NN_name/message_passing.cpp files are used; edits to anything else are ignored\n"
      "(and listed). Each submission is built and run in a sandbox with time and memory limits\n"
      "and no network, under K seeds.\n\nOptions"};
  auto add = desc.add_options();
  add("help,h", "show this help");
  add("jobs,j", po::value(&w.jobs)->default_value(w.jobs), "submissions graded at once");
  add("format,f", po::value(&w.format)->default_value("table"),
      "table, json, csv (a gradebook), junit (XML) or gradescope (results.json)");
  add("out,o", po::value(&w.out_file),
      "write the report to FILE (gradescope with several submissions: a folder, one "
      "NAME/results.json each)");
  add("also", po::value(&w.also),
      "FORMAT=FILE: write this format too, from the same run "
      "(repeatable)");
  add("exercise,e", po::value(&w.exercise_filter), "grade only this exercise (repeatable)");
  add("rounds,k", po::value(&w.opts.rounds)->default_value(w.opts.rounds),
      "run every spec under K seeds; a submission passes only if all pass");
  add("seed", po::value(&w.opts.seed)->default_value(w.opts.seed),
      "the first seed (then +1, +2...)");
  add("schedules", po::value(&w.opts.schedules)->default_value(w.opts.schedules),
      "random delivery orders of the actors explored per seed (where the exercise explores)");
  add("time-limit", po::value(&w.time_limit_s),
      "fixed seconds one spec run or exploration may take (default: calibrated per exercise, "
      "10 s + 5 x its reference solution's run on this machine)");
  add("compile-limit", po::value(&w.compile_limit_s)->default_value(w.compile_limit_s),
      "the least seconds one compile may take (more when the reference solution compiles slowly)");
  add("points", po::value(&w.points), "NN=P: exercise NN is worth P points (default 10)");
  add("hygiene-penalty", po::value(&w.opts.hygiene_penalty_percent)->default_value(0),
      "percent of an exercise's points lost per essential hygiene comment (0: comments only)");
  add("scratch", po::value(&w.scratch),
      "where submissions are built (default: BUILD/grading/TIMESTAMP)");
  add("keep-scratch", po::bool_switch(&w.opts.keep_scratch),
      "keep every build (default: only the failing ones, to replay)");
  add("judge", po::bool_switch(&w.judge),
      "the default: run the learner's code (its actors, its entities' decide and apply, or 12's "
      "SQL steps) in a "
      "subject process and judge it from a spec that holds no learner code (exercises with "
      "tests/judge/NN_name: all of 01-14)");
  add("in-process", po::bool_switch(&w.in_process),
      "grade the judged exercises (01-14) the old way too: the learner's file linked into "
      "the "
      "spec, where code written to attack the grader can forge a pass (see grade/README.md)");
  add("submission", po::value(&w.submissions), "a submission folder");
  return desc;
}

bool known_format(const std::string& f) {
  return std::find(formats.begin(), formats.end(), f) != formats.end();
}

void check_numbers(const grade_words& w) {
  if (!known_format(w.format))
    throw usage_error("unknown format '" + w.format +
                      "': use table, json, csv, junit or gradescope");
  if (w.submissions.empty())
    throw usage_error("which submissions? e.g. `dca grade submissions/*`");
  if (w.jobs < 1 || w.jobs > 64)
    throw usage_error("--jobs must be between 1 and 64");
  if (w.opts.rounds < 1 || w.opts.rounds > 1000)
    throw usage_error("--rounds must be between 1 and 1000");
  if (w.opts.time_limit_fixed && (w.time_limit_s < 1 || w.time_limit_s > 3600))
    throw usage_error("--time-limit must be between 1 and 3600 seconds");
  if (w.judge && w.in_process)
    throw usage_error("--judge and --in-process: choose one (judged is the default)");
  if (w.compile_limit_s < 1 || w.compile_limit_s > 3600)
    throw usage_error("--compile-limit must be between 1 and 3600 seconds");
}

void read_points(const context& ctx, grade_words& w) {
  for (const auto& p : w.points) {
    auto eq = p.find('=');
    if (eq == std::string::npos)
      throw usage_error("--points takes NN=P, e.g. --points 01=20");
    try {
      w.opts.points[ctx.exercise(p.substr(0, eq)).id] = std::stod(p.substr(eq + 1));
    } catch (const std::invalid_argument&) {
      throw usage_error("--points " + p + ": P must be a number");
    }
  }
}

/// Why `s` cannot be graded, or nothing when it holds at least one exercise.
std::string bad_submission(const context& ctx, const std::string& s) {
  if (!fs::exists(s))
    return "no such submission: " + s;
  if (!fs::is_directory(s))
    return "a submission is a folder, not a file: " + s;
  auto dir = exercises_dir_of(s);
  for (const auto& e : ctx.curriculum.exercises())
    if (fs::is_regular_file(dir / e.id / "message_passing.cpp"))
      return {};
  return "no exercises found in " + s + " (expected exercises/NN_name/message_passing.cpp)";
}

/// A bad path among good ones is reported with the verdict no_exercises; only a batch of bad
/// paths is bad input.
void check_submissions(const context& ctx, grade_words& w) {
  for (const auto& s : w.submissions)
    if (auto why = bad_submission(ctx, s); !why.empty())
      w.bad.emplace(s, why);
  if (!w.submissions.empty() && w.bad.size() == w.submissions.size())
    throw usage_error(w.bad.at(w.submissions.front()));
}

void read_also(grade_words& w) {
  for (const auto& a : w.also) {
    auto eq = a.find('=');
    auto f = a.substr(0, eq);
    if (eq == std::string::npos || eq + 1 == a.size())
      throw usage_error("--also takes FORMAT=FILE, e.g. --also csv=grades.csv");
    if (!known_format(f) || f == "gradescope")
      throw usage_error("unknown format '" + f + "' for --also: use table, json, csv or junit");
    w.extra_outputs.emplace_back(f, a.substr(eq + 1));
  }
  if (w.format == "gradescope" && w.submissions.size() > 1 && w.out_file.empty())
    throw usage_error("gradescope writes one results.json per submission: give --out FOLDER");
}

/// Bad input: one line, non-zero, before anything is built.
void check_words(const context& ctx, grade_words& w) {
  check_numbers(w);
  if (w.opts.time_limit_fixed)
    w.opts.time_limit = std::chrono::seconds(w.time_limit_s);
  w.opts.compile_limit = std::chrono::seconds(w.compile_limit_s);
  for (const auto& name : w.exercise_filter)
    w.chosen.push_back(&ctx.exercise(name));
  if (w.chosen.empty())
    for (const auto& e : ctx.curriculum.exercises())
      w.chosen.push_back(&e);
  read_points(ctx, w);
  check_submissions(ctx, w);
  read_also(w);
}

/// The instructor's side, built once, and how to build each learner's file like it.
std::vector<build_plan> plan_builds(const context& ctx, const grade_words& w) {
  std::vector<std::string> targets;
  for (const auto* e : w.chosen) {
    targets.push_back("sol" + e->number + "_spec");
    targets.push_back("sol" + e->number);
    if (!w.in_process && has_judge(ctx, *e))
      for (const auto& t :
           {"judge" + e->number + "_spec", "judge" + e->number, "subject" + e->number})
        targets.push_back(t);
  }
  std::cerr << "building the instructor's side (" << w.chosen.size() << " exercise"
            << (w.chosen.size() == 1 ? "" : "s") << ") ..." << std::endl;
  auto built = ctx.build(targets);
  if (!built.ok())
    throw std::runtime_error("cannot build the instructor's side: " +
                             compiler_errors(built.output, 5));
  auto commands = read_compile_commands(ctx);
  std::vector<build_plan> plans;
  for (const auto* e : w.chosen)
    plans.push_back(plan_build(ctx, *e, commands, !w.in_process && has_judge(ctx, *e)));
  return plans;
}

fs::path make_scratch(const context& ctx, const grade_words& w) {
  fs::path scratch =
      w.scratch.empty() ? ctx.build_dir / "grading" / (timestamp() + "-" + std::to_string(getpid()))
                        : fs::absolute(w.scratch);
  fs::create_directories(scratch);
  fs::permissions(scratch, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return scratch;
}

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

grade_report empty_report(const grade_words& w, const sandbox& box, const fs::path& scratch) {
  grade_report report;
  report.sandbox = box.description();
  report.rounds = w.opts.rounds;
  report.seed_first = w.opts.seed;
  report.hygiene_penalty_percent = w.opts.hygiene_penalty_percent;
  report.scratch = scratch.string();
  std::map<std::string, int> taken;
  for (const auto& s : w.submissions) {
    submission_grade sg;
    sg.path = s;
    sg.name = submission_name(s, taken);
    report.submissions.push_back(sg);
  }
  return report;
}

exercise_grade not_graded(const grade_words& w, const build_plan& plan, const std::string& why) {
  exercise_grade eg;
  eg.id = plan.entry->id;
  eg.number = plan.entry->number;
  eg.title = plan.entry->title;
  eg.points_max = w.opts.points_of(eg.id);
  eg.verdict = "no_exercises";
  eg.message = why;
  return eg;
}

/// Every exercise of one submission; a grader that throws gives that exercise the verdict error.
void grade_submission(const grader& g, const grade_words& w, const std::vector<build_plan>& plans,
                      int slot, submission_grade& sg) {
  auto t0 = std::chrono::steady_clock::now();
  auto bad = w.bad.find(sg.path.string());
  for (const auto& plan : plans) {
    try {
      if (bad != w.bad.end())
        sg.exercises.push_back(not_graded(w, plan, bad->second));
      else
        sg.exercises.push_back(g.grade(slot, sg.path, sg.name, plan));
    } catch (const std::exception& ex) {
      exercise_grade eg;
      eg.id = plan.entry->id;
      eg.number = plan.entry->number;
      eg.title = plan.entry->title;
      eg.points_max = w.opts.points_of(eg.id);
      eg.message = std::string{"the grader failed: "} + ex.what();
      sg.exercises.push_back(eg);
    }
    sg.points += sg.exercises.back().points;
    sg.points_max += sg.exercises.back().points_max;
  }
  sg.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
}

/// Grades every submission with `jobs` workers, one sandbox slot each.
void grade_all(const grader& g, const grade_words& w, const std::vector<build_plan>& plans,
               grade_report& report) {
  std::atomic<std::size_t> next{0};
  std::mutex print;
  std::size_t done = 0;
  auto work = [&](int slot) {
    for (auto i = next.fetch_add(1); i < report.submissions.size(); i = next.fetch_add(1)) {
      auto& sg = report.submissions[i];
      grade_submission(g, w, plans, slot, sg);
      std::lock_guard<std::mutex> lock{print};
      std::cerr << "  [" << ++done << "/" << report.submissions.size() << "] " << sg.name << ": "
                << sg.points << "/" << sg.points_max << " points ("
                << sg.elapsed.count() / 100 / 10.0 << " s)" << std::endl;
    }
  };
  std::vector<std::thread> workers;
  for (int slot = 0; slot < w.jobs; ++slot)
    workers.emplace_back(work, slot);
  for (auto& worker : workers)
    worker.join();
}

// -- copies -------------------------------------------------------------------------------------
// A submission is flagged (never failed) as a copy of the reference solution or of a batch peer:
// verbatim when its text is the other's up to whitespace; near-verbatim when, comments and layout
// aside, at least 90% of the token 5-grams it adds to the skeleton are the other's (Jaccard >=
// copy_similarity_min) and it adds at least copy_own_min of them. Below that there is too little
// own code to tell: exercise 01's honest answers add about 60 5-grams and all look like the
// reference, so there only a verbatim copy is flagged.
constexpr double copy_similarity_min = 0.9;
constexpr std::size_t copy_own_min = 100;

struct code_of {
  std::string text; // whitespace removed
  std::vector<std::string> tokens;
};

/// SUB/.../ID/message_passing.cpp as the unprivileged user `uid` reads it (empty when refused).
code_of read_code(unsigned uid, const fs::path& submission, const std::string& id) {
  code_of c;
  auto file = exercises_dir_of(submission) / id / "message_passing.cpp";
  auto read = read_as_user(uid, submission, file.lexically_relative(submission));
  if (!read.refused.empty())
    return c;
  const auto& text = read.text;
  for (char ch : text)
    if (!std::isspace(static_cast<unsigned char>(ch)))
      c.text += ch;
  c.tokens = code_tokens(text);
  return c;
}

std::string copy_words(const code_of& mine, const code_of& theirs,
                       const std::vector<std::string>& skeleton, const std::string& whose) {
  if (mine.text == theirs.text)
    return "verbatim copy of " + whose;
  std::size_t own = 0;
  auto similarity = code_similarity(mine.tokens, theirs.tokens, skeleton, own);
  if (own < copy_own_min || similarity < copy_similarity_min)
    return {};
  std::ostringstream s;
  s << "near-verbatim copy of " << whose << " (similarity " << std::setprecision(2) << similarity
    << ")";
  return s.str();
}

/// Flags copies of the reference solution and of other submissions in the batch.
void flag_copies(const context& ctx, const sandbox& box, const std::vector<build_plan>& plans,
                 grade_report& report) {
  for (std::size_t p = 0; p < plans.size(); ++p) {
    const auto& id = plans[p].entry->id;
    auto skeleton = code_tokens(read_text(plans[p].instructor_dir / "message_passing.cpp"));
    auto reference = read_code(0, ctx.source_dir / "solutions", id);
    std::vector<code_of> code;
    for (const auto& sg : report.submissions)
      code.push_back(read_code(box.slot_uid(0), sg.path, id));
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (code[i].text.empty() || report.submissions[i].exercises.size() <= p)
        continue;
      auto& copies = report.submissions[i].exercises[p].copies;
      if (auto w = copy_words(code[i], reference, skeleton, "the reference solution"); !w.empty())
        copies.push_back(w);
      for (std::size_t j = 0; j < code.size(); ++j)
        if (j != i && !code[j].text.empty())
          if (auto w = copy_words(code[i], code[j], skeleton, report.submissions[j].name);
              !w.empty())
            copies.push_back(w);
    }
  }
}

void write_file(const std::string& file, const std::function<void(std::ostream&)>& write) {
  std::ofstream out{file};
  write(out);
  if (!out)
    throw std::runtime_error("cannot write " + file);
}

/// The report in the format asked for, to --out or stdout, and each --also.
void write_reports(const grade_words& w, const grade_report& report) {
  for (const auto& [as, file] : w.extra_outputs) {
    write_file(file, [&](std::ostream& out) { write_report(out, as, report); });
    std::cerr << "wrote " << file << '\n';
  }
  if (w.format == "gradescope" && !w.out_file.empty() && report.submissions.size() > 1) {
    for (const auto& sg : report.submissions) {
      fs::create_directories(fs::path{w.out_file} / sg.name);
      write_file(w.out_file + "/" + sg.name + "/results.json",
                 [&](std::ostream& out) { write_gradescope(out, report, sg); });
    }
    std::cerr << "wrote " << report.submissions.size() << " results.json files under " << w.out_file
              << '\n';
  } else if (!w.out_file.empty()) {
    write_file(w.out_file, [&](std::ostream& out) { write_report(out, w.format, report); });
    std::cerr << "wrote " << w.out_file << '\n';
  } else {
    write_report(std::cout, w.format, report);
  }
}

/// Which exercises this run judges and which it grades in process (asked for by --in-process, or
/// with no judge yet): an instructor reads a pass of each differently (grade/README.md).
std::string evidence_line(const context& ctx, const std::vector<build_plan>& plans) {
  std::string judged, asked, no_judge;
  for (const auto& plan : plans) {
    auto& list = plan.judged ? judged : has_judge(ctx, *plan.entry) ? asked : no_judge;
    list += (list.empty() ? "" : ", ") + plan.entry->number;
  }
  std::vector<std::string> parts;
  if (!judged.empty())
    parts.push_back("judged (the learner's code in a subject process, the verdict from the "
                    "instructor's spec, which holds no learner code): " +
                    judged);
  auto in_process = " (the learner's file linked into the spec: code written to attack the grader "
                    "can forge a pass, see grade/README.md): ";
  if (!asked.empty())
    parts.push_back(std::string{"in process by --in-process"} + in_process + asked);
  if (!no_judge.empty())
    parts.push_back(std::string{"in process, no judge yet"} + in_process + no_judge);
  std::string line = "evidence:";
  for (std::size_t i = 0; i < parts.size(); ++i)
    line += (i == 0 ? " " : "; ") + parts[i];
  return line;
}

void announce(const grade_words& w, const sandbox& box) {
  std::cerr << "grading " << w.submissions.size() << " submission"
            << (w.submissions.size() == 1 ? "" : "s") << " with " << w.jobs << " job"
            << (w.jobs == 1 ? "" : "s") << ", " << w.opts.rounds << " seed"
            << (w.opts.rounds == 1 ? "" : "s") << " each; sandbox:\n";
  for (const auto& line : box.description())
    std::cerr << "  " << line << '\n';
}

} // namespace

int grade_command(const context& ctx, const std::vector<std::string>& args) {
  grade_words w;
  auto desc = grade_options(w);
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "submission", -1)) {
    std::cout << "Hygiene rules (comments on message-passing code):\n";
    for (const auto& r : hygiene_rules())
      std::cout << "  " << r << '\n';
    return exit_ok;
  }
  w.opts.time_limit_fixed = vm.count("time-limit") > 0;
  check_words(ctx, w);
  auto plans = plan_builds(ctx, w);
  auto scratch = make_scratch(ctx, w);
  sandbox box{w.jobs};
  grader g{ctx, box, w.opts, scratch};
  auto report = empty_report(w, box, scratch);
  std::unique_ptr<slot_services> services; // module B: the servers, a corner of them per slot
  if (std::any_of(w.chosen.begin(), w.chosen.end(),
                  [](const exercise_entry* e) { return e->needs == "services"; })) {
    bool replica = std::any_of(w.chosen.begin(), w.chosen.end(),
                               [](const exercise_entry* e) { return holds_the_replica(e->id); });
    services = std::make_unique<slot_services>(ctx, box, scratch, w.jobs, replica);
    g.use_services(services.get());
    report.sandbox.push_back(services->description());
  }
  auto isolation = report.sandbox.size(); // the lines after it say how this run grades
  report.sandbox.push_back(calibrate_compile_limit(ctx, box, plans, scratch, w.opts));
  for (auto& line : calibrate_run_limits(ctx, box, plans, scratch, services.get(), w.opts))
    report.sandbox.push_back(std::move(line));
  report.sandbox.push_back(evidence_line(ctx, plans));
  announce(w, box);
  for (auto i = isolation; i < report.sandbox.size(); ++i)
    std::cerr << "  " << report.sandbox[i] << '\n';
  grade_all(g, w, plans, report);
  flag_copies(ctx, box, plans, report);
  sanitize_report(report);
  write_reports(w, report);
  bool grader_failed = false;
  for (const auto& sg : report.submissions)
    for (const auto& eg : sg.exercises)
      grader_failed = grader_failed || eg.verdict == "error";
  if (grader_failed)
    std::cerr << "some runs failed in the grader itself (verdict 'error'): see the report\n";
  return grader_failed ? exit_failed : exit_ok;
}

} // namespace dca::cli
