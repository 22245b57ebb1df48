// The grading sandbox, built from what Linux gives root without extra tools: a process group and a
// wall clock; setrlimit for CPU, address space, file size and process count; a separate user id per
// slot (so the learner's code cannot write the grader's files and RLIMIT_NPROC applies); new PID,
// network, mount and IPC namespaces (killing the namespace's init kills everything it started, the
// network is a private loopback, and the cwd and /tmp are fresh size-limited tmpfs mounts); and a
// pids and cpu cgroup per slot. Each feature falls back, and says so, where the machine refuses it.
//
// Between fork and exec only system calls are made: the grader is multi-threaded, so everything
// the child needs (argv, environment, paths, mount options) is prepared before fork.
#include "sandbox.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dca::cli {

namespace fs = std::filesystem;

namespace {

/// The slots' user ids: unnamed ids far above any real account, derived from our pid so that two
/// graders running at once (two instructors' batches, parallel tests) never share a user, and so
/// never share RLIMIT_NPROC.
constexpr unsigned slot_uid_base = 1'000'000;
constexpr unsigned slots_per_grader = 64;
/// Exit status of the sandbox's own helper processes when setting up failed.
constexpr int sandbox_failed = 125;
constexpr int namespace_flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC;

// -- async-signal-safe helpers for the child
// --------------------------------------------------------

void put(int fd, const char* s) {
  auto n = std::strlen(s);
  while (n > 0) {
    auto w = write(fd, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void put_number(int fd, long long v) {
  char buffer[24];
  int i = sizeof buffer - 1;
  buffer[i] = '\0';
  bool negative = v < 0;
  unsigned long long u =
      negative ? static_cast<unsigned long long>(-v) : static_cast<unsigned long long>(v);
  do {
    buffer[--i] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0 && i > 1);
  if (negative)
    buffer[--i] = '-';
  put(fd, buffer + i);
}

/// Reports a failed setup step on the status pipe and ends the helper.
[[noreturn]] void fail(int status_fd, const char* what) {
  int e = errno;
  put(status_fd, "X");
  put(status_fd, what);
  put(status_fd, ": ");
  put(status_fd, std::strerror(e)); // glibc's table lookup: no allocation
  put(status_fd, "\n");
  _exit(sandbox_failed);
}

void limit(int status_fd, int resource, std::uint64_t value, const char* what) {
  rlimit r{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  if (resource == RLIMIT_CPU)
    r.rlim_max = static_cast<rlim_t>(value + 5); // SIGXCPU first, SIGKILL 5 s later
  if (setrlimit(resource, &r) != 0)
    fail(status_fd, what);
}

bool bring_loopback_up() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  close(s);
  return ok;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool under(const fs::path& path, const fs::path& dir) {
  auto p = path.lexically_normal().string();
  auto d = dir.lexically_normal().string();
  return p == d || p.rfind(d + "/", 0) == 0;
}

std::string errno_name(int e) {
  switch (e) {
  case EPERM:
    return "EPERM";
  case EACCES:
    return "EACCES";
  case EINVAL:
    return "EINVAL";
  case ENOSPC:
    return "ENOSPC";
  case EROFS:
    return "EROFS";
  default:
    return std::strerror(e);
  }
}

/// The cgroup v1 hierarchy of `controller` we are in ("/sys/fs/cgroup/pids" + our path), or empty.
fs::path own_cgroup(const std::string& controller) {
  std::ifstream in{"/proc/self/cgroup"};
  std::string line;
  while (std::getline(in, line)) {
    // "8:pids:/some/path"
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    std::istringstream names{line.substr(a + 1, b - a - 1)};
    std::string name;
    while (std::getline(names, name, ','))
      if (name == controller) {
        fs::path root = fs::path{"/sys/fs/cgroup"} / controller;
        std::error_code ec;
        if (!fs::exists(root / "cgroup.procs", ec))
          return {};
        return root / fs::path{line.substr(b + 1)}.relative_path();
      }
  }
  return {};
}

bool write_file(const fs::path& file, const std::string& text) {
  std::ofstream out{file};
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::uint64_t pids_limit_events(const fs::path& cgroup) {
  std::ifstream in{cgroup / "pids.events"};
  std::string key;
  std::uint64_t count = 0;
  while (in >> key >> count)
    if (key == "max")
      return count;
  return 0;
}

/// How many tasks (processes and threads) user `uid` has right now.
std::uint64_t tasks_of(unsigned uid) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& p : fs::directory_iterator("/proc", ec)) {
    std::ifstream status{p.path() / "status"};
    std::string key;
    unsigned real_uid = ~0u;
    std::uint64_t threads = 0;
    while (status >> key) {
      if (key == "Uid:")
        status >> real_uid;
      else if (key == "Threads:")
        status >> threads;
    }
    if (real_uid == uid)
      total += threads;
  }
  return total;
}

} // namespace

std::string describe_signal(int signal) {
  return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

// -- setting up
// ---------------------------------------------------------------------------------------

sandbox::sandbox(int slots) {
  slots_.resize(static_cast<std::size_t>(std::max(1, slots)));
  bool root = geteuid() == 0;
  // Namespaces: try them once in a throwaway child.
  int why = 0;
  if (root) {
    pid_t probe = fork();
    if (probe == 0)
      _exit(unshare(namespace_flags) == 0 ? 0 : (errno & 0x7f));
    int status = 0;
    waitpid(probe, &status, 0);
    namespaces_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    why = WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
  }
  if (namespaces_) {
    description_.push_back("network: none (a private namespace with loopback only)");
    description_.push_back("processes: a private PID namespace; all are killed when the run ends");
    description_.push_back(
        "files: a private tmpfs at the working folder, /tmp, /var/tmp, /dev/shm");
  } else {
    auto reason = root ? "unshare: " + errno_name(why) : std::string{"needs root"};
    description_.push_back("network: NOT isolated (" + reason + ")");
    description_.push_back("processes: one process group, killed when the run ends (no PID "
                           "namespace: " +
                           reason + ")");
    description_.push_back("files: the working folder is on disk, no private /tmp (" + reason +
                           ")");
  }
  switch_user_ = root;
  auto first_uid = slot_uid_base + static_cast<unsigned>(getpid()) * slots_per_grader;
  description_.push_back(switch_user_ ? "user: one unprivileged user id per slot (" +
                                            std::to_string(first_uid) + "+)"
                                      : "user: runs as you (not root)");
  // cgroups v1: pids (a hard cap on processes and threads) and cpu (an equal share per slot).
  bool cgroups = root;
  auto tag = "dca-grade-" + std::to_string(getpid()) + "-";
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if (switch_user_)
      s.uid = first_uid + static_cast<unsigned>(i % slots_per_grader);
    if (!cgroups)
      continue;
    for (const char* controller : {"pids", "cpu"}) {
      auto parent = own_cgroup(controller);
      std::error_code ec;
      if (parent.empty() || !fs::create_directory(parent / (tag + std::to_string(i)), ec)) {
        cgroups = false;
        break;
      }
      s.cgroups.push_back(parent / (tag + std::to_string(i)));
      if (std::string{controller} == "pids")
        s.pids_cgroup = s.cgroups.back();
    }
  }
  if (!cgroups) {
    for (auto& s : slots_) {
      for (auto& g : s.cgroups) {
        std::error_code ec;
        fs::remove(g, ec);
      }
      s.cgroups.clear();
      s.pids_cgroup.clear();
    }
  }
  description_.push_back(cgroups ? "cgroups: a pids cap and an equal CPU share per slot"
                                 : "cgroups: none (not root, or no cgroup v1 pids/cpu here): "
                                   "RLIMIT_NPROC only");
  complete_ = namespaces_ && switch_user_ && cgroups;
}

sandbox::~sandbox() {
  for (auto& s : slots_)
    for (auto& g : s.cgroups) {
      // The cgroup empties once its last process is reaped, which may take a moment.
      for (int attempt = 0; attempt < 50; ++attempt) {
        if (rmdir(g.c_str()) == 0 || errno == ENOENT)
          break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
}

void sandbox::hand_over(int slot, const fs::path& dir) const {
  const auto& s = slots_.at(static_cast<std::size_t>(slot));
  if (s.uid == 0)
    return;
  auto own = [&](const fs::path& p) {
    if (lchown(p.c_str(), s.uid, s.uid) != 0)
      throw std::runtime_error("cannot hand " + p.string() +
                               " to the sandbox user: " + std::strerror(errno));
  };
  own(dir);
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    own(entry.path());
}

// -- running
// ------------------------------------------------------------------------------------------

sandbox_result sandbox::run(int slot, const sandbox_request& request) const {
  const auto& s = slots_.at(static_cast<std::size_t>(slot));
  const auto& lim = request.limits;
  if (request.argv.empty() || !fs::path{request.argv[0]}.is_absolute())
    throw std::logic_error("sandbox::run needs an absolute program path");

  // Everything the child needs, prepared before fork.
  auto argv_strings = request.argv;
  auto argv = c_array(argv_strings);
  std::vector<std::string> env_strings{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                       "HOME=" + request.cwd.string()};
  bool has_tmpdir = false;
  for (const auto& [k, v] : request.env) {
    env_strings.push_back(k + "=" + v);
    has_tmpdir = has_tmpdir || k == "TMPDIR";
  }
  if (!has_tmpdir)
    env_strings.push_back("TMPDIR=/tmp");
  auto envp = c_array(env_strings);
  std::string cwd = request.cwd.string();
  std::vector<std::string> mounts;
  if (namespaces_) {
    if (request.private_scratch)
      mounts.push_back(cwd);
    for (const char* shared_tmp : {"/tmp", "/var/tmp", "/dev/shm"}) {
      // A checkout (or CI's clone) may itself live under /tmp: a tmpfs there would hide the
      // program and its working folder (even the working folder's own tmpfs, mounted first).
      bool hides_ours = under(request.argv[0], shared_tmp) || under(request.cwd, shared_tmp);
      for (const auto& [k, v] : request.env)
        hides_ours = hides_ours || (k == "TMPDIR" && under(v, shared_tmp));
      std::error_code ec;
      if (!hides_ours && fs::is_directory(shared_tmp, ec))
        mounts.emplace_back(shared_tmp);
    }
  }
  auto scratch_options = "size=" + std::to_string(lim.scratch_bytes) +
                         ",mode=0700,uid=" + std::to_string(s.uid) +
                         ",gid=" + std::to_string(s.uid);
  std::vector<std::string> cgroup_procs;
  for (const auto& g : s.cgroups)
    cgroup_procs.push_back((g / "cgroup.procs").string());
  if (!s.pids_cgroup.empty())
    write_file(s.pids_cgroup / "pids.max", std::to_string(lim.tasks_max));
  std::uint64_t pids_events_before = s.pids_cgroup.empty() ? 0 : pids_limit_events(s.pids_cgroup);
  bool use_namespaces = namespaces_;
  unsigned uid = s.uid;
  // RLIMIT_NPROC counts every task of the user: for the slot's own user that is the run alone;
  // running as ourselves (not root), it is what we already have plus the run's share.
  std::uint64_t nproc = uid != 0 ? lim.tasks_max : tasks_of(getuid()) + lim.tasks_max;
  bool limit_nproc = uid != 0 || geteuid() != 0;

  int out[2], status_pipe[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"cannot create a pipe: "} + std::strerror(errno));
  auto started = std::chrono::steady_clock::now();
  pid_t helper = fork();
  if (helper < 0)
    throw std::runtime_error(std::string{"cannot start a process: "} + std::strerror(errno));
  if (helper == 0) {
    // -- the helper: sets up the namespaces and joins the cgroups
    // ----------------------------------
    int status_fd = status_pipe[1];
    close(out[0]);
    close(status_pipe[0]);
    setpgid(0, 0);
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    for (const auto& file : cgroup_procs) {
      int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        fail(status_fd, "joining a cgroup");
      put_number(fd, getpid());
      close(fd);
    }
    if (use_namespaces) {
      if (unshare(namespace_flags) != 0)
        fail(status_fd, "unshare");
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        fail(status_fd, "making mounts private");
      for (const auto& target : mounts)
        if (mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                  scratch_options.c_str()) != 0)
          fail(status_fd, "mounting a tmpfs");
      bring_loopback_up(); // best effort: a spec that needs loopback says so itself
    }
    pid_t init = fork(); // pid 1 of the new PID namespace
    if (init < 0)
      fail(status_fd, "fork");
    if (init == 0) {
      pid_t program = fork();
      if (program < 0)
        fail(status_fd, "fork");
      if (program == 0) {
        // -- the program ------------------------------------------------------------------------
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
          dup2(null_fd, STDIN_FILENO);
        limit(status_fd, RLIMIT_CPU, lim.cpu_seconds, "RLIMIT_CPU");
        if (lim.address_space_bytes > 0)
          limit(status_fd, RLIMIT_AS, lim.address_space_bytes, "RLIMIT_AS");
        limit(status_fd, RLIMIT_FSIZE, lim.file_bytes, "RLIMIT_FSIZE");
        limit(status_fd, RLIMIT_NOFILE, 1024, "RLIMIT_NOFILE");
        if (limit_nproc)
          limit(status_fd, RLIMIT_NPROC, nproc, "RLIMIT_NPROC");
        if (uid != 0) {
          if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0)
            fail(status_fd, "switching to the sandbox user");
        }
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (chdir(cwd.c_str()) != 0)
          fail(status_fd, "entering the working folder");
        execve(argv[0], argv.data(), envp.data());
        fail(status_fd, "exec");
      }
      close(out[1]);
      int st = 0;
      while (waitpid(program, &st, 0) < 0 && errno == EINTR) {
      }
      if (WIFSIGNALED(st)) {
        put(status_fd, "S");
        put_number(status_fd, WTERMSIG(st));
      } else {
        put(status_fd, "E");
        put_number(status_fd, WEXITSTATUS(st));
      }
      put(status_fd, "\n");
      _exit(0); // as pid 1 of the namespace, exiting kills whatever the program left behind
    }
    close(out[1]);
    close(status_fd);
    int st = 0;
    while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  // -- the grader: collect output and status until both pipes close or the deadline passes --------
  setpgid(helper, helper);
  close(out[1]);
  close(status_pipe[1]);
  sandbox_result result;
  std::string status_text, head, tail;
  bool truncated = false;
  auto keep = [&](const char* data, std::size_t n) {
    std::size_t head_max = lim.output_bytes * 3 / 4, tail_max = lim.output_bytes - head_max;
    std::size_t to_head = std::min(n, head_max - std::min(head_max, head.size()));
    head.append(data, to_head);
    if (to_head < n) {
      tail.append(data + to_head, n - to_head);
      if (tail.size() > tail_max) {
        truncated = true;
        tail.erase(0, tail.size() - tail_max);
      }
    }
  };
  auto deadline = started + lim.wall;
  bool out_open = true, status_open = true;
  char buffer[8192];
  while (out_open || status_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd p[2] = {{out_open ? out[0] : -1, POLLIN, 0},
                   {status_open ? status_pipe[0] : -1, POLLIN, 0}};
    int ready = poll(p, 2, static_cast<int>(std::min<long long>(left.count(), 500)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto n = read(out[0], buffer, sizeof buffer);
      if (n <= 0)
        out_open = false;
      else
        keep(buffer, static_cast<std::size_t>(n));
    }
    if (status_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto n = read(status_pipe[0], buffer, sizeof buffer);
      if (n <= 0)
        status_open = false;
      else
        status_text.append(buffer, static_cast<std::size_t>(n));
    }
    // Without a PID namespace, something the program left running may hold the output open:
    // once the program's status is in and its output drained, stop waiting for strangers.
    if (!status_open && out_open && !use_namespaces) {
      int flags = fcntl(out[0], F_GETFL);
      fcntl(out[0], F_SETFL, flags | O_NONBLOCK);
      ssize_t n;
      while ((n = read(out[0], buffer, sizeof buffer)) > 0)
        keep(buffer, static_cast<std::size_t>(n));
      out_open = false;
    }
  }
  kill(-helper, SIGKILL); // the helper, init and, without namespaces, whatever shares the group
  close(out[0]);
  close(status_pipe[0]);
  int st = 0;
  waitpid(helper, &st, 0);
  // The namespace's processes die with its init, but the kernel reaps them asynchronously: wait
  // until the slot's cgroup is empty, so the next run in this slot starts from zero processes.
  if (!s.pids_cgroup.empty()) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      std::ifstream procs{s.pids_cgroup / "cgroup.procs"};
      pid_t pid = 0;
      bool any = false;
      while (procs >> pid) {
        any = true;
        kill(pid, SIGKILL); // only ever our own sandboxed processes: they are in our cgroup
      }
      if (!any)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  result.output = head;
  if (truncated)
    result.output +=
        "\n... (output cut: more than " + std::to_string(lim.output_bytes >> 10) + " KiB) ...\n";
  result.output += tail;

  if (!status_text.empty() && status_text[0] == 'X') {
    result.error = "sandbox: " + status_text.substr(1, status_text.find('\n') - 1);
  } else if (!status_text.empty() && status_text[0] == 'S') {
    result.signal = std::atoi(status_text.c_str() + 1);
  } else if (!status_text.empty() && status_text[0] == 'E') {
    result.exit_code = std::atoi(status_text.c_str() + 1);
  } else if (!result.timed_out) {
    result.error = "sandbox: the run ended without a status";
  }
  // Which limit, if any, ended it.
  const auto& o = result.output;
  if (result.signal == SIGXCPU || (result.signal == SIGKILL && !result.timed_out))
    result.limit_hit = "cpu";
  else if (result.signal == SIGXFSZ)
    result.limit_hit = "file size";
  else if (!s.pids_cgroup.empty() && pids_limit_events(s.pids_cgroup) > pids_events_before)
    result.limit_hit = "processes";
  else if (!result.ok() && (o.find("std::bad_alloc") != std::string::npos ||
                            o.find("Cannot allocate memory") != std::string::npos ||
                            o.find("out of memory") != std::string::npos))
    result.limit_hit = "memory";
  else if (!result.ok() && o.find("Resource temporarily unavailable") != std::string::npos)
    result.limit_hit = "processes";
  else if (!result.ok() && o.find("No space left on device") != std::string::npos)
    result.limit_hit = "disk";
  return result;
}

} // namespace dca::cli
