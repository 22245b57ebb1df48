// `dca dev check`: the exercise author's self-check (rustlings' `dev check`, stricter). For every
// exercise: the manifest lists it, its README has the shared headings, its skeleton has TODOs,
// compiles and fails its spec, its solution passes, and skeleton and solution differ only where
// the TODOs are. CI runs it, so a broken exercise never reaches a learner.
#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "context.hpp"
#include "spec_words.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

/// Every exercise README has these headings, in this order (house style: one shape for all).
const std::vector<std::string> readme_headings{
    "## Goal", "## What goes wrong", "## Your task", "## Run it", "## Hints", "## Further reading"};

constexpr auto spec_limit = std::chrono::seconds(180);

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in{file};
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

bool is_comment(const std::string& line) {
  auto first = line.find_first_not_of(" \t");
  return first == std::string::npos || line.compare(first, 2, "//") == 0;
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
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++i;
      ++j;
      continue;
    }
    hunk h{i, i, j, j};
    while ((i < a.size() || j < b.size()) && !(i < a.size() && j < b.size() && a[i] == b[j])) {
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

struct checker {
  const context& ctx;
  int failures = 0;

  void report(bool ok, const std::string& what, const std::string& why = {}) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << what << (ok || why.empty() ? "" : ": " + why)
              << '\n';
    failures += ok ? 0 : 1;
  }

  void check(const std::string& id) {
    std::cout << id << '\n';
    const auto* e = ctx.curriculum.find(id);
    report(e != nullptr, "listed in exercises/manifest.ini",
           e ? "" : "add a [" + id + "] block with pattern, title and hints");
    auto dir = ctx.source_dir / "exercises" / id;
    auto solution_dir = ctx.source_dir / "solutions" / id;
    if (e)
      report(!e->hints.empty() && !e->title.empty() && !e->pattern.empty(),
             "the manifest gives it a pattern, a title and hints");
    // README
    auto readme = lines_of(dir / "README.md");
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
    report(!readme.empty() && missing.empty(), "README.md has the required headings in order",
           readme.empty() ? "no exercises/" + id + "/README.md"
                          : "missing or out of order: " + missing);
    for (const char* file : {"scenario.hpp", "scenario.cpp", "shared_state.cpp"})
      if (!fs::exists(dir / file))
        report(false, std::string{"exercises/"} + id + "/" + file + " exists");
    report(fs::exists(solution_dir / "NOTES.md"), "solutions/" + id + "/NOTES.md exists");
    // TODOs and the skeleton/solution diff
    auto skeleton = lines_of(dir / "message_passing.cpp");
    auto solution = lines_of(solution_dir / "message_passing.cpp");
    std::size_t todos = std::count_if(skeleton.begin(), skeleton.end(), [](const std::string& l) {
      return l.find("TODO") != std::string::npos;
    });
    report(todos > 0, "the skeleton marks the lines to change with TODO",
           "no TODO in exercises/" + id + "/message_passing.cpp");
    report(!solution.empty(), "solutions/" + id + "/message_passing.cpp exists");
    if (!skeleton.empty() && !solution.empty()) {
      std::size_t header = 0; // the opening comment may say "exercise" vs "reference solution"
      while (header < skeleton.size() && is_comment(skeleton[header]) && !skeleton[header].empty())
        ++header;
      std::string stray;
      for (const auto& h : diff(skeleton, solution)) {
        bool in_header = h.a_end <= header;
        // A solution may include a header its skeleton does not need (<numeric> for an
        // accumulate): the learner may choose another way, so that is not a hidden change.
        bool only_includes = true;
        for (auto k = h.a_begin; k < h.a_end; ++k)
          only_includes =
              only_includes && (skeleton[k].rfind("#include", 0) == 0 ||
                                skeleton[k].find_first_not_of(" \t") == std::string::npos);
        for (auto k = h.b_begin; k < h.b_end; ++k)
          only_includes =
              only_includes && (solution[k].rfind("#include", 0) == 0 ||
                                solution[k].find_first_not_of(" \t") == std::string::npos);
        if (only_includes)
          continue;
        bool has_todo = false;
        for (auto k = h.a_begin; k < h.a_end; ++k)
          has_todo = has_todo || skeleton[k].find("TODO") != std::string::npos;
        if (!in_header && !has_todo)
          stray += (stray.empty() ? "" : ", ") + std::to_string(h.a_begin + 1);
      }
      report(stray.empty(), "skeleton and solution differ only where the TODOs are",
             "the skeleton differs from the solution away from any TODO at line(s) " + stray);
    }
    if (!e)
      return;
    // Builds and specs.
    auto ex_spec = "ex" + e->number + "_spec", sol_spec = "sol" + e->number + "_spec";
    auto built = ctx.build({ex_spec});
    report(built.ok(), "the skeleton compiles", built.ok() ? "" : compiler_errors(built.output, 5));
    if (built.ok()) {
      auto ran = run_captured({ctx.program(ex_spec).string(), "--no-colors"}, spec_limit);
      auto failures_found = spec_failures(ran.output);
      bool fails_cleanly =
          !ran.ok() && !ran.timed_out && ran.signal == 0 && !failures_found.empty();
      report(fails_cleanly,
             "the skeleton fails its spec" +
                 (fails_cleanly ? " (" + failures_found.front().message + ")" : ""),
             ran.ok() ? "it passes: the spec has no teeth"
             : ran.timed_out
                 ? "it hangs instead (over " + std::to_string(spec_limit.count()) + " s)"
             : ran.signal != 0 ? "it crashes instead (signal " + std::to_string(ran.signal) + ")"
                               : "it fails without a failing check");
    }
    auto sol_built = ctx.build({sol_spec});
    report(sol_built.ok(), "the solution compiles",
           sol_built.ok() ? "" : compiler_errors(sol_built.output, 5));
    if (sol_built.ok()) {
      auto ran = run_captured({ctx.program(sol_spec).string(), "--no-colors"}, spec_limit);
      auto why = ran.timed_out ? "it hangs"
                 : ran.signal  ? "it crashes (signal " + std::to_string(ran.signal) + ")"
                 : spec_failures(ran.output).empty()
                     ? "exit " + std::to_string(ran.exit_code)
                     : spec_failures(ran.output).front().test_case + ": " +
                           spec_failures(ran.output).front().message;
      report(ran.ok(), "the solution passes its spec", ran.ok() ? "" : why);
    }
  }
};

} // namespace

