// The grading sandbox, built from what Linux gives root without extra tools: a process group and a
// wall clock; setrlimit for CPU, address space, file size and process count; a separate user id per
// slot (so the learner's code cannot write the grader's files and RLIMIT_NPROC applies); new PID,
// network, mount and IPC namespaces (killing the namespace's init kills everything it started, the
// network is a private loopback, /proc is the namespace's own, and every writable place -- /tmp,
// /var/tmp, /dev/shm, /run and a test run's cwd -- is one size-limited tmpfs per run, wherever the
// checkout is; the instructor's folders are bound read-only and other submissions' hidden); and a
// pids, cpu and memory cgroup per slot. Each feature falls back, and says so, where the machine
// refuses it.
//
// Between fork and exec only system calls are made: the grader is multi-threaded, so everything
// the child needs (argv, environment, paths, mount options) is prepared before fork.
#include "grade/sandbox.hpp"

#include "child_process.hpp"

#include <algorithm>
#include <array>
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
#include <sys/vfs.h>
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
/// The slot's tmpfs is mounted at /tmp; the other writable places are its folders under here.
constexpr const char* slot_root = "/tmp/.sandbox";
constexpr std::size_t max_mount_steps = 32;

// -- async-signal-safe helpers for the child ------------------------------------------------------

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

/// How many times the kernel's OOM killer has killed in the memory cgroup (v1 memory.oom_control).
std::uint64_t oom_kills(const fs::path& cgroup) {
  std::ifstream in{cgroup / "memory.oom_control"};
  std::string key;
  std::uint64_t count = 0;
  while (in >> key >> count)
    if (key == "oom_kill")
      return count;
  return 0;
}

/// How many times the memory cgroup's usage has met its limit (v1 memory.failcnt): a run that
/// times out while it keeps meeting the limit was stalled by the limit (the kernel reclaims and
/// retries before it OOM-kills, which can outlast the clock on a loaded machine).
std::uint64_t memory_limit_hits(const fs::path& cgroup) {
  std::ifstream in{cgroup / "memory.failcnt"};
  std::uint64_t count = 0;
  in >> count;
  return count;
}

/// Sets the cgroup's memory limit, and its memory+swap limit where swap is accounted. memsw must
/// stay at or above the memory limit, so one of the two orders fails: try memory, memsw, memory.
void set_memory_limit(const fs::path& cgroup, std::uint64_t bytes) {
  auto value = bytes == 0 ? std::string{"-1"} : std::to_string(bytes);
  bool first = write_file(cgroup / "memory.limit_in_bytes", value);
  if (fs::exists(cgroup / "memory.memsw.limit_in_bytes"))
    write_file(cgroup / "memory.memsw.limit_in_bytes", value);
  if (!first && !write_file(cgroup / "memory.limit_in_bytes", value))
    throw std::runtime_error("cannot set the memory limit of " + cgroup.string());
}

/// A new cgroup `name` under ours for `controller`, or empty when the machine refuses.
fs::path make_cgroup(const std::string& controller, const std::string& name) {
  auto parent = own_cgroup(controller);
  std::error_code ec;
  if (parent.empty() || !fs::create_directory(parent / name, ec))
    return {};
  return parent / name;
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

// -- setting up -----------------------------------------------------------------------------------

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
    description_.push_back("files: one size-limited tmpfs per run behind every writable place "
                           "(/tmp, /var/tmp, /dev/shm, /run, a test run's cwd); the instructor's "
                           "files read-only; other submissions hidden; a private /proc");
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
      auto made = make_cgroup(controller, tag + std::to_string(i));
      if (made.empty()) {
        cgroups = false;
        break;
      }
      s.cgroups.push_back(made);
      if (std::string{controller} == "pids")
        s.pids_cgroup = made;
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
  describe_memory(root, tag);
  complete_ = namespaces_ && switch_user_ && cgroups;
}

