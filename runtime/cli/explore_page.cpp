// `dca explore NN --html FILE`: the explorer's JSON report made into a schedule page, with the code
// of every step read at generation time (the page opens from disk and reads nothing).
#include "explore_page.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "context.hpp"
#include "dca/assert.hpp"
#include "process.hpp"
#include "program_report.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

namespace fs = std::filesystem;

/// Lines shown above and below the line a step ran.
constexpr int code_context_lines = 5;

/// The file a step's report names, found where the build compiled it: the report keeps the path as
/// the compiler was given it (relative to the build folder when ccache rewrote it). Nothing for a
/// system header: a lock taken through std::lock_guard reports a line of the standard library.
std::optional<fs::path> source_of(const explore_page_request& req, const std::string& path,
                                  const std::string& file) {
  if (file.empty() || path.rfind("/usr/", 0) == 0 || file.find('/') != std::string::npos ||
      file == "." || file == "..")
    return std::nullopt;
  fs::path given{path};
  std::vector<fs::path> candidates{req.exercise_dir / file};
  if (req.report_paths_trusted)
    candidates = {given.is_absolute() ? given : req.build_dir / given, req.exercise_dir / file,
                  req.learner_file};
  for (const auto& candidate : candidates)
    if (candidate.filename() == file && fs::is_regular_file(fs::symlink_status(candidate)))
      return candidate;
  return std::nullopt;
}

/// The code of one step, read once per (file, line, caption): steps of a loop share it.
class code_table {
public:
  /// The code around `line` of `file`, read once per file.
  int add_from_file(const fs::path& file, int line, const std::string& caption) {
    auto& lines = files_[file.string()];
    if (lines.empty())
      lines = lines_of(file);
    return add(file.filename().string(), lines, line, caption);
  }

  /// The code around `line` of `lines`, the text of the file called `name`.
  int add(const std::string& name, const std::vector<std::string>& lines, int line,
          const std::string& caption) {
    auto key = name + ':' + std::to_string(line) + ':' + caption;
    if (auto i = index_.find(key); i != index_.end())
      return i->second;
    if (line < 1 || line > static_cast<int>(lines.size()))
      return -1;
    page_code c;
    c.file = name;
    c.marked_line = line;
    c.caption = caption;
    c.first_line = std::max(1, line - code_context_lines);
    auto last = std::min(static_cast<int>(lines.size()), line + code_context_lines);
    c.lines.assign(lines.begin() + (c.first_line - 1), lines.begin() + last);
    codes_.push_back(std::move(c));
    return index_[key] = static_cast<int>(codes_.size()) - 1;
  }

  std::vector<page_code> take() { return std::move(codes_); }

private:
  std::map<std::string, std::vector<std::string>> files_;
  std::map<std::string, int> index_;
  std::vector<page_code> codes_;
};

