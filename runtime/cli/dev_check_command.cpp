// `dca dev check`: the exercise author's self-check (rustlings' `dev check`, stricter). First the
// layout: the manifest, the CMake configuration and the folders agree (every folder listed, every
// listed exercise has all its files, no stray files). Then, for every exercise: its README has the
// shared headings, its skeleton has TODOs, compiles and fails its spec, its solution passes, and
// skeleton and solution differ only where the TODOs are. CI runs it, so a broken exercise never
// reaches a learner. `--layout` stops after the layout (no build).
#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "command.hpp"
#include "file_build.hpp"
#include "pristine.hpp"
#include "spec_words.hpp"
#include "text.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

/// Every exercise README has these headings, in this order (house style: one shape for all).
const std::vector<std::string> readme_headings{
    "## Goal", "## What goes wrong", "## Your task", "## Run it", "## Hints", "## Further reading"};

/// The files of one exercise, and nothing else may sit beside them.
const std::set<std::string> exercise_files{"README.md", "scenario.hpp", "scenario.cpp",
                                           "shared_state.cpp", "message_passing.cpp"};
const std::set<std::string> solution_files{"message_passing.cpp", "NOTES.md"};
/// What may sit beside the exercise folders.
const std::set<std::string> exercises_top{"CMakeLists.txt", "manifest.ini", "README.md"};
const std::set<std::string> solutions_top{"CMakeLists.txt", "README.md"};
const std::set<std::string> specs_top{"CMakeLists.txt"};

constexpr auto spec_limit = std::chrono::seconds(180);

std::vector<std::string> lines_in(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

bool is_comment(const std::string& line) {
  auto first = line.find_first_not_of(" \t");
  return first == std::string::npos || line.compare(first, 2, "//") == 0;
}

bool is_blank_or_include(const std::string& line) {
  return line.rfind("#include", 0) == 0 || line.find_first_not_of(" \t") == std::string::npos;
}

bool looks_like_exercise(const std::string& n) {
  return n.size() > 3 && std::isdigit(static_cast<unsigned char>(n[0])) &&
         std::isdigit(static_cast<unsigned char>(n[1])) && n[2] == '_';
}

/// Lines of `a` and `b` that are not in their longest common subsequence, grouped into hunks:
/// (first line in a, last line in a, first line in b, last line in b), 0-based, end exclusive.
struct hunk {
  std::size_t a_begin, a_end, b_begin, b_end;
};

std::vector<hunk> diff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1,
                                              std::vector<std::uint32_t>(b.size() + 1));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<hunk> out;
  std::size_t i = 0, j = 0;
  auto same = [&] { return i < a.size() && j < b.size() && a[i] == b[j]; };
  while (i < a.size() || j < b.size()) {
    if (same()) {
      ++i;
      ++j;
      continue;
    }
    hunk h{i, i, j, j};
    while ((i < a.size() || j < b.size()) && !same()) {
      if (j >= b.size() || (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1]))
        ++i;
      else
        ++j;
    }
    h.a_end = i;
    h.b_end = j;
    out.push_back(h);
  }
  return out;
}

/// The skeleton lines where it differs from the solution away from any TODO (1-based, joined).
std::string stray_changes(const std::vector<std::string>& skeleton,
                          const std::vector<std::string>& solution) {
  std::size_t header = 0; // the opening comment may say "exercise" vs "reference solution"
  while (header < skeleton.size() && is_comment(skeleton[header]) && !skeleton[header].empty())
    ++header;
  std::string stray;
  for (const auto& h : diff(skeleton, solution)) {
    // A solution may include a header its skeleton does not need (<numeric> for an accumulate):
    // the learner may choose another way, so that is not a hidden change.
    bool only_includes =
        std::all_of(skeleton.begin() + static_cast<std::ptrdiff_t>(h.a_begin),
                    skeleton.begin() + static_cast<std::ptrdiff_t>(h.a_end), is_blank_or_include) &&
        std::all_of(solution.begin() + static_cast<std::ptrdiff_t>(h.b_begin),
                    solution.begin() + static_cast<std::ptrdiff_t>(h.b_end), is_blank_or_include);
    bool has_todo = std::any_of(skeleton.begin() + static_cast<std::ptrdiff_t>(h.a_begin),
                                skeleton.begin() + static_cast<std::ptrdiff_t>(h.a_end),
                                [](const std::string& l) { return l.find("TODO") != l.npos; });
    if (!only_includes && h.a_end > header && !has_todo)
      stray += (stray.empty() ? "" : ", ") + std::to_string(h.a_begin + 1);
  }
  return stray;
}

