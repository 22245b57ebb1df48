// A learner's file, read by an unprivileged user: the grader runs as root, and a check that stands
// in for dropping privileges misses what the kernel would refuse (a file only root may read, a
// folder swapped for a symlink between the check and the open). So a forked child becomes the
// sandbox slot's user before it opens anything below the submission folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace dca::cli {

/// What reading one file of a submission gave.
struct learner_file {
  bool found = false;  // false: it (or a folder on its way) does not exist
  std::string refused; // why it was not read ("... is a symlink"), or empty
  std::string text;    // its bytes, when read
};

/// Where a read file is also copied, and how large it may be.
struct learner_file_options {
  std::size_t bytes_max = 4u << 20;
  /// A file to create (never to overwrite) with the same bytes, by the same user: the folder must
  /// be writable by it. Empty: no copy.
  std::filesystem::path copy;
};

/// Reads `root`/`relative` as user `uid` (0: as ourselves). `root` is opened by the caller's
/// user (the instructor named it); every folder below it and the file itself are opened by `uid`
/// one at a time, never through a symlink (openat with O_NOFOLLOW: no race between a check and
/// the open). Refused: a symlink, anything but a regular file, a hard link, a file whose owner is
/// not `root`'s, a file `uid` may not read, a file over options.bytes_max.
learner_file read_as_user(unsigned uid, const std::filesystem::path& root,
                          const std::filesystem::path& relative,
                          const learner_file_options& options = {});

} // namespace dca::cli