void sandbox::describe_memory(bool root, const std::string& tag) {
  bool all = root;
  for (std::size_t i = 0; all && i < slots_.size(); ++i) {
    slots_[i].memory_cgroup = make_cgroup("memory", tag + "m" + std::to_string(i));
    all = !slots_[i].memory_cgroup.empty();
  }
  for (auto& s : slots_) {
    if (!all && !s.memory_cgroup.empty()) {
      std::error_code ec;
      fs::remove(s.memory_cgroup, ec);
      s.memory_cgroup.clear();
    }
    if (all)
      s.cgroups.push_back(s.memory_cgroup);
  }
  if (!all) {
    description_.push_back("memory: no total limit per slot (not root, or no cgroup v1 memory "
                           "controller here): RLIMIT_AS per process only");
    return;
  }
  bool swap = fs::exists(slots_.front().memory_cgroup / "memory.memsw.limit_in_bytes");
  description_.push_back(
      std::string{"memory: a total limit per slot (memory cgroup"} +
      (swap ? ", swap included)" : "; swap not counted: swap accounting is off here)"));
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
  // Owner only: another slot's user (a peer compiling beside it) cannot read it.
  auto own = [&](const fs::path& p) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0 || lchown(p.c_str(), s.uid, s.uid) != 0 ||
        (!S_ISLNK(st.st_mode) && chmod(p.c_str(), st.st_mode & 0700) != 0))
      throw std::runtime_error("cannot hand " + p.string() +
                               " to the sandbox user: " + std::strerror(errno));
  };
  own(dir);
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    own(entry.path());
}

// -- running --------------------------------------------------------------------------------------

namespace {

/// One mount of the run's own view of the filesystem. They are applied in path order, a folder
/// before the folders inside it, so a folder kept from under a covered one comes back on top.
struct mount_step {
  enum class kind { tmpfs, bind_host, bind_slot };
  kind how = kind::tmpfs;
  std::string target;
  std::string source;  // bind_host: the host folder, opened before anything is covered;
                       // bind_slot: a folder of the slot's tmpfs
  std::string options; // tmpfs
  bool read_only = false;
  std::vector<std::string> parents; // it and the folders above it, made first: a covering
                                    // tmpfs does not have them
};

/// Everything the child processes need, prepared before fork: between fork and exec only system
/// calls are made (the grader is multi-threaded).
struct child_plan {
  std::vector<std::string> argv_strings, env_strings;
  std::vector<char*> argv, envp;
  std::string cwd;
  std::string slot_tmpfs_options;     // the slot's one tmpfs, at /tmp
  std::vector<std::string> slot_dirs; // its folders for /var/tmp, /dev/shm, /run
  std::string slot_cwd;               // its folder for a private working folder, or empty
  std::vector<mount_step> steps;
  std::vector<std::string> cgroup_procs;
  bool use_namespaces = false;
  unsigned uid = 0;
  std::uint64_t nproc = 0;
  bool limit_nproc = false;
  sandbox_limits limits;
  int output_fd = -1; // the write ends the program and its helpers use
  int status_fd = -1;
};

std::vector<std::string> environment_of(const sandbox_request& request) {
  std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                               "HOME=" + request.cwd.string()};
  bool has_tmpdir = false;
  for (const auto& [k, v] : request.env) {
    env.push_back(k + "=" + v);
    has_tmpdir = has_tmpdir || k == "TMPDIR";
  }
  if (!has_tmpdir)
    env.emplace_back("TMPDIR=/tmp");
  return env;
}

/// The target and every folder above it, outermost first.
std::vector<std::string> parents_of(const fs::path& target) {
  std::vector<std::string> out;
  fs::path p;
  for (const auto& part : target) {
    p /= part;
    if (p != "/")
      out.push_back(p.string());
  }
  return out;
}

bool under_any(const fs::path& path, const std::vector<fs::path>& dirs) {
  return std::any_of(dirs.begin(), dirs.end(), [&](const auto& d) { return under(path, d); });
}