/// The line of the learner's file that handles an actor's message. CAF does not say which handler
/// ran, so it is found by name: the first word of the message that the file takes as a handler's
/// atom (`[=](inc_atom`) or reads as a command (`caf::get<buy_item>`). 0 when none matches.
std::vector<std::string> lines_of_text(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::pair<int, std::string> handler_line(const std::vector<std::string>& file,
                                         const std::string& message) {
  static const std::regex word{"[a-z][a-z0-9_]*"};
  for (auto w = std::sregex_iterator(message.begin(), message.end(), word);
       w != std::sregex_iterator(); ++w) {
    const auto name = w->str();
    if (name == "reply" || name == "from" || name == "command")
      continue;
    for (std::size_t i = 0; i < file.size(); ++i)
      if (file[i].find("(" + name + "_atom") != std::string::npos ||
          file[i].find("<" + name + ">") != std::string::npos)
        return {static_cast<int>(i) + 1, name};
  }
  return {0, {}};
}

page_step step_of(const explore_page_request& req, const json_value& s, code_table& codes,
                  const std::vector<std::string>& learner_lines) {
  page_step out;
  out.actor = static_cast<int>(s.integer_at("actor"));
  out.text = s.string_at("text");
  auto file = s.string_at("file");
  auto line = static_cast<int>(s.integer_at("line"));
  if (auto source = source_of(req, s.string_at("path"), file); source && line > 0) {
    out.where = file + ':' + std::to_string(line);
    out.code = codes.add_from_file(*source, line, "the line that ran");
  } else if (s.string_at("operation") == "handle") {
    auto [at, name] = handler_line(learner_lines, s.string_at("object"));
    if (at > 0) {
      out.where = req.learner_file.filename().string() + ':' + std::to_string(at);
      out.code = codes.add(req.learner_file.filename().string(), learner_lines, at,
                           "the handler of '" + name + "' (found by name)");
    }
  }
  if (const auto* boxes = s.find("mailboxes"))
    for (const auto& box : boxes->items) {
      out.mailboxes.emplace_back();
      for (const auto& m : box.items)
        out.mailboxes.back().push_back(m.text);
    }
  return out;
}

/// "dca explore 01" from "dca %s 01".
std::string invoked_as(std::string pattern, const std::string& command) {
  if (auto at = pattern.find("%s"); at != std::string::npos)
    pattern.replace(at, 2, command);
  return pattern;
}

/// The report's "messages" (a run in which a link lost or repeated one), for the diagram.
std::vector<page_message> messages_of(const json_value* rows, std::size_t actors) {
  std::vector<page_message> out;
  if (rows == nullptr)
    return out;
  for (const auto& row : rows->items) {
    page_message m;
    m.from = static_cast<int>(row.integer_at("from", -1));
    m.to = static_cast<int>(row.integer_at("to", -1));
    if (m.from < 0 || m.to < 0 || static_cast<std::size_t>(std::max(m.from, m.to)) >= actors)
      continue; // names no actor of the run: nothing to draw it between
    m.message = row.string_at("message");
    m.sent_at = static_cast<std::size_t>(row.integer_at("sent_at"));
    if (const auto* at = row.find("handled_at"))
      for (const auto& step : at->items)
        m.handled_at.push_back(std::strtoull(step.text.c_str(), nullptr, 10));
    m.fate = row.string_at("fate");
    m.fault_at = static_cast<std::size_t>(row.integer_at("fault_at"));
    m.fault = row.string_at("fault");
    out.push_back(std::move(m));
  }
  return out;
}

} // namespace

steps_with_code steps_of(const explore_page_request& req, const json_value* steps) {
  steps_with_code out;
  code_table codes;
  auto learner_lines =
      req.learner_text.empty() ? lines_of(req.learner_file) : lines_of_text(req.learner_text);
  if (steps != nullptr)
    for (const auto& s : steps->items)
      out.steps.push_back(step_of(req, s, codes, learner_lines));
  out.codes = codes.take();
  return out;
}

schedule_page page_of_report(const explore_page_request& req, const json_value& report,
                             const json_value* example) {
  const auto& run = example != nullptr ? *example : report;
  const auto& variant = req.variant;
  schedule_page page;
  page.heading =
      req.entry->id + " (" + req.entry->pattern + ", " + variant + "): " + req.entry->title;
  page.invariant = req.entry->invariant;
  page.outcome = report.string_at("outcome");
  for (const auto* a = run.find("actors"); a != nullptr && page.actors.empty();)
    for (const auto& name : a->items)
      page.actors.push_back(name.text);
  auto steps = steps_of(req, run.find("trace"));
  page.steps = std::move(steps.steps);
  page.codes = std::move(steps.codes);
  page.messages = messages_of(run.find("messages"), page.actors.size());
  if (!page.clean()) {
    page.breaking_step = static_cast<std::size_t>(report.integer_at("breaking_step"));
    page.replay = invoked_as(req.invoked, "explore") + " --variant " + variant + " --replay " +
                  report.string_at("schedule");
  }
  return page;
}

