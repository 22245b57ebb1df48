// Stack reports to source lines: one addr2line run over every reported frame.
#include "stack_words.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "process.hpp"

namespace dca::cli {

namespace {

/// One reported stack: why, and its frames' offsets into the executable.
struct reported_stack {
  std::string why;
  std::vector<std::string> offsets; // hex, already moved back into the call instruction
};

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

/// A return address points after its call: one byte back is inside the call's line. (The frame a
/// signal interrupted is exact, and one byte back is still on its line.)
std::string call_site(const std::string& hex) {
  auto value = std::stoull(hex, nullptr, 16);
  std::ostringstream out;
  out << "0x" << std::hex << (value == 0 ? 0 : value - 1);
  return out.str();
}

std::vector<reported_stack> stacks_in(const std::string& output) {
  std::vector<reported_stack> out;
  std::istringstream in{output};
  for (std::string line; std::getline(in, line);) {
    if (starts_with(line, "dca-stack ") && line != "dca-stack-end")
      out.push_back({line.substr(10), {}});
    else if (starts_with(line, "dca-frame 0x") && !out.empty())
      out.back().offsets.push_back(call_site(line.substr(10)));
  }
  return out;
}

/// addr2line's answer for one stack: with -a, each address line is followed by (function, place)
/// pairs, inner inlined functions first.
std::optional<learner_frame> first_in(const std::string& answer, const std::string& file_name) {
  std::istringstream in{answer};
  std::string function;
  for (std::string line; std::getline(in, line);) {
    if (starts_with(line, "0x"))
      continue;
    if (function.empty()) {
      function = line;
      continue;
    }
    auto colon = line.rfind(':');
    auto file = line.substr(0, colon);
    auto slash = file.rfind('/');
    auto base = slash == std::string::npos ? file : file.substr(slash + 1);
    if (colon != std::string::npos && base == file_name) {
      auto number = std::atoi(line.c_str() + colon + 1);
      if (number > 0)
        return learner_frame{{}, base, number, function_name(function)};
    }
    function.clear();
  }
  return std::nullopt;
}

} // namespace

std::string learner_frame::where() const {
  return file + ":" + std::to_string(line) + (function.empty() ? "" : " (in " + function + ")");
}

std::string function_name(const std::string& demangled) {
  auto end = demangled.find("::{lambda");
  auto named = demangled.substr(0, end);
  if (auto paren = named.find('('); paren != std::string::npos)
    named.erase(paren);
  if (auto colons = named.rfind("::"); colons != std::string::npos)
    named.erase(0, colons + 2);
  return named == "??" ? std::string{} : named;
}

std::optional<learner_frame> find_learner_frame(const std::string& output,
                                                const std::filesystem::path& program,
                                                const std::string& file_name) {
  auto stacks = stacks_in(output);
  // A crash's stack says where it crashed; stopped threads after it, in the order they answered.
  std::stable_partition(stacks.begin(), stacks.end(),
                        [](const reported_stack& s) { return s.why != "stopped"; });
  for (const auto& stack : stacks) {
    if (stack.offsets.empty())
      continue;
    std::vector<std::string> argv{"addr2line", "-e", program.string(), "-a", "-f", "-C", "-i"};
    argv.insert(argv.end(), stack.offsets.begin(), stack.offsets.end());
    auto answer = run_captured(argv, std::chrono::seconds(30));
    if (!answer.ok())
      return std::nullopt;
    if (auto found = first_in(answer.output, file_name)) {
      found->why = stack.why;
      return found;
    }
  }
  return std::nullopt;
}

std::string without_stack_reports(const std::string& output) {
  std::istringstream in{output};
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (!starts_with(line, "dca-stack") && !starts_with(line, "dca-frame "))
      out += line + '\n';
  return out;
}

} // namespace dca::cli