/// The run's view: the slot's tmpfs behind /var/tmp, /dev/shm and /run (no host sockets), the
/// hidden folder covered, the kept folders bound back (read-only unless writable), and a private
/// working folder on top. /tmp itself is the slot's tmpfs, mounted before these.
std::vector<mount_step> mounts_of(const sandbox_request& request, child_plan& plan) {
  std::vector<mount_step> steps;
  auto add = [&](mount_step step) {
    step.target = fs::absolute(step.target).lexically_normal().string();
    if (!step.source.empty())
      step.source = fs::absolute(step.source).lexically_normal().string();
    step.parents = parents_of(step.target);
    steps.push_back(std::move(step));
  };
  for (const char* place : {"/var/tmp", "/dev/shm", "/run", "/var/run"}) {
    std::error_code ec;
    if (fs::is_symlink(place, ec) || !fs::is_directory(place, ec))
      continue; // /var/run is usually a link to /run
    auto dir = std::string{slot_root} + "/" + fs::path{place}.filename().string();
    plan.slot_dirs.push_back(dir);
    add({mount_step::kind::bind_slot, place, dir, {}, false, {}});
  }
  if (!request.hidden.empty())
    add({mount_step::kind::tmpfs, request.hidden.string(), {}, "size=1m,mode=0755", false, {}});
  auto kept = request.read_only;
  kept.insert(kept.end(), request.writable.begin(), request.writable.end());
  std::vector<fs::path> implied{fs::path{request.argv[0]}.parent_path()};
  if (!request.private_scratch)
    implied.push_back(request.cwd);
  for (const auto& dir : implied)
    if (!under_any(dir, kept))
      kept.push_back(dir);
  for (const auto& dir : kept)
    add({mount_step::kind::bind_host,
         dir.string(),
         dir.string(),
         {},
         !under_any(dir, request.writable),
         {}});
  if (request.private_scratch) {
    plan.slot_cwd = std::string{slot_root} + "/cwd";
    add({mount_step::kind::bind_slot, request.cwd.string(), plan.slot_cwd, {}, false, {}});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) {
    return fs::path{a.target} < fs::path{b.target};
  });
  if (steps.size() > max_mount_steps)
    throw std::logic_error("sandbox::run: too many folders to keep");
  return steps;
}

/// The program itself: limits, the sandbox user, the working folder, then exec.
[[noreturn]] void become_program(const child_plan& plan) {
  int status_fd = plan.status_fd;
  dup2(plan.output_fd, STDOUT_FILENO);
  dup2(plan.output_fd, STDERR_FILENO);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0)
    dup2(null_fd, STDIN_FILENO);
  const auto& lim = plan.limits;
  limit(status_fd, RLIMIT_CPU, lim.cpu_seconds, "RLIMIT_CPU");
  if (lim.address_space_bytes > 0)
    limit(status_fd, RLIMIT_AS, lim.address_space_bytes, "RLIMIT_AS");
  limit(status_fd, RLIMIT_FSIZE, lim.file_bytes, "RLIMIT_FSIZE");
  limit(status_fd, RLIMIT_NOFILE, 1024, "RLIMIT_NOFILE");
  if (plan.limit_nproc)
    limit(status_fd, RLIMIT_NPROC, plan.nproc, "RLIMIT_NPROC");
  if (plan.uid != 0) {
    if (setgroups(0, nullptr) != 0 || setgid(plan.uid) != 0 || setuid(plan.uid) != 0)
      fail(status_fd, "switching to the sandbox user");
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (chdir(plan.cwd.c_str()) != 0)
    fail(status_fd, "entering the working folder");
  execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  fail(status_fd, "exec");
}

