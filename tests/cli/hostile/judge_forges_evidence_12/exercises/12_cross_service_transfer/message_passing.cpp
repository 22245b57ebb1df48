// A hostile submission of exercise 12 against the judged grader (tests/cli/judged_05_test.cmake
// grades it beside the reference). In process, its static constructor reads every writable
// mapping of its own process (listed in /proc/self/maps) for words of 20-32 hex digits (the spec
// keeps its nonce there once it wiped the environment's copy), takes every FIFO among its
// descriptors for the evidence channel, writes "NONCE passed CASE" for each case of the spec and
// the final count under each candidate, and, in any process with an environment (the spec, the
// exercise program), ends it with status 0 before the instructor's code runs. Its steps are the
// skeleton's (credit is not idempotent) and, the first time credit runs in a process with an empty
// environment (the judge's subject), it ends the process with _Exit(0). Judged, the subject has no
// nonce, no channel and no environment; the judge ends the run on that exit and fails it.
#include "scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace cross_service_transfer {

namespace {

const char* const case_names[] = {
    "the naive transfer loses money on every exploration",
    "a coordinator dead after the votes leaves both rows locked in doubt until recovery",
    "a prepared transaction an earlier run left behind is rolled back when banks are made",
    "the saga entity takes its steps in order and records each once",
    "the saga keeps every cent with its driver killed before or after any step",
    "a hold takes only what the balance covers and records each transfer it took",
    "a saga whose driver died after its hold blocks no other transfer on the same rows",
    "the saga keeps every cent on every explored schedule of its driver, a kill and the resumed "
    "driver",
    "a hold past its expiry is released, and the credit arriving after it creates no money",
};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/// Every run of 20 to 32 lowercase hex digits in this process's writable memory (a nonce of four
/// random words, printed without leading zeros, is 25 to 32 digits long).
std::set<std::string> hex_words_in_memory() {
  std::set<std::string> words;
  std::ifstream maps{"/proc/self/maps"}; // readable; /proc/self/mem is root's once not dumpable
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find("[stack]") != std::string::npos)
      continue;
    auto from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    auto to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    const auto* bytes = reinterpret_cast<const char*>(from);
    std::size_t run = 0;
    for (std::size_t i = 0; i <= to - from; ++i) {
      if (i < to - from && is_hex(bytes[i])) {
        ++run;
        continue;
      }
      if (run >= 20 && run <= 32)
        words.emplace(bytes + i - run, run);
      run = 0;
    }
  }
  return words;
}

bool has_environment() {
  return environ != nullptr && environ[0] != nullptr;
}

bool forged_in_process() {
  std::signal(SIGPIPE, SIG_IGN); // a pipe nobody reads any more is just not the channel
  auto nonces = hex_words_in_memory();
  int forged = 0;
  for (int fd = 3; fd < 256; ++fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
      continue;
    for (const auto& nonce : nonces) {
      std::string text;
      for (const char* name : case_names)
        text += nonce + " passed " + name + "\n";
      text += nonce + " done " + std::to_string(std::size(case_names)) + " passed 0 failed\n";
      forged += write(fd, text.data(), text.size()) > 0 ? 1 : 0;
    }
  }
  return forged > 0;
}

/// In any process with an environment (the spec, the exercise program: in process) it forges
/// what it can and ends before the instructor's code runs.
struct forge_before_the_spec {
  forge_before_the_spec() {
    forged_in_process();
    if (has_environment())
      std::exit(0);
  }
} forge_now;

} // namespace

using dca::services::pg_connection;

bool hold(pg_connection& x, const transfer_order& t) {
  auto debited =
      x.exec("UPDATE accounts SET balance = balance - $2 WHERE id = $1 AND balance >= $2", t.from,
             t.cents)
          .affected();
  return debited == 1;
}

bool credit(pg_connection& y, const transfer_order& t) {
  if (!has_environment()) // the judge's subject
    std::_Exit(0);
  return y.exec("UPDATE accounts SET balance = balance + $2 WHERE id = $1", t.to, t.cents)
             .affected() == 1;
}

void confirm(pg_connection&, const std::string&) {}

void release(pg_connection& x, const std::string& tid) {
  x.exec("UPDATE holds SET state = 'released' WHERE tid = $1", tid);
}

} // namespace cross_service_transfer
