// Reading a learner's file as an unprivileged user: what the kernel refuses that user (a file or a
// folder only root may read) is refused, a symlink anywhere on the way is refused by name, and the
// copy is made by that user. The refusals need root (a user to drop to); elsewhere they are
// skipped.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "grade/learner_file.hpp"
#include "text.hpp"

namespace fs = std::filesystem;
using dca::cli::read_as_user;

namespace {

/// An unnamed user id far from any account: the one the reads drop to.
constexpr unsigned grading_uid = 1'999'999;

struct fixture {
  fs::path sub; // a submission: sub/exercises/01_lost_update/message_passing.cpp
  fs::path rel{"exercises/01_lost_update/message_passing.cpp"};

  fixture() {
    sub = fs::path{DCA_TEST_SCRATCH} / ("learner-file-" + std::to_string(getpid()));
    fs::remove_all(sub);
    fs::create_directories(sub / "exercises" / "01_lost_update");
    write(sub / rel, "int main() {}\n");
  }
  ~fixture() { fs::remove_all(sub); }

  static void write(const fs::path& file, const std::string& text) {
    std::ofstream{file, std::ios::binary} << text;
  }
  static bool root() { return geteuid() == 0; }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a readable file is read, and copied by the grading user") {
  auto copy = sub / "copy";
  fs::create_directory(copy);
  unsigned uid = root() ? grading_uid : 0;
  if (uid != 0)
    REQUIRE(chown(copy.c_str(), uid, uid) == 0);
  dca::cli::learner_file_options options;
  options.copy = copy / "message_passing.cpp";
  auto read = read_as_user(uid, sub, rel, options);
  CHECK(read.found);
  CHECK(read.refused == "");
  CHECK(read.text == "int main() {}\n");
  struct stat st {};
  REQUIRE(stat(options.copy.c_str(), &st) == 0);
  CHECK(st.st_uid == (uid != 0 ? uid : geteuid()));
  CHECK(dca::cli::read_text(options.copy) == "int main() {}\n");
}

TEST_CASE_FIXTURE(fixture, "a file only root may read is refused to the grading user") {
  if (!root()) {
    MESSAGE("skipped: needs root");
    return;
  }
  fs::permissions(sub / rel, fs::perms::owner_read | fs::perms::owner_write);
  auto read = read_as_user(grading_uid, sub, rel);
  CHECK(read.found);
  CHECK(read.text == "");
  CHECK(read.refused.find("the grading user (uid 1999999) may not read "
                          "exercises/01_lost_update/message_passing.cpp") == 0);
}

TEST_CASE_FIXTURE(fixture, "a folder only root may enter is refused, naming the folder") {
  if (!root()) {
    MESSAGE("skipped: needs root");
    return;
  }
  fs::permissions(sub / "exercises" / "01_lost_update", fs::perms::owner_all);
  auto read = read_as_user(grading_uid, sub, rel);
  CHECK(read.text == "");
  CHECK(read.refused.find("may not read exercises/01_lost_update: ") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a symlink on the way or at the end is refused by name") {
  fs::create_directories(sub / "elsewhere");
  fs::rename(sub / "exercises" / "01_lost_update", sub / "elsewhere" / "01_lost_update");
  fs::create_directory_symlink(sub / "elsewhere" / "01_lost_update",
                               sub / "exercises" / "01_lost_update");
  auto folder = read_as_user(0, sub, rel);
  CHECK(folder.refused ==
        "not a regular file: exercises/01_lost_update is a symlink: submit the file itself");
  fs::remove(sub / "exercises" / "01_lost_update");
  fs::create_directory(sub / "exercises" / "01_lost_update");
  fs::create_symlink("/etc/passwd", sub / rel);
  auto at_the_end = read_as_user(0, sub, rel);
  CHECK(at_the_end.refused == "not a regular file: exercises/01_lost_update/message_passing.cpp "
                              "is a symlink: submit the file itself");
  CHECK(at_the_end.text == "");
}

TEST_CASE_FIXTURE(fixture,
                  "a missing file is not found and a hard link or a huge file is refused") {
  CHECK_FALSE(read_as_user(0, sub, "exercises/02_check_then_act/message_passing.cpp").found);
  fs::create_hard_link(sub / rel, sub / "second_name.cpp");
  CHECK(read_as_user(0, sub, rel).refused.find("is a hard link") != std::string::npos);
  fs::remove(sub / "second_name.cpp");
  dca::cli::learner_file_options small;
  small.bytes_max = 4;
  CHECK(read_as_user(0, sub, rel, small).refused.find("is larger than") != std::string::npos);
}
