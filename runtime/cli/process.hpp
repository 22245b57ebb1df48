// Running other programs from dca: the build (cmake --build) and the exercise programs, with a time
// limit, their output captured, and the whole process group killed when the limit passes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dca::cli {

struct process_result {
  int exit_code = -1;       // the exit status, or -1 when killed by a signal
  int signal = 0;           // the signal that ended it, if any
  bool timed_out = false;   // we killed it at the time limit
  bool interrupted = false; // Ctrl-C (SIGINT) or SIGTERM came: we killed its process group
  std::string output;       // stdout and stderr, interleaved as written

  bool ok() const noexcept { return exit_code == 0 && !timed_out; }
};

/// Runs `argv` (argv[0] is a path or a name on PATH), waits at most `limit`, and returns what it
/// printed. Extra environment variables are added to ours.
process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env = {});

/// The same, calling `on_tick` every few seconds while it waits (for "still running" lines).
process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env,
                            const std::function<void()>& on_tick);

/// While run_captured waits, SIGINT and SIGTERM are caught (the child runs in its own process
/// group, so the terminal's Ctrl-C reaches only dca): the child's whole group is killed and the
/// result says `interrupted`. The handlers in place before are restored afterwards.

/// Replaces this process with `argv` (stdio is inherited): for `dca run` and `dca explore`.
[[noreturn]] void exec_program(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env = {});

/// The same, calling `on_tick` every few seconds while it waits (for "still running" lines).
process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env,
                            const std::function<void()>& on_tick);

} // namespace dca::cli
