// The parent's side of running a child process, shared by run_captured (process.hpp) and the
// grading sandbox: read its output pipe (and a status pipe, if it has one) until they close or a
// deadline passes, keeping at most a bounded amount of output (the head and the tail).
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace dca::cli {

/// What the pipes carried.
struct pipes_read {
  bool timed_out = false; // the deadline passed first
  bool stopped = false;   // plan.stop was set first
  std::string output;     // the output kept (head and tail, with a marker, when it was cut)
  std::string status;     // what came on the status pipe
};

/// How to read the pipes.
struct pipes_plan {
  int output_fd = -1;
  int status_fd = -1; // -1: none
  std::chrono::steady_clock::time_point deadline;
  std::size_t output_bytes_max = 64u << 20;
  /// Stop reading the output once the status pipe closes (after draining what is there): without
  /// a PID namespace, something the program left running may hold the output open.
  bool output_ends_with_status = false;
  /// Stop reading when this flag is set (by a signal handler); null: never.
  const volatile std::sig_atomic_t* stop = nullptr;
  /// Called about every `tick` while waiting (progress lines); empty: never.
  std::function<void()> on_tick;
  std::chrono::milliseconds tick{5000};
};

/// Reads until both pipes are closed or the deadline passes. Does not close the descriptors.
pipes_read read_pipes(const pipes_plan& plan);

/// argv or envp for exec: pointers into `strings`, then a null. Prepare before fork.
std::vector<char*> c_array(std::vector<std::string>& strings);

} // namespace dca::cli
