// The curriculum as `dca` sees it: exercises/manifest.ini, in order, with titles and hints. CMake
// reads the same file (cmake/exercises.cmake), so each fact about an exercise is written once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dca::cli {

struct exercise_entry {
  std::string id;      // "01_lost_update"
  std::string number;  // "01"
  std::string pattern; // "P1"
  std::string title;
  std::string cpp_namespace;       // "lost_update": the namespace of its scenario.hpp
  std::string skeleton_fails_with; // what the untouched skeleton's spec failure says
  std::string tsan_race_args;      // for CMake's TSan tests; dca only checks they are known keys
  std::string tsan_solution_args;
  std::string invariant;     // what every schedule must keep, in words (the schedule page shows it)
  std::string explored;      // the variants `dca explore` steps through; empty: shared and actors
  std::string levels;        // the levels `dca explore NN --levels` shows ("threads actors nodes")
  std::string harness_files; // more files of its harness beside the five ("real_parts.cpp")
  std::string needs; // "services": built and run only with PostgreSQL and Redis (DCA_WITH_SERVICES)
  std::vector<std::string> hints;
};

class manifest {
public:
  /// Reads the manifest; throws std::runtime_error naming the file and line on a malformed entry.
  static manifest load(const std::filesystem::path& file);

  const std::vector<exercise_entry>& exercises() const noexcept { return exercises_; }

  /// Keeps the exercises `keep` says yes to, in order (those the build has).
  template <class Predicate>
  void keep_only(Predicate keep) {
    std::vector<exercise_entry> kept;
    for (auto& e : exercises_)
      if (keep(e))
        kept.push_back(std::move(e));
    exercises_ = std::move(kept);
  }

  /// Finds an exercise by "01", "1", "01_lost_update" or "lost_update".
  const exercise_entry* find(const std::string& name) const;

private:
  std::vector<exercise_entry> exercises_;
};

} // namespace dca::cli
