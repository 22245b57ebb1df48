// The grade report's formats. The table is for a terminal (100 columns); JSON is the whole record;
// the CSV gradebook has one row per submission (GitHub Classroom's points_awarded /
// points_available columns); JUnit XML has a testsuite per submission and a testcase per exercise;
// Gradescope's results.json follows gradescope/autograder_samples' specs.md.
#include <iomanip>
#include <sstream>

#include "grade.hpp"

namespace dca::cli {

namespace {

/// `s` in a column of `width`: padded, or cut with "..." so that one space always follows.
std::string fit(std::string s, std::size_t width) {
  --width;
  // Count UTF-8 characters, not bytes, so "—" takes one column.
  std::size_t columns = 0, cut = s.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      continue;
    if (columns == width - 3 && cut == s.size())
      cut = i;
    ++columns;
  }
  if (columns > width)
    s = s.substr(0, cut) + "...";
  else
    s += std::string(width - columns, ' ');
  return s + ' ';
}

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
  if (s.find_first_of(",\"\n") == std::string::npos)
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
  return out;
}

void hygiene_json(std::ostream& out, const std::vector<hygiene_comment>& comments) {
  out << '[';
  for (std::size_t i = 0; i < comments.size(); ++i) {
    const auto& c = comments[i];
    out << (i ? "," : "") << "{\"rule\":\"" << c.rule << "\",\"type\":\"" << to_string(c.severity)
        << "\",\"line\":" << c.line << ",\"comment\":\"" << json_escape(c.message)
        << "\",\"excerpt\":\"" << json_escape(c.excerpt) << "\"}";
  }
  out << ']';
}

} // namespace

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out += buffer;
      } else {
        out += c;
      }
    }
  }
  return out;
}

void write_table(std::ostream& out, const grade_report& report) {
  // 14 + 20 + 15 + 8 + 43 = 100 columns.
  out << fit("SUBMISSION", 14) << fit("EXERCISE", 20) << fit("VERDICT", 15) << fit("POINTS", 8)
      << "WHAT HAPPENED\n";
  for (const auto& s : report.submissions) {
    bool first = true;
    for (const auto& e : s.exercises) {
      out << fit(first ? s.name : "", 14) << fit(e.id, 20) << fit(e.verdict, 15)
          << fit(number(e.points) + "/" + number(e.max_points), 8) << fit(e.message, 43) << '\n';
      first = false;
      for (const auto& c : e.hygiene)
        if (c.severity != severity::informative)
          out << std::string(18, ' ')
              << fit(std::string{to_string(c.severity)} + " " + c.rule + " line " +
                         std::to_string(c.line) + ": " + c.excerpt,
                     82)
              << '\n';
      for (const auto& f : e.ignored_files)
        out << std::string(18, ' ') << fit("ignored edit: " + f, 82) << '\n';
    }
    if (s.exercises.size() > 1)
      out << fit("", 34) << fit("total", 15)
          << fit(number(s.points) + "/" + number(s.max_points), 8) << '\n';
  }
  out << "\n"
      << report.submissions.size() << " submission" << (report.submissions.size() == 1 ? "" : "s")
      << ", " << report.rounds << " seed" << (report.rounds == 1 ? "" : "s") << " each from seed "
      << report.first_seed << ". `--format json` has every detail and the replay commands.\n"
      << "Failing builds are kept (to replay) under\n  " << report.scratch << '\n';
}

