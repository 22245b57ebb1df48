// The learner's progress file: one exercise id a line, written whole and renamed into place.
#include "progress.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace dca::cli {

progress::progress(const std::filesystem::path& source_dir)
    : file_(source_dir / ".dca" / "progress") {
  std::ifstream in{file_};
  std::string line;
  while (std::getline(in, line)) {
    auto id = line.substr(0, line.find_first_of(" \t\r"));
    if (!id.empty() && id[0] != '#' && !passed(id))
      passed_.push_back(id);
  }
}

bool progress::passed(const std::string& id) const {
  return std::find(passed_.begin(), passed_.end(), id) != passed_.end();
}

void progress::mark_passed(const std::string& id) {
  if (!passed(id)) {
    passed_.push_back(id);
    save();
  }
}

void progress::forget(const std::string& id) {
  if (!passed(id))
    return;
  passed_.erase(std::remove(passed_.begin(), passed_.end(), id), passed_.end());
  save();
}

void progress::save() const {
  // Write a new file and rename it over the old one: a crash never leaves half a progress file.
  std::filesystem::create_directories(file_.parent_path());
  auto temporary = file_;
  temporary += ".tmp";
  {
    std::ofstream out{temporary, std::ios::trunc};
    out << "# dca progress: the exercises you have passed, one per line. .dca/ is not in git, so\n"
           "# updating the kit keeps it; copy this file to move your progress to another "
           "machine.\n";
    for (const auto& id : passed_)
      out << id << '\n';
    if (!out)
      throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, file_);
}

} // namespace dca::cli
