// The program's side of stack reports (dca/harness/stack_report.hpp): signal handlers that write
// each thread's return addresses with write(2) only, one whole block per thread in one write (a
// pipe keeps a write of up to PIPE_BUF bytes whole, so threads' blocks do not interleave).
#include "dca/harness/stack_report.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <initializer_list>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dca::harness {

namespace {

/// SIGUSR1 asks every thread; each answers on this signal.
constexpr int thread_report_signal = SIGUSR2;
constexpr int frames_max = 48;

int report_fd = STDERR_FILENO;
std::uintptr_t executable_base = 0;

int note_base(dl_phdr_info* info, std::size_t, void*) {
  executable_base = info->dlpi_addr; // the first object is the executable itself
  return 1;
}

/// Appends `text` to the block at `at` (bounded by `end`).
char* put(char* at, const char* end, const char* text) {
  while (*text != '\0' && at < end)
    *at++ = *text++;
  return at;
}

char* put_hex(char* at, const char* end, std::uintptr_t value) {
  char digits[2 * sizeof value + 1];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  at = put(at, end, "0x");
  while (n > 0 && at < end)
    *at++ = digits[--n];
  return at;
}

/// Writes this thread's stack as one block (its first frames are the handler's own).
void write_stack(const char* why) {
  void* frames[frames_max];
  int n = backtrace(frames, frames_max);
  char block[4000];
  const char* end = block + sizeof block - 32;
  char* at = put(block, end, "dca-stack ");
  at = put(at, end, why);
  at = put(at, end, "\n");
  for (int i = 0; i < n; ++i) {
    at = put(at, end, "dca-frame ");
    at = put_hex(at, end, reinterpret_cast<std::uintptr_t>(frames[i]) - executable_base);
    at = put(at, end, "\n");
  }
  at = put(at, block + sizeof block, "dca-stack-end\n");
  [[maybe_unused]] auto written = write(report_fd, block, static_cast<std::size_t>(at - block));
}

const char* signal_name(int sig) {
  switch (sig) {
  case SIGSEGV:
    return "SIGSEGV";
  case SIGBUS:
    return "SIGBUS";
  case SIGFPE:
    return "SIGFPE";
  case SIGILL:
    return "SIGILL";
  case SIGABRT:
    return "SIGABRT";
  default:
    return "signal";
  }
}

/// A crash: report where, then die of the same signal (SA_RESETHAND restored the default).
void on_crash(int sig) {
  write_stack(signal_name(sig));
  raise(sig);
}

void on_thread_report(int) {
  write_stack("stopped");
}

/// The time limit: ask every thread of the process for its stack.
void on_stop_report(int) {
  int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
  if (dir < 0)
    return;
  char buffer[4096];
  long n;
  while ((n = syscall(SYS_getdents64, dir, buffer, sizeof buffer)) > 0)
    for (long at = 0; at < n;) {
      auto* entry = reinterpret_cast<dirent64*>(buffer + at);
      if (entry->d_name[0] != '.')
        syscall(SYS_tgkill, getpid(), std::atoi(entry->d_name), thread_report_signal);
      at += entry->d_reclen;
    }
  close(dir);
}

void handle(int sig, void (*handler)(int), int flags) {
  struct sigaction act {};
  act.sa_handler = handler;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  sigaction(sig, &act, nullptr);
}

} // namespace

void install_stack_reports() {
  static std::atomic<bool> installed{false};
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return; // the sanitizers report crashes themselves, with their own handlers
#endif
  if (std::getenv(stack_reports_env) == nullptr || installed.exchange(true))
    return;
  if (const char* fd = std::getenv(stack_report_fd_env))
    report_fd = std::atoi(fd);
  dl_iterate_phdr(note_base, nullptr);
  void* warm[1];
  backtrace(warm, 1); // loads the unwinder now: it allocates the first time, never in a handler
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    handle(sig, on_crash, SA_RESETHAND | SA_NODEFER);
  handle(stack_report_signal, on_stop_report, SA_RESTART);
  handle(thread_report_signal, on_thread_report, SA_RESTART);
}

} // namespace dca::harness

// Runs before main in every program linked with dca::harness (CMake forces this symbol into the
// link, so a spec whose main is doctest's gets it too).
extern "C" {
int dca_harness_stack_reports = (dca::harness::install_stack_reports(), 0);
}
