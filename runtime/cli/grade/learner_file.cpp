// Reading a learner's file as the sandbox slot's user: a forked child switches user, walks down
// from the submission folder with openat(O_NOFOLLOW), and streams a small header and the bytes back
// on a pipe. Between fork and exit the child makes system calls only (the grader is
// multi-threaded), so everything it needs is prepared before the fork.
#include "grade/learner_file.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace dca::cli {

namespace fs = std::filesystem;

namespace {

/// What the child found, sent before the bytes.
struct read_header {
  enum kind_t : int {
    read_ok,     // the bytes follow
    open_failed, // opening component `index` failed with `error`
    not_regular, // the file's type is `mode`
    hard_link,   // it has more than one name
    other_owner, // its owner is not the submission folder's
    too_large,   // over bytes_max
    no_user,     // switching to the user failed with `error`
    copy_failed, // creating or writing the copy failed with `error`
    read_failed, // reading failed with `error`
  };
  int kind = read_ok;
  int error = 0;
  int index = 0;
  unsigned mode = 0;
};

bool put_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    auto w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

[[noreturn]] void answer(int fd, read_header h) {
  put_all(fd, &h, sizeof h);
  _exit(0);
}

/// Everything the child needs, prepared before the fork.
struct read_plan {
  unsigned uid = 0;
  int root_fd = -1;
  std::vector<std::string> parts; // the folders below root, then the file
  std::size_t bytes_max = 0;
  int copy_dir_fd = -1; // -1: no copy
  std::string copy_name;
  int out_fd = -1;
};

bool become_user(unsigned uid) {
  gid_t none[1] = {};
  return syscall(SYS_setgroups, 0, none) == 0 && syscall(SYS_setresgid, uid, uid, uid) == 0 &&
         syscall(SYS_setresuid, uid, uid, uid) == 0;
}

/// The child: become the user, open the file one component at a time, check it, send it.
[[noreturn]] void read_in_child(const read_plan& plan) {
  int out = plan.out_fd;
  if (plan.uid != 0 && !become_user(plan.uid))
    answer(out, {read_header::no_user, errno, 0, 0});
  int dir = plan.root_fd;
  std::size_t last = plan.parts.size() - 1;
  for (std::size_t i = 0; i < last; ++i) {
    int next = openat(dir, plan.parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat link {};
    // A symlink to a folder fails with ENOTDIR (O_DIRECTORY is checked on the link itself).
    if (next < 0 && errno == ENOTDIR &&
        fstatat(dir, plan.parts[i].c_str(), &link, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(link.st_mode))
      errno = ELOOP;
    if (next < 0)
      answer(out, {read_header::open_failed, errno, static_cast<int>(i), 0});
    dir = next;
  }
  int fd = openat(dir, plan.parts[last].c_str(),
                  O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  struct stat owner {};
  if (fd < 0 || fstat(fd, &st) != 0 || fstat(plan.root_fd, &owner) != 0)
    answer(out, {read_header::open_failed, errno, static_cast<int>(last), 0});
  if (!S_ISREG(st.st_mode))
    answer(out, {read_header::not_regular, 0, 0, st.st_mode});
  if (st.st_nlink > 1)
    answer(out, {read_header::hard_link, 0, 0, 0});
  if (st.st_uid != owner.st_uid)
    answer(out, {read_header::other_owner, 0, 0, 0});
  if (static_cast<std::size_t>(st.st_size) > plan.bytes_max)
    answer(out, {read_header::too_large, 0, 0, 0});
  int copy = -1;
  if (plan.copy_dir_fd >= 0 &&
      (copy = openat(plan.copy_dir_fd, plan.copy_name.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
    answer(out, {read_header::copy_failed, errno, 0, 0});
  read_header ok{};
  put_all(out, &ok, sizeof ok);
  char buffer[1 << 15];
  std::size_t total = 0;
  ssize_t n = 0;
  while (total <= plan.bytes_max && (n = read(fd, buffer, sizeof buffer)) > 0) {
    total += static_cast<std::size_t>(n);
    if (copy >= 0 && !put_all(copy, buffer, static_cast<std::size_t>(n)))
      _exit(1);
    if (!put_all(out, buffer, static_cast<std::size_t>(n)))
      _exit(1);
  }
  _exit(n < 0 ? 1 : 0);
}

std::string kind_of(unsigned mode) {
  if (S_ISDIR(mode))
    return "a folder";
  if (S_ISFIFO(mode))
    return "a pipe";
  if (S_ISSOCK(mode))
    return "a socket";
  return "a device";
}

/// The words for a refusal or a missing file, from the child's header.
learner_file outcome_of(const read_header& h, const read_plan& plan, const fs::path& relative) {
  learner_file out;
  out.found = true;
  fs::path upto;
  for (int i = 0; i <= h.index && i < static_cast<int>(plan.parts.size()); ++i)
    upto /= plan.parts[static_cast<std::size_t>(i)];
  auto rel = relative.string();
  auto user = " (uid " + std::to_string(plan.uid) + ")";
  const std::string own_file = ": submit the file itself";
  switch (h.kind) {
  case read_header::open_failed:
    if (h.error == ENOENT || h.error == ENOTDIR)
      out.found = false;
    else if (h.error == ELOOP)
      out.refused = "not a regular file: " + upto.string() + " is a symlink" + own_file;
    else if (h.error == EACCES || h.error == EPERM)
      out.refused = "the grading user" + user + " may not read " + upto.string() +
                    ": a submission's files must be readable by everyone (chmod -R a+rX)";
    else
      out.refused = "cannot read " + upto.string() + ": " + std::strerror(h.error);
    break;
  case read_header::not_regular:
    out.refused = "not a regular file: " + rel + " is " + kind_of(h.mode) + own_file;
    break;
  case read_header::hard_link:
    out.refused = "not the submission's own file: " + rel + " is a hard link" + own_file;
    break;
  case read_header::other_owner:
    out.refused = "not the submission's own file: " + rel +
                  " has another owner than the submission folder" + own_file;
    break;
  case read_header::too_large:
    out.refused = rel + " is larger than " + std::to_string(plan.bytes_max >> 10) + " KiB";
    break;
  case read_header::no_user:
    out.refused = "cannot switch to the grading user" + user + ": " + std::strerror(h.error);
    break;
  default:
    out.refused =
        "cannot copy " + rel + " as the grading user" + user + ": " + std::strerror(h.error);
  }
  return out;
}

/// Closes the descriptors the plan holds.
struct plan_fds {
  read_plan& plan;
  ~plan_fds() {
    for (int fd : {plan.root_fd, plan.copy_dir_fd, plan.out_fd})
      if (fd >= 0)
        close(fd);
  }
};

} // namespace

learner_file read_as_user(unsigned uid, const fs::path& root, const fs::path& relative,
                          const learner_file_options& options) {
  read_plan plan;
  plan_fds closing{plan};
  plan.uid = uid;
  plan.bytes_max = options.bytes_max;
  for (const auto& part : relative.lexically_normal())
    if (!part.empty() && part != ".")
      plan.parts.push_back(part.string());
  learner_file out;
  if (plan.parts.empty() || plan.parts.front() == ".." || relative.is_absolute())
    throw std::logic_error("read_as_user: " + relative.string() + " is not below the folder");
  plan.root_fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (plan.root_fd < 0)
    return out; // not found: the caller says which submission has no such file
  if (!options.copy.empty()) {
    plan.copy_dir_fd = open(options.copy.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    plan.copy_name = options.copy.filename().string();
    if (plan.copy_dir_fd < 0)
      throw std::runtime_error("cannot open " + options.copy.parent_path().string() + ": " +
                               std::strerror(errno));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"cannot create a pipe: "} + std::strerror(errno));
  plan.out_fd = pipe_fds[1];
  pid_t child = fork();
  if (child < 0) {
    close(pipe_fds[0]);
    throw std::runtime_error(std::string{"cannot start a process: "} + std::strerror(errno));
  }
  if (child == 0)
    read_in_child(plan);
  close(plan.out_fd);
  plan.out_fd = -1;
  std::string received;
  char buffer[1 << 15];
  ssize_t n = 0;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) != 0)
    if (n > 0 && received.size() <= options.bytes_max + sizeof(read_header))
      received.append(buffer, static_cast<std::size_t>(n));
    else if (n < 0 && errno != EINTR)
      break;
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  read_header h{};
  if (received.size() < sizeof h || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.found = true;
    out.refused = "cannot read " + relative.string() + " as the grading user";
    return out;
  }
  std::memcpy(&h, received.data(), sizeof h);
  if (h.kind != read_header::read_ok)
    return outcome_of(h, plan, relative);
  out.found = true;
  out.text = received.substr(sizeof h);
  if (out.text.size() > options.bytes_max) {
    h.kind = read_header::too_large;
    return outcome_of(h, plan, relative);
  }
  return out;
}

} // namespace dca::cli