/// The README headings missing or out of order, joined; empty when all are there.
std::string missing_headings(const std::vector<std::string>& readme) {
  std::string missing;
  std::size_t at = 0;
  for (const auto& heading : readme_headings) {
    auto found = std::find_if(readme.begin() + static_cast<std::ptrdiff_t>(at), readme.end(),
                              [&](const std::string& l) { return l.rfind(heading, 0) == 0; });
    if (found == readme.end())
      missing += (missing.empty() ? "" : ", ") + heading;
    else
      at = static_cast<std::size_t>(found - readme.begin());
  }
  return missing;
}

/// Names in `dir` that are neither in `allowed` nor accepted by `also`, joined; empty when none.
template <class Accept>
std::string strays_in(const fs::path& dir, const std::set<std::string>& allowed, Accept also) {
  std::set<std::string> strays;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (!allowed.count(name) && !also(entry))
      strays.insert(name);
  }
  std::string out;
  for (const auto& s : strays)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

struct checker {
  const context& ctx;
  int failures = 0;

  void report(bool ok, const std::string& what, const std::string& why = {}) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << what << (ok || why.empty() ? "" : ": " + why)
              << '\n';
    failures += ok ? 0 : 1;
  }

  fs::path source(const std::string& rel) const { return ctx.source_dir / rel; }

  void layout(const std::vector<std::string>& folders) {
    std::cout << "layout\n";
    const auto& listed = ctx.curriculum.exercises();
    std::string unlisted, missing;
    for (const auto& f : folders)
      if (!ctx.curriculum.find(f))
        unlisted += (unlisted.empty() ? "" : ", ") + f;
    for (const auto& e : listed)
      if (!fs::is_directory(source("exercises/" + e.id)))
        missing += (missing.empty() ? "" : ", ") + e.id;
    report(unlisted.empty(), "every exercise folder is listed in exercises/manifest.ini",
           "not listed: " + unlisted + " (add a [NN_name] block)");
    report(missing.empty(), "every exercise in the manifest has a folder under exercises/",
           "no folder for " + missing);
    registered_by_cmake();
    no_strays();
  }

  void registered_by_cmake() {
    auto registered = lines_of(ctx.build_dir / "exercises" / "registered.txt");
    registered.erase(std::remove(registered.begin(), registered.end(), ""), registered.end());
    std::vector<std::string> listed;
    for (const auto& e : ctx.curriculum.exercises())
      if (ctx.builds(e))
        listed.push_back(e.id);
    std::string got;
    for (const auto& r : registered)
      got += (got.empty() ? "" : " ") + r;
    report(registered == listed, "CMake registers the manifest's exercises, in its order",
           registered.empty() ? "no " + (ctx.build_dir / "exercises/registered.txt").string() +
                                    " (configure the build again)"
                              : "the build has: " + got + " (configure the build again)");
  }

  void no_strays() {
    auto is_listed_dir = [&](const fs::directory_entry& d) {
      return d.is_directory() && ctx.curriculum.find(d.path().filename().string()) != nullptr;
    };
    auto is_exercise_dir = [&](const fs::directory_entry& d) {
      return d.is_directory() && looks_like_exercise(d.path().filename().string());
    };
    auto is_spec = [&](const fs::directory_entry& d) {
      auto name = d.path().filename().string();
      auto at = name.rfind("_spec.cpp");
      return at != std::string::npos && at + 9 == name.size() &&
             ctx.curriculum.find(name.substr(0, at)) != nullptr;
    };
    stray_report("exercises", exercises_top, is_exercise_dir);
    stray_report("solutions", solutions_top, is_listed_dir);
    stray_report("tests/exercises", specs_top, is_spec);
    for (const auto& e : ctx.curriculum.exercises()) {
      auto none = [](const fs::directory_entry&) { return false; };
      // The harness's own files beside the five: the manifest lists them (harness_files).
      auto in_harness = [&e](const fs::directory_entry& f) {
        std::istringstream listed{e.harness_files};
        std::string name;
        while (listed >> name)
          if (name == f.path().filename().string())
            return true;
        return false;
      };
      stray_report("exercises/" + e.id, exercise_files, in_harness);
      stray_report("solutions/" + e.id, solution_files, none);
    }
  }

  template <class Accept>
  void stray_report(const std::string& rel, const std::set<std::string>& allowed, Accept also) {
    auto strays = strays_in(source(rel), allowed, also);
    report(strays.empty(), "no stray files in " + rel + "/",
           "stray: " + strays +
               " (not part of an exercise: remove it, or list it in the manifest)");
  }

  void files(const exercise_entry& e) {
    for (const auto& f : exercise_files)
      report(fs::is_regular_file(source("exercises/" + e.id + "/" + f)),
             "exercises/" + e.id + "/" + f + " exists");
    for (const auto& f : solution_files)
      report(fs::is_regular_file(source("solutions/" + e.id + "/" + f)),
             "solutions/" + e.id + "/" + f + " exists");
    report(fs::is_regular_file(source("tests/exercises/" + e.id + "_spec.cpp")),
           "tests/exercises/" + e.id + "_spec.cpp exists");
    report(!e.hints.empty() && !e.title.empty() && !e.pattern.empty() && !e.cpp_namespace.empty() &&
               !e.skeleton_fails_with.empty(),
           "the manifest gives it a pattern, a title, a namespace, the skeleton's failure and "
           "hints");
    // The schedule page (`dca explore NN --html`, the grader's failing-run page) shows it.
    report(!e.invariant.empty(), "the manifest states its invariant",
           "no `invariant =` line in its [" + e.id + "] block");
  }

  void documents(const exercise_entry& e) {
    auto readme = lines_of(source("exercises/" + e.id + "/README.md"));
    auto missing = missing_headings(readme);
    report(!readme.empty() && missing.empty(), "README.md has the required headings in order",
           readme.empty() ? "no exercises/" + e.id + "/README.md"
                          : "missing or out of order: " + missing);
    auto skeleton = lines_in(reference_skeleton(e).text);
    auto solution = lines_of(source("solutions/" + e.id + "/message_passing.cpp"));
    bool todo = std::any_of(skeleton.begin(), skeleton.end(),
                            [](const std::string& l) { return l.find("TODO") != l.npos; });
    report(todo, "the skeleton marks the lines to change with TODO",
           "no TODO in exercises/" + e.id + "/message_passing.cpp");
    if (skeleton.empty() || solution.empty())
      return;
    auto stray = stray_changes(skeleton, solution);
    report(stray.empty(), "skeleton and solution differ only where the TODOs are",
           "the skeleton differs from the solution away from any TODO at line(s) " + stray);
  }

  /// The skeleton as the kit has it. A learner's edits (the file differs from the committed one,
  /// as `dca reset` finds it) are not the exercise: check the committed skeleton instead.
  struct skeleton_text {
    std::string text;
    std::string edited_from; // the commit, when the working file is an edit of it
  };
  skeleton_text reference_skeleton(const exercise_entry& e) const {
    auto rel = "exercises/" + e.id + "/message_passing.cpp";
    auto working = read_text(source(rel));
    std::string ref;
    auto committed = pristine_text(ctx, rel, ref);
    if (!committed || *committed == working)
      return {working, {}};
    return {*committed, ref};
  }

  /// Runs the skeleton's spec: the build tree's, or one built from the committed skeleton when the
  /// working file has been edited (by a learner working the exercise).
  std::optional<process_result> run_reference_spec(const exercise_entry& e) {
    auto skeleton = reference_skeleton(e);
    if (skeleton.edited_from.empty())
      return run_spec("ex" + e.number + "_spec", "the skeleton");
    std::cout << "  note  exercises/" << e.id << "/message_passing.cpp is edited: checking the "
              << "skeleton as committed at " << skeleton.edited_from << '\n';
    auto dir = ctx.build_dir / "dev-check" / e.id;
    fs::create_directories(dir);
    auto file = dir / "message_passing.cpp";
    std::ofstream{file, std::ios::binary | std::ios::trunc} << skeleton.text;
    auto built = build_from_file(ctx, e, file, dir);
    report(built.ok(), "the skeleton compiles", built.error);
    if (!built.ok())
      return std::nullopt;
    return run_captured({built.spec.string(), "--no-colors"}, spec_limit);
  }

  /// Builds spec `target` and runs it; nothing (and a failure reported) when it does not build.
  std::optional<process_result> run_spec(const std::string& target, const std::string& who) {
    auto built = ctx.build({target});
    report(built.ok(), who + " compiles", built.ok() ? "" : compiler_errors(built.output, 5));
    if (!built.ok())
      return std::nullopt;
    return run_captured({ctx.program(target).string(), "--no-colors"}, spec_limit);
  }

  void skeleton_fails(const exercise_entry& e) {
    auto ran = run_reference_spec(e);
    if (!ran)
      return;
    auto failed = spec_failures(ran->output);
    bool fails_cleanly = !ran->ok() && !ran->timed_out && ran->signal == 0 && !failed.empty();
    report(fails_cleanly,
           "the skeleton fails its spec" +
               (fails_cleanly ? " (" + failed.front().message + ")" : ""),
           ran->ok()        ? "it passes: the spec has no teeth"
           : ran->timed_out ? "it hangs instead (over " + std::to_string(spec_limit.count()) + " s)"
           : ran->signal != 0 ? "it crashes instead (signal " + std::to_string(ran->signal) + ")"
                              : "it fails without a failing check");
  }

  void solution_passes(const exercise_entry& e) {
    auto ran = run_spec("sol" + e.number + "_spec", "the solution");
    if (!ran)
      return;
    auto failed = spec_failures(ran->output);
    auto why = ran->timed_out   ? "it hangs"
               : ran->signal    ? "it crashes (signal " + std::to_string(ran->signal) + ")"
               : failed.empty() ? "exit " + std::to_string(ran->exit_code)
                                : failed.front().test_case + ": " + failed.front().message;
    report(ran->ok(), "the solution passes its spec", ran->ok() ? "" : why);
  }

  void exercise(const exercise_entry& e, bool build) {
    std::cout << e.id << '\n';
    files(e);
    documents(e);
    if (!build)
      return;
    skeleton_fails(e);
    solution_passes(e);
  }
};

