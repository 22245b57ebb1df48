// The reproduction of the grader's old open gap (runtime/cli/grade/README.md), graded by CI: the
// skeleton's counter, plus a static constructor that looks for the evidence channel from inside
// its own process -- the nonce in the process's first environment block (/proc/self/environ keeps
// it after unsetenv), the FIFO among its own descriptors -- writes a "passed" line for every case
// of the spec and the final count, and exits 0. When the spec linked the learner's file this got
// 10/10. Judged, this code runs only in the subject process, which has neither the nonce nor the
// channel: it exits 0 before its first handler, and the judge says so.
#include "scenario.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace lost_update {

namespace {

std::string nonce_from_first_environment() {
  std::string env;
  int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  char buffer[4096];
  ssize_t n = 0;
  while (fd >= 0 && (n = read(fd, buffer, sizeof buffer)) > 0)
    env.append(buffer, static_cast<std::size_t>(n));
  if (fd >= 0)
    close(fd);
  const std::string key = "DCA_EVIDENCE_NONCE=";
  auto at = env.find(key);
  if (at == std::string::npos)
    return {};
  auto end = env.find('\0', at);
  return env.substr(at + key.size(), end - at - key.size());
}

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

struct forger {
  forger() {
    auto nonce = nonce_from_first_environment();
    int fd = evidence_descriptor();
    if (nonce.empty() || fd < 0)
      _exit(0); // the exercise program: a clean exit reads as a clean exploration
    const char* cases[] = {
        "the shared-state counter loses an update on every exploration",
        "the counter actor counts every increment of two workers",
        "the counter actor counts every increment of eight workers",
        "every explored delivery order counts every increment",
        "a seeded random search of delivery orders loses no increment",
    };
    std::string lines;
    for (const char* c : cases)
      lines += nonce + " passed " + c + "\n";
    lines += nonce + " done 5 passed 0 failed\n";
    [[maybe_unused]] auto written = write(fd, lines.data(), lines.size());
    _exit(0);
  }
};

forger forged;

} // namespace

struct counter_state {
  std::int64_t count = 0;
};

caf::actor spawn_counter(caf::actor_system& system) {
  return system.spawn([](caf::stateful_actor<counter_state>*) -> caf::behavior {
    return {
        [=](inc_atom) {},
        [=](get_atom) -> std::int64_t { return 0; },
    };
  });
}

caf::behavior worker(caf::event_based_actor*, caf::actor, std::int64_t) {
  return {};
}

} // namespace lost_update
