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

} // namespace

process_result run_captured(const std::vector<std::string>& argv, std::chrono::seconds limit,
                            const std::map<std::string, std::string>& env) {
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
  auto read = read_pipes(plan);
  process_result result;
  result.output = std::move(read.output);
  result.timed_out = read.timed_out;
  if (result.timed_out)
    kill(-pid, SIGKILL);
  close(fds[0]);
  int status = 0;
  if (!result.timed_out) {
    // The output ended; the child may still be finishing. Give it the rest of its time.
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        kill(-pid, SIGKILL);
        break;
      }
      pollfd none{-1, 0, 0};
      poll(&none, 0, 10);
    }
  }
  if (result.timed_out)
    waitpid(pid, &status, 0);
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
