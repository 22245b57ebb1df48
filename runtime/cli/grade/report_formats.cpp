// The grade report's formats. The table is for a terminal (100 columns); JSON is the whole record;
// the CSV gradebook has one row per submission (GitHub Classroom's points_awarded /
// points_available columns); JUnit XML has a testsuite per submission and a testcase per exercise;
// Gradescope's results.json follows gradescope/autograder_samples' specs.md.
#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <sstream>

#include "dca/json.hpp"
#include "grade/grade_report.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

std::string number(double v) {
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t')
        out += c;
    }
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string{"\"\""} : std::string(1, c);
  return out + "\"";
}

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << static_cast<double>(ms.count()) / 1000.0;
  return s.str();
}

/// Whether an exercise counts as passed in a test report: flagged code passes at full points.
bool passed(const exercise_grade& e) {
  return e.verdict == "pass" || (e.verdict == "flagged" && e.points >= e.points_max);
}

/// Whether it failed for a reason other than its checks: it never ran, or the grader failed.
bool is_error(const exercise_grade& e) {
  return e.verdict == "error" || e.verdict == "compile_error" || e.verdict == "missing" ||
         e.verdict == "no_exercises";
}

/// Everything a person needs about one exercise's result, as plain text.
std::string narrative(const exercise_grade& e) {
  std::string out = e.verdict + ": " + e.message + "\n";
  if (!e.details.empty())
    out += e.details + (e.details.back() == '\n' ? "" : "\n");
  if (!e.replay.empty())
    out += "replay: " + e.replay + "\n";
  for (const auto& c : e.hygiene)
    out += std::string{to_string(c.severity)} + " (" + c.rule + ", line " + std::to_string(c.line) +
           "): " + c.message + "\n";
  for (const auto& f : e.ignored_files)
    out += "ignored: " + f + " differs from the instructor's copy; the instructor's was used\n";
  for (const auto& c : e.copies)
    out += "copy: " + c + "\n";
  return out;
}

void hygiene_json(std::ostream& out, const std::vector<hygiene_comment>& comments) {
  out << '[';
  for (std::size_t i = 0; i < comments.size(); ++i) {
    const auto& c = comments[i];
    out << (i ? "," : "") << "{\"rule\":\"" << c.rule << "\",\"type\":\"" << to_string(c.severity)
        << "\",\"line\":" << c.line << ",\"comment\":\"" << json_escaped(c.message)
        << "\",\"excerpt\":\"" << json_escaped(c.excerpt) << "\"}";
  }
  out << ']';
}

} // namespace

namespace {

/// The length of the valid UTF-8 sequence at s[i] and its code point, or 0.
std::size_t utf8_at(const std::string& s, std::size_t i, std::uint32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto c = b(i);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  cp = n == 1 ? c : c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

/// The length of the terminal escape sequence at s[i] (s[i] is ESC): CSI, OSC or two bytes.
std::size_t escape_at(const std::string& s, std::size_t i) {
  std::size_t k = i + 1;
  if (k < s.size() && s[k] == '[') {
    for (++k; k < s.size() && !(s[k] >= 0x40 && s[k] <= 0x7e); ++k) {
    }
    return std::min(k + 1, s.size()) - i;
  }
  if (k < s.size() && s[k] == ']') {
    for (++k; k < s.size() && s[k] != '\a' && !(s[k] == '\x1b' && k + 1 < s.size()); ++k) {
    }
    return std::min(k + (k < s.size() && s[k] == '\a' ? 1 : 2), s.size()) - i;
  }
  return std::min<std::size_t>(2, s.size() - i);
}

void clean(std::string& s) {
  s = clean_text(s);
}

} // namespace

std::string clean_text(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\x1b') {
      i += escape_at(text, i);
      continue;
    }
    std::uint32_t cp = 0;
    auto n = utf8_at(text, i, cp);
    if (n == 0) {
      out += "\xef\xbf\xbd"; // U+FFFD
      ++i;
      continue;
    }
    bool control = (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
                   cp == 0xfffe || cp == 0xffff;
    if (!control)
      out.append(text, i, n);
    i += n;
  }
  return out;
}

void sanitize_report(grade_report& report) {
  for (auto& s : report.submissions) {
    clean(s.name);
    s.path = clean_text(s.path.string());
    for (auto& e : s.exercises) {
      for (auto* t : {&e.message, &e.details, &e.replay, &e.failing_schedule, &e.title})
        clean(*t);
      for (auto& c : e.hygiene) {
        clean(c.excerpt);
        clean(c.message);
      }
      for (auto& f : e.ignored_files)
        clean(f);
      for (auto& c : e.copies)
        clean(c);
    }
  }
  clean(report.scratch);
}

