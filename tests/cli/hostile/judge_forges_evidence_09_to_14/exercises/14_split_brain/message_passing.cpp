// A hostile submission of exercise 14 against the judged grader (tests/cli/hostile_test.cmake).
// In process it forges the spec's evidence at its first chance: every 32-hex-digit word in this
// process's writable memory (the spec copied its nonce there) and in the environment is a candidate
// nonce; it writes a "passed" line for each of the spec's six cases and the final count, per
// candidate, to every pipe and regular file among its descriptors, then ends the process with
// status 0 (the exercise program, with no channel to forge, just ends: a clean exploration).
// Judged, its code runs only in the subject, with no nonce, no channel and no environment: there
// it serves the heartbeat's copy without a fence, like the skeleton, and the judge's journal must
// fail it.
#include "scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace split_brain {

namespace {

const char* const cases[] = {
    "the journal judge counts an append that misses the last event, a seq written twice and an "
    "overdraft",
    "the heartbeat standby takes the account over while its owner serves it, on each of ten "
    "seeded explorations, and each failure replays",
    "without fencing, seeded partitions on real threads leave dual-owner appends",
    "the leased take-over keeps one owner on every explored schedule with lost heartbeats",
    "a seeded random search with lost heartbeats: one owner at a time",
    "with the lease's revision as the journal's fence, seeded partitions leave no stale-owner "
    "append",
};

/// Candidate nonces it tries at most: their lines must fit the evidence pipe together.
constexpr std::size_t candidates_max = 16;

bool hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/// The last 32 characters of every run of 32 or more lowercase hex digits in [from, to) that a NUL
/// ends (a C string, as a nonce kept in memory is; the byte before it may be anything, a pointer's
/// too), at most `max` of them.
void hex_words(const char* from, const char* to, std::vector<std::string>& out, std::size_t max) {
  const char* start = from;
  for (const char* p = from; p < to && out.size() < max; ++p) {
    if (hex(*p))
      continue;
    if (p - start >= 32 && *p == '\0')
      out.emplace_back(p - 32, 32);
    start = p + 1;
  }
}

std::vector<std::string> candidate_nonces() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    hex_words(*e, *e + std::string{*e}.size() + 1, out, candidates_max);
  std::ifstream maps_file{"/proc/self/maps"};
  std::stringstream maps;
  maps << maps_file.rdbuf();
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find('[') != std::string::npos)
      continue; // writable data of the program and its libraries only; no stack, no vvar
    auto dash = line.find('-');
    auto from = std::stoull(line.substr(0, dash), nullptr, 16);
    auto to = std::stoull(line.substr(dash + 1), nullptr, 16);
    hex_words(reinterpret_cast<const char*>(from), reinterpret_cast<const char*>(to), out,
              candidates_max);
  }
  return out;
}

/// Writes the forged lines to every pipe and regular file it holds open, one write per candidate
/// nonce (under a pipe's atomic size, so a full pipe loses whole candidates, not the right one's
/// half); whether any write went through.
bool forge(const std::vector<std::string>& nonces) {
  std::signal(SIGPIPE, SIG_IGN); // a pipe nobody reads must not end the forgery early
  bool wrote = false;
  for (int fd = 3; fd < 256; ++fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode)))
      continue;
    for (const auto& n : nonces) {
      std::string lines;
      for (const char* c : cases)
        lines += n + " passed " + c + "\n";
      lines += n + " done " + std::to_string(std::size(cases)) + " passed 0 failed\n";
      wrote = write(fd, lines.data(), lines.size()) > 0 || wrote;
    }
  }
  return wrote;
}

bool in_a_subject() {
  std::ifstream cmdline{"/proc/self/cmdline"};
  std::stringstream text;
  text << cmdline.rdbuf();
  return text.str().find("--serve-fd") != std::string::npos;
}

} // namespace

void take_over_with_lease(node_actor* self, std::function<void(ownership)> serve) {
  if (!in_a_subject()) {
    forge(candidate_nonces());
    std::quick_exit(0); // the spec "passed" on the forged lines; the explorer "found nothing"
  }
  serve(self->state.copy); // judged: nothing to forge, so it plays the skeleton and hopes
}

} // namespace split_brain
