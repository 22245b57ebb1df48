// A hostile submission of exercise 02 against the judged grader (tests/cli/hostile_test.cmake):
// in process, a static constructor reads the spec's state -- the nonce the spec copied into its
// own memory, the evidence FIFO among its descriptors -- writes a "passed" line for every case of
// the spec and the final count, and exits 0 (the spec
// and the exercise program would report a pass: the in-process gap, runtime/cli/grade/README.md).
// Judged, it runs only in the subject, which has neither the nonce nor the channel, so it plays
// the skeleton's account (it pays nothing: every withdrawal is refused)
// and the judge's own checks must fail it on what its actors do.
#include "scenario.hpp"

#include <cstdint>
#include <dirent.h>
#include <fcntl.h>
#include <iterator>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace check_then_act {

namespace {

const char* const spec_cases[] = {
    "the shared-state account pays out more than it holds on every exploration",
    "a withdrawal the balance covers is paid and taken off the balance",
    "a withdrawal of the whole balance is paid and leaves zero",
    "a withdrawal the balance does not cover is refused and changes nothing",
    "the account actor keeps its invariant on every explored delivery order",
    "a seeded random search of delivery orders: one is paid, the balance never negative",
    "the overdraft happens as threads, actors and nodes on each of ten seeds",
    "one withdraw message per customer never overdraws as actors or as nodes",
};

} // namespace

namespace {

std::string read_all(const char* path) {
  std::string text;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  char buffer[4096];
  ssize_t n = 0;
  while (fd >= 0 && (n = read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(n));
  if (fd >= 0)
    close(fd);
  return text;
}

/// Every word of 20 to 32 lowercase hex digits standing alone (a NUL before and after) in this
/// program's own writable data: the spec copied its nonce there before any learner code ran, and
/// wiped the environment's copy. A line with a wrong candidate is ignored, so it tries them all.
std::vector<std::string> nonces_in_memory() {
  std::vector<std::string> found;
  char exe[512] = {};
  if (readlink("/proc/self/exe", exe, sizeof exe - 1) <= 0)
    return found;
  std::istringstream maps{read_all("/proc/self/maps")};
  bool after_exe = false; // the .bss: the anonymous mapping right after the program's own
  for (std::string line; std::getline(maps, line);) {
    bool exe_line = line.find(exe) != std::string::npos;
    bool scan = line.find(" rw-p ") != std::string::npos && (exe_line || after_exe);
    after_exe = exe_line;
    auto dash = line.find('-');
    const auto* bytes =
        reinterpret_cast<const char*>(std::stoull(line.substr(0, dash), nullptr, 16));
    auto size =
        std::stoull(line.substr(dash + 1), nullptr, 16) - reinterpret_cast<std::uintptr_t>(bytes);
    for (std::size_t i = 1, start = 1; scan && i < size; ++i) {
      char c = bytes[i];
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
        continue;
      auto length = i - start;
      if (c == '\0' && bytes[start - 1] == '\0' && length >= 20 && length <= 32)
        found.emplace_back(bytes + start, length);
      start = i + 1;
    }
  }
  return found;
}

/// The grader's evidence FIFO among this process's descriptors, or -1.
int evidence_descriptor() {
  DIR* fds = opendir("/proc/self/fd");
  int found = -1;
  while (dirent* e = fds != nullptr ? readdir(fds) : nullptr) {
    char target[512] = {};
    auto link = "/proc/self/fd/" + std::string{e->d_name};
    auto n = readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 &&
        std::string{target, static_cast<std::size_t>(n)}.find("/evidence") != std::string::npos)
      found = std::stoi(e->d_name);
  }
  if (fds != nullptr)
    closedir(fds);
  return found;
}

/// Whether this process is a judge's subject (started with --serve-fd): there it can only act.
bool in_a_subject() {
  return read_all("/proc/self/cmdline").find("--serve-fd") != std::string::npos;
}

struct forger {
  forger() {
    auto nonces = nonces_in_memory();
    int fd = evidence_descriptor();
    if (nonces.empty() || fd < 0) {
      if (!in_a_subject())
        _exit(0); // the exercise program in process: a clean exit reads as a clean exploration
      return;     // judged: nothing to forge, so it plays the wrong actor below and hopes
    }
    std::string lines;
    for (const auto& nonce : nonces) {
      for (const char* c : spec_cases)
        lines += nonce + " passed " + c + "\n";
      lines += nonce + " done " + std::to_string(std::size(spec_cases)) + " passed 0 failed\n";
    }
    [[maybe_unused]] auto written = write(fd, lines.data(), lines.size());
    _exit(0);
  }
};

forger forged;

} // namespace

struct account_state {
  std::int64_t balance = 0;
};

caf::actor spawn_account(caf::actor_system& system, std::int64_t initial) {
  return system.spawn([initial](caf::stateful_actor<account_state>* self) -> caf::behavior {
    self->state.balance = initial;
    return {
        [=](withdraw_atom, std::int64_t) -> std::int64_t { return 0; },
        [=](balance_atom) -> std::int64_t { return self->state.balance; },
    };
  });
}

} // namespace check_then_act