/// Pid 1 of the namespace: starts the program, reports how it ended on the status pipe, and exits,
/// which kills whatever the program left behind.
[[noreturn]] void become_init(const child_plan& plan) {
  // Its own /proc: only this namespace's processes, and of those only the sandbox user's own (not
  // init's, whose command line is the grader's, with every submission's path).
  if (plan.use_namespaces &&
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0)
    fail(plan.status_fd, "mounting a private /proc");
  pid_t program = fork();
  if (program < 0)
    fail(plan.status_fd, "fork");
  if (program == 0)
    become_program(plan);
  close(plan.output_fd);
  int st = 0;
  while (waitpid(program, &st, 0) < 0 && errno == EINTR) {
  }
  put(plan.status_fd, WIFSIGNALED(st) ? "S" : "E");
  put_number(plan.status_fd, WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  put(plan.status_fd, "\n");
  _exit(0);
}

void make_dir(const std::string& path, mode_t mode, unsigned uid) {
  mkdir(path.c_str(), mode);
  chmod(path.c_str(), mode); // whatever the umask
  if (uid != 0)
    chown(path.c_str(), uid, uid);
}

/// The run's own view of the filesystem (see mounts_of): first the folders to keep are opened,
/// then the slot's tmpfs covers /tmp, then the steps in path order.
void build_view(const child_plan& plan) {
  int status_fd = plan.status_fd;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail(status_fd, "making mounts private");
  std::array<int, max_mount_steps> kept{};
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    if (plan.steps[i].how == mount_step::kind::bind_host &&
        (kept[i] = open(plan.steps[i].source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
      fail(status_fd, "opening a folder to keep");
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, plan.slot_tmpfs_options.c_str()) != 0)
    fail(status_fd, "mounting the slot's tmpfs");
  make_dir(slot_root, 0755, 0);
  for (const auto& dir : plan.slot_dirs)
    make_dir(dir, 01777, 0);
  if (!plan.slot_cwd.empty())
    make_dir(plan.slot_cwd, 0700, plan.uid);
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& step = plan.steps[i];
    const char* target = step.target.c_str();
    for (const auto& parent : step.parents)
      mkdir(parent.c_str(), 0755); // they exist already, except inside a covering tmpfs
    int rc = 0;
    if (step.how == mount_step::kind::tmpfs)
      rc = mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, step.options.c_str());
    else if (step.how == mount_step::kind::bind_slot)
      rc = mount(step.source.c_str(), target, nullptr, MS_BIND, nullptr);
    else if ((rc = fchdir(kept[i])) == 0) // "." is the folder opened before /tmp was covered
      rc = mount(".", target, nullptr, MS_BIND | MS_REC, nullptr);
    if (rc != 0)
      fail(status_fd, "mounting a private folder");
    if (step.read_only &&
        mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      fail(status_fd, "making a folder read-only");
  }
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    if (plan.steps[i].how == mount_step::kind::bind_host)
      close(kept[i]);
  if (chdir("/") != 0)
    fail(status_fd, "chdir /");
}

/// True when the slot's tmpfs at `tmp` has (almost) no room left: it was filled, whatever the
/// program said. Only a system call: the helper asks it after a run, the grader after a timeout.
bool nearly_full(const char* tmp, const sandbox_limits& limits) {
  struct statfs fs_stats {};
  if (statfs(tmp, &fs_stats) != 0)
    return false;
  auto free_bytes = static_cast<std::uint64_t>(fs_stats.f_bavail) * fs_stats.f_bsize;
  return free_bytes < std::max<std::uint64_t>(64u << 10, limits.scratch_bytes / 64);
}

/// After the run: say on the status pipe that the slot's tmpfs was filled.
void report_full_disk(const child_plan& plan) {
  if (nearly_full("/tmp", plan.limits))
    put(plan.status_fd, "D\n");
}

/// The helper: joins the slot's cgroups, enters new namespaces, then starts the namespace's init.
[[noreturn]] void become_helper(const child_plan& plan) {
  int status_fd = plan.status_fd;
  setpgid(0, 0);
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  for (const auto& file : plan.cgroup_procs) {
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      fail(status_fd, "joining a cgroup");
    put_number(fd, getpid());
    close(fd);
  }
  if (plan.use_namespaces) {
    if (unshare(namespace_flags) != 0)
      fail(status_fd, "unshare");
    build_view(plan);
    bring_loopback_up(); // best effort: a spec that needs loopback says so itself
  }
  pid_t init = fork(); // pid 1 of the new PID namespace
  if (init < 0)
    fail(status_fd, "fork");
  if (init == 0)
    become_init(plan);
  close(plan.output_fd);
  int st = 0;
  while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
  }
  if (plan.use_namespaces)
    report_full_disk(plan);
  _exit(0);
}

