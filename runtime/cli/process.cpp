// fork/exec with a pipe and a deadline (the pipe read by child_process.hpp, as the sandbox's are).
// The child gets its own process group, so a test that forks or hangs is killed whole.
#include "process.hpp"

#include "child_process.hpp"

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

process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env,
                            const std::function<void()>& on_tick) {
  catch_stop stop;
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(std::string{"cannot create a pipe: "} + std::strerror(errno));
  auto strings = argv;
  auto args = c_array(strings); // before fork: the child only makes system calls
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"cannot start a process: "} + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    set_env(env);
    execvp(args[0], args.data());
    std::cerr << "cannot run " << argv[0] << ": " << std::strerror(errno) << '\n';
    _exit(127);
  }
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

void exec_program(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env) {
  set_env(env);
  auto strings = argv;
  auto args = c_array(strings);
  execvp(args[0], args.data());
  throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(errno));
}

} // namespace dca::cli