std::vector<std::string> exercise_folders(const context& ctx) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.source_dir / "exercises", ec))
    if (entry.is_directory() && looks_like_exercise(entry.path().filename().string()))
      out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

int dev_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca dev check [--layout] [NN...]\nFor exercise authors: checks that the manifest, "
      "the build and the folders agree, and that every exercise (or the ones named) is "
      "documented, fails as a skeleton, passes as a solution, and that the two differ only at "
      "the TODOs"};
  std::vector<std::string> words;
  bool layout_only = false;
  desc.add_options()("help,h", "show this help")("layout", po::bool_switch(&layout_only),
                                                 "check the layout and files only (no build)")(
      "words", po::value(&words), "check [NN...]");
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "words", -1))
    return exit_ok;
  if (words.empty() || words[0] != "check")
    throw usage_error("the only dev command is `dca dev check [--layout] [NN...]`");
  std::vector<const exercise_entry*> chosen;
  for (auto w = words.begin() + 1; w != words.end(); ++w)
    chosen.push_back(&ctx.exercise(*w));
  if (chosen.empty())
    for (const auto& e : ctx.curriculum.exercises())
      if (ctx.builds(e)) // the others are checked by a build with DCA_WITH_SERVICES=ON
        chosen.push_back(&e);
  checker c{ctx};
  c.layout(exercise_folders(ctx));
  for (const auto* e : chosen)
    if (fs::is_directory(ctx.source_dir / "exercises" / e->id))
      c.exercise(*e, !layout_only);
  auto count = std::to_string(chosen.size());
  std::cout << '\n'
            << (c.failures == 0
                    ? "dev check: every exercise is in shape (" + count + " checked)\n"
                    : "dev check: " + std::to_string(c.failures) + " problem" +
                          (c.failures == 1 ? "" : "s") + " in " + count + " exercises\n");
  return c.failures == 0 ? exit_ok : exit_failed;
}

} // namespace dca::cli
