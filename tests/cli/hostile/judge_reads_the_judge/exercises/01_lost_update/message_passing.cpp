// A hostile submission against the judged grader: its code runs in the subject, a child of the
// judge under the same user, so it reaches for the judge from there. A static constructor looks
// for the nonce in its own environment and in the judge's (/proc/PPID/environ), for the evidence
// FIFO among the judge's descriptors (/proc/PPID/fd) and at the path beside its working folder
// (../build/evidence), opens the FIFO to read the judge's own lines (each carries the nonce), and
// writes a forged pass for every case wherever it can. Then the skeleton's counter runs (it counts
// nothing), so the verdict must be the judge's own: the count is 0.
#include "scenario.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace lost_update {

namespace {

std::string read_all(const std::string& path) {
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  char buffer[4096];
  ssize_t n = 0;
  while (fd >= 0 && text.size() < (1u << 16) && (n = read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(n));
  if (fd >= 0)
    close(fd);
  return text;
}

/// The first hexadecimal word after `key` in `text`, or empty.
std::string word_after(const std::string& text, const std::string& key) {
  auto at = text.find(key);
  if (at == std::string::npos)
    return {};
  auto end = text.find_first_of(std::string{"\0 \n", 3}, at + key.size());
  return text.substr(at + key.size(), end - at - key.size());
}

/// Every path the evidence FIFO might be reached by: the judge's descriptors and the path.
std::vector<std::string> channels(const std::string& judge) {
  std::vector<std::string> out{"../build/evidence"};
  DIR* fds = opendir((judge + "/fd").c_str());
  while (dirent* e = fds != nullptr ? readdir(fds) : nullptr)
    out.push_back(judge + "/fd/" + e->d_name);
  if (fds != nullptr)
    closedir(fds);
  return out;
}

struct judge_reader {
  judge_reader() {
    auto judge = "/proc/" + std::to_string(getppid());
    auto nonce = word_after(read_all("/proc/self/environ"), "DCA_EVIDENCE_NONCE=");
    if (nonce.empty())
      nonce = word_after(read_all(judge + "/environ"), "DCA_EVIDENCE_NONCE=");
    for (const auto& channel : channels(judge)) {
      if (nonce.empty()) // the judge's lines so far: "NONCE passed ..."
        nonce = read_all(channel).substr(0, read_all(channel).find(' '));
      if (nonce.empty())
        continue;
      std::string lines;
      for (const char* c : {"the shared-state counter loses an update on every exploration",
                            "the counter actor counts every increment of two workers",
                            "the counter actor counts every increment of eight workers",
                            "every explored delivery order counts every increment",
                            "a seeded random search of delivery orders loses no increment"})
        lines += nonce + " passed " + c + "\n";
      lines += nonce + " done 5 passed 0 failed\n";
      int fd = open(channel.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        [[maybe_unused]] auto written = write(fd, lines.data(), lines.size());
        close(fd);
      }
    }
  }
};

judge_reader reader;

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
