// A deliberately tiny INI reader: [section] headers and `key = value` lines, # comments.
#include "manifest.hpp"

#include <fstream>
#include <stdexcept>

namespace dca::cli {

namespace {

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

} // namespace

manifest manifest::load(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    throw std::runtime_error("cannot read the exercise manifest " + file.string());
  manifest out;
  std::string line;
  int number = 0;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#')
      continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 6 || line[3] != '_')
        fail("expected a header like [01_lost_update]");
      exercise_entry e;
      e.id = line.substr(1, line.size() - 2);
      e.number = e.id.substr(0, 2);
      out.exercises_.push_back(std::move(e));
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || out.exercises_.empty())
      fail("expected `key = value` inside an [NN_name] block");
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    auto& e = out.exercises_.back();
    if (key == "pattern")
      e.pattern = value;
    else if (key == "title")
      e.title = value;
    else if (key == "hint")
      e.hints.push_back(value);
    else
      fail("unknown key '" + key + "' (expected pattern, title or hint)");
  }
  return out;
}

const exercise_entry* manifest::find(const std::string& name) const {
  for (const auto& e : exercises_) {
    auto bare = e.id.substr(3);
    if (name == e.id || name == e.number || name == bare ||
        (name.size() == 1 && "0" + name == e.number))
      return &e;
  }
  return nullptr;
}

} // namespace dca::cli