std::string penalty_words(const grade_report& report) {
  auto p = report.hygiene_penalty_percent;
  return "hygiene penalty: " + number(p) + "% of the points per kind of flagged shared state" +
         (p == 0 ? " (the default: none)" : "");
}

void write_table(std::ostream& out, const grade_report& report) {
  // 14 + 20 + 15 + 8 + 43 = 100 columns.
  out << penalty_words(report) << "\n\n";
  out << fit_columns("SUBMISSION", 14) << fit_columns("EXERCISE", 20) << fit_columns("VERDICT", 15)
      << fit_columns("POINTS", 8) << "WHAT HAPPENED\n";
  for (const auto& s : report.submissions) {
    bool first = true;
    for (const auto& e : s.exercises) {
      out << fit_columns(first ? s.name : "", 14) << fit_columns(e.id, 20)
          << fit_columns(e.verdict, 15)
          << fit_columns(number(e.points) + "/" + number(e.points_max), 8)
          << fit_columns(e.message, 43) << '\n';
      first = false;
      for (const auto& c : e.hygiene)
        if (c.severity != severity::informative)
          out << std::string(18, ' ')
              << fit_columns(std::string{to_string(c.severity)} + " " + c.rule + " line " +
                                 std::to_string(c.line) + ": " + c.excerpt,
                             82)
              << '\n';
      for (const auto& f : e.ignored_files)
        out << std::string(18, ' ') << fit_columns("ignored edit: " + f, 82) << '\n';
      for (const auto& c : e.copies)
        out << std::string(18, ' ') << fit_columns("copy? " + c, 82) << '\n';
    }
    if (s.exercises.size() > 1)
      out << fit_columns("", 34) << fit_columns("total", 15)
          << fit_columns(number(s.points) + "/" + number(s.points_max), 8) << '\n';
  }
  out << "\n"
      << report.submissions.size() << " submission" << (report.submissions.size() == 1 ? "" : "s")
      << ", " << report.rounds << " seed" << (report.rounds == 1 ? "" : "s") << " each from seed "
      << report.seed_first << ". `--format json` has every detail and the replay commands.\n"
      << "Failing builds are kept (to replay) under\n  " << report.scratch << '\n';
}

void write_json(std::ostream& out, const grade_report& report) {
  out << "{\n  \"version\": 1,\n  \"rounds\": " << report.rounds
      << ",\n  \"first_seed\": " << report.seed_first
      << ",\n  \"hygiene_penalty_percent\": " << number(report.hygiene_penalty_percent)
      << ",\n  \"hygiene_penalty\": " << json_quoted(penalty_words(report))
      << ",\n  \"scratch\": \"" << json_escaped(report.scratch) << "\",\n  \"sandbox\": [";
  for (std::size_t i = 0; i < report.sandbox.size(); ++i)
    out << (i ? ", " : "") << '"' << json_escaped(report.sandbox[i]) << '"';
  out << "],\n  \"submissions\": [";
  for (std::size_t i = 0; i < report.submissions.size(); ++i) {
    const auto& s = report.submissions[i];
    out << (i ? "," : "") << "\n    {\"submission\": \"" << json_escaped(s.name)
        << "\", \"path\": \"" << json_escaped(s.path.string())
        << "\", \"score\": " << number(s.points) << ", \"max_score\": " << number(s.points_max)
        << ", \"elapsed_s\": " << seconds(s.elapsed) << ", \"exercises\": [";
    for (std::size_t j = 0; j < s.exercises.size(); ++j) {
      const auto& e = s.exercises[j];
      out << (j ? "," : "") << "\n      {\"id\": \"" << e.id << "\", \"verdict\": \"" << e.verdict
          << "\", \"points\": " << number(e.points) << ", \"max_points\": " << number(e.points_max)
          << ", \"message\": \"" << json_escaped(e.message) << "\", \"details\": \""
          << json_escaped(e.details) << "\", \"rounds\": " << e.rounds
          << ", \"rounds_run\": " << e.rounds_run
          << ", \"failing_seed\": " << (e.failing_seed ? std::to_string(*e.failing_seed) : "null")
          << ", \"failing_schedule\": "
          << (e.failing_schedule.empty() ? "null" : json_quoted(e.failing_schedule))
          << ", \"replay\": " << (e.replay.empty() ? "null" : json_quoted(e.replay))
          << ", \"elapsed_s\": " << seconds(e.elapsed)
          << ", \"build_s\": " << seconds(e.build_elapsed) << ", \"ignored_files\": [";
      for (std::size_t k = 0; k < e.ignored_files.size(); ++k)
        out << (k ? ", " : "") << '"' << json_escaped(e.ignored_files[k]) << '"';
      out << "], \"copies\": [";
      for (std::size_t k = 0; k < e.copies.size(); ++k)
        out << (k ? ", " : "") << json_quoted(e.copies[k]);
      out << "], \"hygiene\": ";
      hygiene_json(out, e.hygiene);
      out << '}';
    }
    out << "]}";
  }
  out << "\n  ]\n}\n";
}