void write_json(std::ostream& out, const grade_report& report) {
  out << "{\n  \"version\": 1,\n  \"rounds\": " << report.rounds
      << ",\n  \"first_seed\": " << report.first_seed << ",\n  \"scratch\": \""
      << json_escape(report.scratch) << "\",\n  \"sandbox\": [";
  for (std::size_t i = 0; i < report.sandbox.size(); ++i)
    out << (i ? ", " : "") << '"' << json_escape(report.sandbox[i]) << '"';
  out << "],\n  \"submissions\": [";
  for (std::size_t i = 0; i < report.submissions.size(); ++i) {
    const auto& s = report.submissions[i];
    out << (i ? "," : "") << "\n    {\"submission\": \"" << json_escape(s.name)
        << "\", \"path\": \"" << json_escape(s.path.string())
        << "\", \"score\": " << number(s.points) << ", \"max_score\": " << number(s.max_points)
        << ", \"elapsed_s\": " << seconds(s.elapsed) << ", \"exercises\": [";
    for (std::size_t j = 0; j < s.exercises.size(); ++j) {
      const auto& e = s.exercises[j];
      out << (j ? "," : "") << "\n      {\"id\": \"" << e.id << "\", \"verdict\": \"" << e.verdict
          << "\", \"points\": " << number(e.points) << ", \"max_points\": " << number(e.max_points)
          << ", \"message\": \"" << json_escape(e.message) << "\", \"details\": \""
          << json_escape(e.details) << "\", \"rounds\": " << e.rounds
          << ", \"rounds_run\": " << e.rounds_run
          << ", \"failing_seed\": " << (e.failing_seed ? std::to_string(*e.failing_seed) : "null")
          << ", \"failing_schedule\": "
          << (e.failing_schedule.empty() ? "null" : '"' + json_escape(e.failing_schedule) + '"')
          << ", \"replay\": " << (e.replay.empty() ? "null" : '"' + json_escape(e.replay) + '"')
          << ", \"elapsed_s\": " << seconds(e.elapsed)
          << ", \"build_s\": " << seconds(e.build_elapsed) << ", \"ignored_files\": [";
      for (std::size_t k = 0; k < e.ignored_files.size(); ++k)
        out << (k ? ", " : "") << '"' << json_escape(e.ignored_files[k]) << '"';
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
      out << ',' << number(e.points) << ',' << e.verdict;
    out << ',' << number(s.points) << ',' << number(s.max_points) << '\n';
  }
}

void write_junit(std::ostream& out, const grade_report& report) {
  std::size_t tests = 0, failures = 0, errors = 0;
  for (const auto& s : report.submissions)
    for (const auto& e : s.exercises) {
      ++tests;
      bool passed = e.verdict == "pass" || (e.verdict == "flagged" && e.points >= e.max_points);
      bool is_error =
          e.verdict == "error" || e.verdict == "compile_error" || e.verdict == "missing";
      failures += !passed && !is_error ? 1 : 0;
      errors += is_error ? 1 : 0;
    }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dca grade\" tests=\""
      << tests << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n";
  for (const auto& s : report.submissions) {
    std::size_t f = 0, err = 0;
    for (const auto& e : s.exercises) {
      bool passed = e.verdict == "pass" || (e.verdict == "flagged" && e.points >= e.max_points);
      bool is_error =
          e.verdict == "error" || e.verdict == "compile_error" || e.verdict == "missing";
      f += !passed && !is_error ? 1 : 0;
      err += is_error ? 1 : 0;
    }
    out << "  <testsuite name=\"" << xml_escape(s.name) << "\" tests=\"" << s.exercises.size()
        << "\" failures=\"" << f << "\" errors=\"" << err << "\" time=\"" << seconds(s.elapsed)
        << "\">\n";
    out << "    <properties><property name=\"score\" value=\"" << number(s.points)
        << "\"/><property name=\"max_score\" value=\"" << number(s.max_points)
        << "\"/></properties>\n";
    for (const auto& e : s.exercises) {
      out << "    <testcase classname=\"" << xml_escape(s.name) << "\" name=\"" << e.id
          << "\" time=\"" << seconds(e.elapsed) << "\">\n";
      bool passed = e.verdict == "pass" || (e.verdict == "flagged" && e.points >= e.max_points);
      bool is_error =
          e.verdict == "error" || e.verdict == "compile_error" || e.verdict == "missing";
      if (is_error)
        out << "      <error type=\"" << e.verdict << "\" message=\"" << xml_escape(e.message)
            << "\">" << xml_escape(narrative(e)) << "</error>\n";
      else if (!passed)
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

void write_gradescope(std::ostream& out, const grade_report& report, const submission_grade& s) {
  std::chrono::milliseconds total{0};
  for (const auto& e : s.exercises)
    total += e.elapsed;
  std::string summary = "Graded by dca under " + std::to_string(report.rounds) + " seed" +
                        (report.rounds == 1 ? "" : "s") + " from seed " +
                        std::to_string(report.first_seed) + ".\n";
  out << "{\n  \"score\": " << number(s.points)
      << ",\n  \"execution_time\": " << (total.count() + 999) / 1000 << ",\n  \"output\": \""
      << json_escape(summary)
      << "\",\n  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"hidden\",\n"
      << "  \"extra_data\": {\"submission\": \"" << json_escape(s.name) << "\"},\n"
      << "  \"tests\": [";
  for (std::size_t i = 0; i < s.exercises.size(); ++i) {
    const auto& e = s.exercises[i];
    bool passed = e.verdict == "pass" || (e.verdict == "flagged" && e.points >= e.max_points);
    out << (i ? "," : "") << "\n    {\"score\": " << number(e.points)
        << ", \"max_score\": " << number(e.max_points) << ", \"name\": \"" << e.id << ": "
        << json_escape(e.title) << "\", \"number\": \"" << e.number << "\", \"status\": \""
        << (passed ? "passed" : "failed") << "\", \"output\": \"" << json_escape(narrative(e))
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
