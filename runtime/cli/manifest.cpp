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

/// Sets `key` of `e`; false when the manifest has no such key.
bool set_value(exercise_entry& e, const std::string& key, const std::string& value) {
  if (key == "hint") {
    e.hints.push_back(value);
    return true;
  }
  std::string* field = key == "pattern"               ? &e.pattern
                       : key == "title"               ? &e.title
                       : key == "namespace"           ? &e.cpp_namespace
                       : key == "skeleton_fails_with" ? &e.skeleton_fails_with
                       : key == "tsan_race_args"      ? &e.tsan_race_args
                       : key == "tsan_solution_args"  ? &e.tsan_solution_args
                       : key == "needs"               ? &e.needs
                       : key == "invariant"           ? &e.invariant
                       : key == "explored"            ? &e.explored
                       : key == "levels"              ? &e.levels
                       : key == "harness_files"       ? &e.harness_files
                                                      : nullptr;
  if (field != nullptr)
    *field = value;
  return field != nullptr;
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
    if (!set_value(out.exercises_.back(), key, value))
      fail("unknown key '" + key +
           "' (expected pattern, title, namespace, skeleton_fails_with, tsan_race_args, "
           "tsan_solution_args, needs, invariant, explored, levels, harness_files or hint)");
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
