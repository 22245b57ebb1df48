// fork/exec with a pipe and a deadline. The child gets its own process group, so a test that
// forks or hangs is killed whole.
#include "process.hpp"

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

std::vector<char*> c_args(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv)
    out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

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
    auto args = c_args(argv);
    execvp(args[0], args.data());
    std::cerr << "cannot run " << argv[0] << ": " << std::strerror(errno) << '\n';
    _exit(127);
  }
  setpgid(pid, pid);
  close(fds[1]);
  process_result result;
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    auto n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0)
      break; // end of output: the child (and everything it started) closed the pipe
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
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
  auto args = c_args(argv);
  execvp(args[0], args.data());
  throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(errno));
}

} // namespace dca::cli