std::optional<schedule_page> page_of_output(const explore_page_request& req,
                                            const std::string& output, const json_value* example) {
  auto report = last_json_object(output);
  auto words = read_explore_report(output);
  if (!report || !words)
    return std::nullopt;
  auto page = page_of_report(req, *report, example);
  page.verdict = words->what_broke();
  page.explored = words->explored_words();
  return page;
}

namespace {

/// A temporary file beside `file` (same folder, so a rename replaces `file` at once); -1 and errno
/// when the folder cannot take one. `name` gets its path.
int temporary_beside(const fs::path& file, std::string& name) {
  auto folder = file.parent_path().empty() ? fs::path{"."} : file.parent_path();
  name = (folder / ("." + file.filename().string() + ".XXXXXX")).string();
  return ::mkstemp(name.data());
}

std::string cannot_write(const fs::path& file, int error) {
  return "cannot write " + file.string() + ": " + std::strerror(error) +
         " (give --html a file in a folder you can write to)";
}

} // namespace

std::string write_whole(const fs::path& file, const std::string& text) {
  std::string name;
  int fd = temporary_beside(file, name);
  if (fd < 0)
    return cannot_write(file, errno);
  std::size_t written = 0;
  while (written < text.size()) {
    auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0)
      break;
    written += static_cast<std::size_t>(n);
  }
  bool ok = written == text.size() && ::fchmod(fd, 0644) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok && std::rename(name.c_str(), file.c_str()) == 0)
    return {};
  int error = errno;
  std::remove(name.c_str());
  return cannot_write(file, error);
}

std::string unwritable(const fs::path& file) {
  if (fs::is_directory(file))
    return "cannot write " + file.string() + ": it is a folder (give --html a file name)";
  std::string name;
  int fd = temporary_beside(file, name);
  if (fd < 0)
    return cannot_write(file, errno);
  ::close(fd);
  std::remove(name.c_str());
  return {};
}

namespace {

/// `PROGRAM explore OPTIONS EXTRA --format json`, as the learner's command (errors name it).
process_result explore_json(const explore_page_request& req, std::vector<std::string> extra) {
  std::vector<std::string> argv{req.program.string(), "explore"};
  argv.insert(argv.end(), req.options.begin(), req.options.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"--format", "json"});
  return run_captured(argv, time_limit_from_env(std::chrono::seconds(60)),
                      {{"DCA_INVOKED_AS", req.invoked}});
}

} // namespace

int write_explore_page(const explore_page_request& req) {
  if (auto why = unwritable(req.out); !why.empty()) {
    std::cerr << "dca: " << why << '\n';
    return exit_usage;
  }
  auto ran = explore_json(req, {});
  if (ran.exit_code == exit_usage) {
    std::cerr << last_output_line(ran.output) << '\n';
    return exit_usage;
  }
  auto words = read_explore_report(ran.output);
  if (!words) {
    std::cerr << "dca: " << invoked_as(req.invoked, "explore")
              << " reported nothing (timed out or crashed): run it "
              << "without --html to see why\n";
    return exit_failed;
  }
  std::optional<json_value> example;
  if (!words->failed()) {
    auto again = explore_json(req, {"--default-schedule"});
    example = last_json_object(again.output);
  }
  auto page = page_of_output(req, ran.output, example ? &*example : nullptr);
  DCA_ASSERT(page.has_value()); // read_explore_report found the report
  auto html = render_schedule_page(*page);
  if (auto why = write_whole(req.out, html); !why.empty()) {
    std::cerr << "dca: " << why << '\n';
    return exit_usage;
  }
  std::cout << "wrote " << req.out.string() << " (" << (html.size() + 1023) / 1024 << " KB, "
            << page->steps.size() << " steps): open it in a browser\n";
  return words->failed() ? 3 : exit_ok;
}

} // namespace dca::cli
