// Reading doctest's console output (the spec binaries run with --no-colors) and retelling it.
#include "spec_words.hpp"

#include <regex>
#include <sstream>

namespace dca::cli {

std::vector<spec_failure> spec_failures(const std::string& output) {
  std::istringstream in{output};
  std::string line, test_case;
  std::vector<spec_failure> out;
  bool in_logged = false;
  while (std::getline(in, line)) {
    if (line.rfind("TEST CASE:", 0) == 0) {
      auto first = line.find_first_not_of(' ', 10);
      test_case = first == std::string::npos ? "" : line.substr(first);
      in_logged = false;
    } else if (auto at = line.find("ERROR:"); at != std::string::npos) {
      out.push_back({test_case, line.substr(line.find_first_not_of(' ', at + 6))});
      in_logged = false;
    } else if (auto logged = line.find("logged:"); logged != std::string::npos && !out.empty()) {
      // The spec's own words beat the assertion: keep the first logged line.
      auto first = line.find_first_not_of(' ', logged + 7);
      if (!in_logged && first != std::string::npos)
        out.back().message = line.substr(first);
      in_logged = true;
    } else if (line.find("TEST CASE") == std::string::npos && !out.empty() &&
               line.find("FATAL ERROR") != std::string::npos) {
      out.back().message += " (" + line + ")";
    }
  }
  // A crash inside a test case: doctest prints the case but no ERROR line.
  if (out.empty() && !test_case.empty() && output.find("test cases:") == std::string::npos)
    out.push_back({test_case, "the spec stopped inside this check"});
  return out;
}

std::string in_words(const std::string& message, const std::string& number) {
  static const std::regex lost{R"(expected ([0-9,]+)[^:]*: ([0-9,]+) ([a-z ]*?) ?lost)"};
  std::smatch m;
  std::string out = message;
  if (std::regex_search(message, m, lost))
    out = "lost " + m[2].str() + " of " + m[1].str() + " " + m[3].str();
  bool corrupted = out.find("lost") != std::string::npos ||
                   out.find("corrupt") != std::string::npos ||
                   out.find("deadlock") != std::string::npos;
  if (corrupted && !number.empty())
    out += " — run `dca explore " + number + " --variant actors` to see how, step by step";
  return out;
}

std::string timed_out_words(std::chrono::seconds limit) {
  return "timed out after " + std::to_string(limit.count()) +
         " s (a handler that never returns? a worker that never quits? two actors waiting on "
         "each other?)";
}

std::string last_lines(const std::string& output, std::size_t lines) {
  std::vector<std::string> all;
  std::istringstream in{output};
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      all.push_back(line);
  std::string out;
  for (auto i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "    " + all[i] + "\n";
  return out;
}

} // namespace dca::cli
