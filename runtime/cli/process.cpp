// fork/exec with a pipe and a deadline (the pipe read by child_process.hpp, as the sandbox's are).
// The child gets its own process group, so a test that forks or hangs is killed whole.
#include "process.hpp"

#include "child_process.hpp"
#include "dca/harness/stack_report.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace dca::cli {

namespace {

void set_env(const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env)
    setenv(k.c_str(), v.c_str(), 1);
}

volatile std::sig_atomic_t stop_asked = 0;

/// How long a program stopped at its limit has to report its stacks.
constexpr auto stack_report_wait = std::chrono::milliseconds(1000);

void on_stop(int) {
  stop_asked = 1;
}

/// Catches SIGINT and SIGTERM while it lives, and puts the handlers before it back.
class catch_stop {
public:
  catch_stop() {
    stop_asked = 0;
    struct sigaction act {};
    act.sa_handler = on_stop;
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, &old_int_);
    sigaction(SIGTERM, &act, &old_term_);
  }
  ~catch_stop() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  catch_stop(const catch_stop&) = delete;
  catch_stop& operator=(const catch_stop&) = delete;

private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// Waits for `pid` after its output ended, until `deadline` or a stop: true if it was reaped.
bool reap_until(pid_t pid, std::chrono::steady_clock::time_point deadline, int& status) {
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline || stop_asked != 0)
      return false;
    pollfd none{-1, 0, 0};
    poll(&none, 0, 10);
  }
  return true;
}

} // namespace

process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env) {
  return run_captured(argv, limit, env, {});
}

namespace {

/// How a child's output is wired: captured (stdout and stderr into the pipe) or watched (stdio
/// inherited, only its stack reports into the pipe, as descriptor 3).
enum class wiring { captured, watched };

constexpr int report_fd_in_child = 3;

[[noreturn]] void become_child(std::vector<char*>& args, int fds[2], wiring how,
                               const std::map<std::string, std::string>& env) {
  setpgid(0, 0);
  if (how == wiring::captured) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
  } else {
    dup2(fds[1], report_fd_in_child);
  }
  if (fds[0] != report_fd_in_child)
    close(fds[0]);
  if (fds[1] != report_fd_in_child)
    close(fds[1]);
  set_env(env);
  execvp(args[0], args.data());
  std::cerr << "cannot run " << args[0] << ": " << std::strerror(errno) << '\n';
  _exit(127);
}

/// At the time limit: ask the child for its threads' stacks (an exercise program answers on the
/// pipe; anything else ignores or dies of the signal) and read them for a moment.
void ask_for_stacks(pid_t pid, const pipes_plan& plan, std::string& output) {
  kill(pid, harness::stack_report_signal);
  auto more = plan;
  more.deadline = std::chrono::steady_clock::now() + stack_report_wait;
  more.on_tick = nullptr;
  output += read_pipes(more).output;
}

process_result run_child(const std::vector<std::string>& argv, std::chrono::seconds limit,
                         std::map<std::string, std::string> env,
                         const std::function<void()>& on_tick, wiring how) {
  catch_stop stop;
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(std::string{"cannot create a pipe: "} + std::strerror(errno));
  env[harness::stack_reports_env] = "1";
  if (how == wiring::watched)
    env[harness::stack_report_fd_env] = std::to_string(report_fd_in_child);
  auto strings = argv;
  auto args = c_array(strings); // before fork: the child only makes system calls
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"cannot start a process: "} + std::strerror(errno));
  if (pid == 0)
    become_child(args, fds, how, env);
  setpgid(pid, pid);
  close(fds[1]);
  auto deadline = std::chrono::steady_clock::now() + limit;
  pipes_plan plan;
  plan.output_fd = fds[0];
  plan.deadline = deadline;
  plan.stop = &stop_asked;
  plan.on_tick = on_tick;
  auto read = read_pipes(plan);
  process_result result;
  result.output = std::move(read.output);
  result.timed_out = read.timed_out;
  if (read.timed_out)
    ask_for_stacks(pid, plan, result.output);
  close(fds[0]);
  int status = 0;
  // The output ended; the child may still be finishing. Give it the rest of its time.
  bool reaped = !read.timed_out && !read.stopped && reap_until(pid, deadline, status);
  if (!reaped) {
    result.interrupted = stop_asked != 0;
    result.timed_out = !result.interrupted;
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  kill(-pid, SIGKILL); // anything the child left running in its group
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  return result;
}

} // namespace

process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env,
                            const std::function<void()>& on_tick) {
  return run_child(argv, limit, env, on_tick, wiring::captured);
}

process_result run_watched(const std::vector<std::string>& argv, std::chrono::seconds limit,
                           const std::map<std::string, std::string>& env,
                           const std::function<void()>& on_tick) {
  return run_child(argv, limit, env, on_tick, wiring::watched);
}

std::chrono::seconds time_limit_from_env(std::chrono::seconds fallback) {
  const char* text = std::getenv("DCA_TIME_LIMIT_S");
  auto value = text != nullptr ? std::atoi(text) : 0;
  return value > 0 ? std::chrono::seconds(value) : fallback;
}

} // namespace dca::cli
