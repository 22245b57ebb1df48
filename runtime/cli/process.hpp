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
/// printed. Extra environment variables are added to ours. An exercise program or spec stopped at
/// the limit, or crashed, also printed its stack report (dca/harness/stack_report.hpp).
process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env = {});

/// The same, calling `on_tick` every few seconds while it waits (for "still running" lines).
process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env,
                            const std::function<void()>& on_tick);

/// While run_captured waits, SIGINT and SIGTERM are caught (the child runs in its own process
/// group, so the terminal's Ctrl-C reaches only dca): the child's whole group is killed and the
/// result says `interrupted`. The handlers in place before are restored afterwards.

/// Runs `argv` with the terminal (stdio inherited), so the learner sees its output and progress as
/// they come, with the same time limit, Ctrl-C handling and `on_tick` as run_captured. The result's
/// output holds only the program's stack reports (dca/harness/stack_report.hpp): where it crashed,
/// or where its threads were when the limit passed.
process_result run_watched(const std::vector<std::string>& argv, std::chrono::seconds limit,
                           const std::map<std::string, std::string>& env,
                           const std::function<void()>& on_tick);

/// The time limit of a program dca runs for the learner: DCA_TIME_LIMIT_S when set (a slow
/// machine, a test), else `fallback`.
std::chrono::seconds time_limit_from_env(std::chrono::seconds fallback);

} // namespace dca::cli