int dev_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca dev check [NN...]\nFor exercise authors: checks that every exercise (or the "
      "ones named) is listed, documented, fails as a skeleton, passes as a solution, and that "
      "the two differ only at the TODOs"};
  std::vector<std::string> words;
  desc.add_options()("help,h", "show this help")("words", po::value(&words), "check [NN...]");
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "words", -1))
    return exit_ok;
  if (words.empty() || words[0] != "check")
    throw usage_error("the only dev command is `dca dev check [NN...]`");
  std::vector<std::string> ids;
  if (words.size() > 1) {
    for (auto w = words.begin() + 1; w != words.end(); ++w)
      ids.push_back(ctx.exercise(*w).id);
  } else {
    // Every folder under exercises/ that looks like an exercise, and every manifest entry.
    std::set<std::string> found;
    for (const auto& entry : fs::directory_iterator(ctx.source_dir / "exercises")) {
      auto n = entry.path().filename().string();
      if (entry.is_directory() && n.size() > 3 && std::isdigit(static_cast<unsigned char>(n[0])) &&
          std::isdigit(static_cast<unsigned char>(n[1])) && n[2] == '_')
        found.insert(n);
    }
    for (const auto& e : ctx.curriculum.exercises())
      found.insert(e.id);
    ids.assign(found.begin(), found.end());
  }
  checker c{ctx};
  for (const auto& id : ids) {
    if (!fs::is_directory(ctx.source_dir / "exercises" / id)) {
      std::cout << id << "\n";
      c.report(false, "the manifest lists it, but there is no exercises/" + id + "/");
      continue;
    }
    c.check(id);
  }
  std::cout << '\n'
            << (c.failures == 0 ? "dev check: every exercise is in shape (" +
                                      std::to_string(ids.size()) + " checked)\n"
                                : "dev check: " + std::to_string(c.failures) + " problem" +
                                      (c.failures == 1 ? "" : "s") + " in " +
                                      std::to_string(ids.size()) + " exercises\n");
  return c.failures == 0 ? exit_ok : exit_failed;
}

} // namespace dca::cli
