// The grading sandbox: runs a learner's program (or the compiler on a learner's source) so that a
// submission that loops, forks, crashes, eats memory or fills the disk gets a clear verdict and
// cannot disturb the grader or the other submissions graded beside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dca::cli {

/// What one sandboxed process (and everything it starts) may use.
struct sandbox_limits {
  std::chrono::seconds wall{60};                  // wall clock, then the whole group is killed
  std::uint64_t cpu_seconds = 240;                // RLIMIT_CPU per process (SIGXCPU)
  std::uint64_t address_space_bytes = 4ull << 30; // RLIMIT_AS per process (0: none, e.g. TSan)
  std::uint64_t file_bytes = 64ull << 20;         // RLIMIT_FSIZE: the largest file it may write
  std::uint64_t tasks_max = 128;             // processes and threads (pids cgroup, RLIMIT_NPROC)
  std::uint64_t memory_bytes = 2ull << 30;   // all its processes together (memory cgroup; 0: none)
  std::uint64_t scratch_bytes = 64ull << 20; // the one private tmpfs behind every writable place:
                                             // /tmp, /var/tmp, /dev/shm and a private cwd
  std::size_t output_bytes = 256u << 10;     // output kept: the head and the tail
};

/// How one sandboxed run ended.
struct sandbox_result {
  int exit_code = -1;     // its exit status, or -1 when a signal ended it
  int signal = 0;         // the signal that ended it
  bool timed_out = false; // killed at the wall-clock limit
  std::string limit_hit;  // "cpu", "memory", "file size", "processes", "disk" or empty: a limit
                          // hit fails the run even when the program exits 0 (an OOM-killed child)
  std::string output;     // stdout and stderr as written (head and tail when long)
  std::string error;      // the sandbox itself failed (not the learner's fault)
  std::chrono::milliseconds elapsed{0};

  bool ok() const noexcept {
    return error.empty() && !timed_out && exit_code == 0 && limit_hit.empty();
  }
};

/// One run's request.
struct sandbox_request {
  std::vector<std::string> argv; // argv[0] must be an absolute path
  std::filesystem::path cwd;
  bool private_scratch = false;           // mount a fresh size-limited tmpfs at cwd (for test runs)
  std::map<std::string, std::string> env; // added to a minimal environment (PATH, HOME, LANG)
  sandbox_limits limits;
  /// Folders the run sees read-only (the instructor's build and sources, the built spec) and
  /// read-write (the build folder of a compile), wherever they are: under /tmp too. The cwd and
  /// argv[0]'s folder are kept read-only unless listed. Everything else the run can write is the
  /// slot's own tmpfs.
  std::vector<std::filesystem::path> read_only, writable;
  /// A folder hidden behind an empty tmpfs (the parent of every submission's scratch folder):
  /// only the folders above that lie inside it come back.
  std::filesystem::path hidden;
};

/// The isolation this machine allows, probed once; a grader creates one and runs every step of
/// every submission through it. `slots` runs may happen at once; each slot has its own user id,
/// process-count cgroup and CPU share, so one submission's fork bomb cannot starve another's.
class sandbox {
public:
  explicit sandbox(int slots);
  ~sandbox();
  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;

  /// Runs one request in slot `slot` (0 <= slot < slots) and waits for it.
  sandbox_result run(int slot, const sandbox_request& request) const;

  /// Makes `dir` (recursively) writable by slot `slot`'s user, so its compiler can write there.
  void hand_over(int slot, const std::filesystem::path& dir) const;

  /// One line per isolation feature: on, or off and why ("network: not isolated (unshare: EPERM)").
  const std::vector<std::string>& description() const noexcept { return description_; }

  /// The user id slot `slot` runs as (0: not switched).
  unsigned slot_uid(int slot) const { return slots_.at(static_cast<std::size_t>(slot)).uid; }

  /// True when every isolation feature is on.
  bool complete() const noexcept { return complete_; }

  /// True when each slot has a total memory limit (a memory cgroup).
  bool limits_memory() const noexcept { return !slots_.front().memory_cgroup.empty(); }

private:
  void describe_memory(bool root, const std::string& tag);

  struct slot_state {
    unsigned uid = 0;                           // 0: run as ourselves
    std::vector<std::filesystem::path> cgroups; // one per controller (pids, cpu)
    std::filesystem::path pids_cgroup;
    std::filesystem::path memory_cgroup; // empty: no total memory limit
  };
  bool namespaces_ = false;
  bool switch_user_ = false;
  bool complete_ = false;
  std::vector<slot_state> slots_;
  std::vector<std::string> description_;
};

/// "signal 11 (Segmentation fault)".
std::string describe_signal(int signal);

} // namespace dca::cli