/// How the run ended, from the status line init wrote ("E0", "S11", or "X" and a setup failure).
void read_status(const std::string& status_text, sandbox_result& result) {
  if (!status_text.empty() && status_text[0] == 'X')
    result.error = "sandbox: " + status_text.substr(1, status_text.find('\n') - 1);
  else if (!status_text.empty() && status_text[0] == 'S')
    result.signal = std::atoi(status_text.c_str() + 1);
  else if (!status_text.empty() && status_text[0] == 'E')
    result.exit_code = std::atoi(status_text.c_str() + 1);
  else if (!result.timed_out)
    result.error = "sandbox: the run ended without a status";
}

/// What the kernel counted during the run.
struct limit_evidence {
  bool processes = false;       // the pids cgroup refused a fork
  bool oom_kill = false;        // the memory cgroup's OOM killer killed a process
  bool memory_at_limit = false; // its usage met the memory cgroup's limit
  bool disk_full = false;       // the slot's tmpfs was (almost) full at the end
};

/// Which limit, if any, ended the run (or one of its processes): the kernel's counts, its signal,
/// or its last words.
std::string limit_hit_of(const sandbox_result& result, const limit_evidence& counted) {
  const auto& o = result.output;
  auto said = [&](const char* words) { return !result.ok() && o.find(words) != o.npos; };
  // A judge that gave up on its subject's handler (dca::bridge, "dca judge (timeout): ...", status
  // 4) timed out as surely as a run the sandbox stopped: the memory cgroup may explain it.
  bool judge_timed_out =
      result.exit_code == 4 && o.find("dca judge (timeout): ") != std::string::npos;
  if (counted.oom_kill || ((result.timed_out || judge_timed_out) && counted.memory_at_limit))
    return "memory";
  if (result.signal == SIGXCPU || (result.signal == SIGKILL && !result.timed_out))
    return "cpu";
  if (result.signal == SIGXFSZ)
    return "file size";
  if (counted.processes)
    return "processes";
  if (counted.disk_full)
    return "disk";
  if (said("std::bad_alloc") || said("Cannot allocate memory") || said("out of memory"))
    return "memory";
  if (said("Resource temporarily unavailable"))
    return "processes";
  if (said("No space left on device"))
    return "disk";
  return {};
}

