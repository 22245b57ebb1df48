// The learner's progress: the exercises passed so far, kept in .dca/progress in the checkout (never
// touched by upgrades), and where `dca` continues.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dca::cli {

/// The exercises passed, by id, in the order they passed.
class progress {
public:
  explicit progress(const std::filesystem::path& source_dir);
  bool passed(const std::string& id) const;
  void mark_passed(const std::string& id);
  void forget(const std::string& id);

private:
  void save() const;
  std::filesystem::path file_;
  std::vector<std::string> passed_;
};

} // namespace dca::cli