void write_csv(std::ostream& out, const grade_report& report) {
  out << "submission,path";
  std::vector<std::string> ids;
  if (!report.submissions.empty())
    for (const auto& e : report.submissions.front().exercises)
      ids.push_back(e.id);
  for (const auto& id : ids)
    out << ',' << id << "_points," << id << "_verdict";
  out << ",points_awarded,points_available\n";
  for (const auto& s : report.submissions) {
    out << csv_field(s.name) << ',' << csv_field(s.path.string());
    for (const auto& e : s.exercises)
      out << ',' << number(e.points) << ',' << csv_field(e.verdict);
    out << ',' << number(s.points) << ',' << number(s.points_max) << '\n';
  }
}

void write_junit(std::ostream& out, const grade_report& report) {
  std::size_t tests = 0, failures = 0, errors = 0;
  for (const auto& s : report.submissions)
    for (const auto& e : s.exercises) {
      ++tests;
      failures += !passed(e) && !is_error(e) ? 1 : 0;
      errors += is_error(e) ? 1 : 0;
    }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dca grade\" tests=\""
      << tests << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n"
      << "  <!-- " << penalty_words(report) << " -->\n";
  for (const auto& s : report.submissions) {
    std::size_t f = 0, err = 0;
    for (const auto& e : s.exercises) {
      f += !passed(e) && !is_error(e) ? 1 : 0;
      err += is_error(e) ? 1 : 0;
    }
    out << "  <testsuite name=\"" << xml_escape(s.name) << "\" tests=\"" << s.exercises.size()
        << "\" failures=\"" << f << "\" errors=\"" << err << "\" time=\"" << seconds(s.elapsed)
        << "\">\n";
    out << "    <properties><property name=\"score\" value=\"" << number(s.points)
        << "\"/><property name=\"max_score\" value=\"" << number(s.points_max)
        << "\"/></properties>\n";
    for (const auto& e : s.exercises) {
      out << "    <testcase classname=\"" << xml_escape(s.name) << "\" name=\"" << e.id
          << "\" time=\"" << seconds(e.elapsed) << "\">\n";
      if (is_error(e))
        out << "      <error type=\"" << e.verdict << "\" message=\"" << xml_escape(e.message)
            << "\">" << xml_escape(narrative(e)) << "</error>\n";
      else if (!passed(e))
        out << "      <failure type=\"" << e.verdict << "\" message=\"" << xml_escape(e.message)
            << "\">" << xml_escape(narrative(e)) << "</failure>\n";
      else
        out << "      <system-out>" << xml_escape(narrative(e)) << "</system-out>\n";
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

void write_report(std::ostream& out, const std::string& format, const grade_report& report) {
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
}

void write_gradescope(std::ostream& out, const grade_report& report, const submission_grade& s) {
  std::chrono::milliseconds total{0};
  for (const auto& e : s.exercises)
    total += e.elapsed;
  std::string summary = "Graded by dca under " + std::to_string(report.rounds) + " seed" +
                        (report.rounds == 1 ? "" : "s") + " from seed " +
                        std::to_string(report.seed_first) + ".\n" + penalty_words(report) + "\n";
  out << "{\n  \"score\": " << number(s.points)
      << ",\n  \"execution_time\": " << (total.count() + 999) / 1000 << ",\n  \"output\": \""
      << json_escaped(summary)
      << "\",\n  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"hidden\",\n"
      << "  \"extra_data\": {\"submission\": \"" << json_escaped(s.name) << "\"},\n"
      << "  \"tests\": [";
  for (std::size_t i = 0; i < s.exercises.size(); ++i) {
    const auto& e = s.exercises[i];
    out << (i ? "," : "") << "\n    {\"score\": " << number(e.points)
        << ", \"max_score\": " << number(e.points_max) << ", \"name\": \"" << e.id << ": "
        << json_escaped(e.title) << "\", \"number\": \"" << e.number << "\", \"status\": \""
        << (passed(e) ? "passed" : "failed") << "\", \"output\": \"" << json_escaped(narrative(e))
        << "\", \"tags\": [\"" << e.verdict << "\"], \"visibility\": \"visible\""
        << ", \"extra_data\": {\"verdict\": \"" << e.verdict
        << "\", \"failing_seed\": " << (e.failing_seed ? std::to_string(*e.failing_seed) : "null")
        << ", \"hygiene\": ";
    hygiene_json(out, e.hygiene);
    out << "}}";
  }
  out << "\n  ]\n}\n";
}

} // namespace dca::cli