/// The namespace's processes die with its init, but the kernel reaps them asynchronously: wait
/// until the slot's cgroup is empty, so the next run in this slot starts from zero processes.
void empty_cgroup(const fs::path& pids_cgroup) {
  if (pids_cgroup.empty())
    return;
  for (int attempt = 0; attempt < 300; ++attempt) {
    std::ifstream procs{pids_cgroup / "cgroup.procs"};
    pid_t pid = 0;
    bool any = false;
    while (procs >> pid) {
      any = true;
      kill(pid, SIGKILL); // only ever our own sandboxed processes: they are in our cgroup
    }
    if (!any)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Starts the helper with `plan` and collects what the run printed and how it ended.
sandbox_result run_plan(const fs::path& pids_cgroup, const fs::path& memory_cgroup,
                        child_plan& plan) {
  std::uint64_t pids_events_before = pids_cgroup.empty() ? 0 : pids_limit_events(pids_cgroup);
  std::uint64_t oom_kills_before = memory_cgroup.empty() ? 0 : oom_kills(memory_cgroup);
  auto limit_hits_before = memory_cgroup.empty() ? 0 : memory_limit_hits(memory_cgroup);
  int out[2], status_pipe[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"cannot create a pipe: "} + std::strerror(errno));
  plan.output_fd = out[1];
  plan.status_fd = status_pipe[1];
  auto started = std::chrono::steady_clock::now();
  pid_t helper = fork();
  if (helper < 0)
    throw std::runtime_error(std::string{"cannot start a process: "} + std::strerror(errno));
  if (helper == 0) {
    close(out[0]);
    close(status_pipe[0]);
    become_helper(plan);
  }
  // The grader: collect output and status until both pipes close or the deadline passes.
  setpgid(helper, helper);
  close(out[1]);
  close(status_pipe[1]);
  pipes_plan reading;
  reading.output_fd = out[0];
  reading.status_fd = status_pipe[0];
  reading.deadline = started + plan.limits.wall;
  reading.output_bytes_max = plan.limits.output_bytes;
  reading.output_ends_with_status = !plan.use_namespaces;
  auto read = read_pipes(reading);
  // A run killed at the clock never gets to say that its disk was full (the helper that would is
  // killed with it), so look now, while the helper keeps the run's mount namespace and its tmpfs
  // alive: through /proc/HELPER/root, the grader sees the helper's /tmp.
  bool full_at_timeout =
      read.timed_out && plan.use_namespaces &&
      nearly_full(("/proc/" + std::to_string(helper) + "/root/tmp").c_str(), plan.limits);
  kill(-helper, SIGKILL); // the helper, init and, without namespaces, whatever shares the group
  close(out[0]);
  close(status_pipe[0]);
  int st = 0;
  waitpid(helper, &st, 0);
  empty_cgroup(pids_cgroup);
  sandbox_result result;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  result.timed_out = read.timed_out;
  result.output = std::move(read.output);
  read_status(read.status, result);
  limit_evidence counted;
  counted.processes = !pids_cgroup.empty() && pids_limit_events(pids_cgroup) > pids_events_before;
  counted.oom_kill = !memory_cgroup.empty() && oom_kills(memory_cgroup) > oom_kills_before;
  counted.memory_at_limit =
      !memory_cgroup.empty() && memory_limit_hits(memory_cgroup) > limit_hits_before;
  counted.disk_full = full_at_timeout || read.status.find("D\n") != std::string::npos;
  result.limit_hit = limit_hit_of(result, counted);
  return result;
}

} // namespace

sandbox_result sandbox::run(int slot, const sandbox_request& request) const {
  const auto& s = slots_.at(static_cast<std::size_t>(slot));
  if (request.argv.empty() || !fs::path{request.argv[0]}.is_absolute())
    throw std::logic_error("sandbox::run needs an absolute program path");
  child_plan plan;
  plan.argv_strings = request.argv;
  plan.argv = c_array(plan.argv_strings);
  plan.env_strings = environment_of(request);
  plan.envp = c_array(plan.env_strings);
  plan.cwd = request.cwd.string();
  if (namespaces_)
    plan.steps = mounts_of(request, plan);
  plan.limits = request.limits;
  plan.slot_tmpfs_options = "size=" + std::to_string(plan.limits.scratch_bytes) + ",mode=1777";
  for (const auto& g : s.cgroups)
    plan.cgroup_procs.push_back((g / "cgroup.procs").string());
  if (!s.pids_cgroup.empty())
    write_file(s.pids_cgroup / "pids.max", std::to_string(plan.limits.tasks_max));
  if (!s.memory_cgroup.empty())
    set_memory_limit(s.memory_cgroup, plan.limits.memory_bytes);
  plan.use_namespaces = namespaces_;
  plan.uid = s.uid;
  // RLIMIT_NPROC counts every task of the user: for the slot's own user that is the run alone;
  // running as ourselves (not root), it is what we already have plus the run's share.
  plan.nproc = s.uid != 0 ? plan.limits.tasks_max : tasks_of(getuid()) + plan.limits.tasks_max;
  plan.limit_nproc = s.uid != 0 || geteuid() != 0;
  return run_plan(s.pids_cgroup, s.memory_cgroup, plan);
}

} // namespace dca::cli
