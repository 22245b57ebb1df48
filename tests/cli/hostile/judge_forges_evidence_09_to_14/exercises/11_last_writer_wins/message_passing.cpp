// A hostile submission of exercise 11 (tests/cli/hostile_test.cmake): it forges the spec's
// evidence three ways before any of the spec's cases runs, from a constructor that runs after the
// spec took its channel: the nonce is looked for in the environment (the spec wipes its copy) and
// as any word of 20-32 hex digits in its writable memory; a "passed" line for each of the
// spec's cases and the final count goes, with every candidate nonce, to every descriptor that is
// not a socket; then it ends the process with status 0. In process that reads as a pass (the gap
// runtime/cli/grade/README.md describes). Judged, this file runs only in the subject, which has no
// nonce, no channel and nothing but its bridge socket: the forgery writes nowhere, and the replica
// it plays keeps the whole cart as one value stamped by its clock, so the judge counts its lost
// acknowledged adds.
#include "scenario.hpp"

#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "dca/crdt/lww_register.hpp"

extern char** environ;

namespace last_writer_wins {

namespace {

// Plain data: the constructor below runs before any std::vector of this file is built.
const char* const case_names[] = {
    "the naive cart loses an acknowledged add on every exploration",
    "last-writer-wins loses acknowledged adds at skew 0, and more as c's clock falls behind",
    "an add through c, whose clock runs a minute behind, survives an earlier add through a",
    "the cart keeps every acknowledged add on every explored schedule with lost and repeated "
    "messages",
    "a seeded random search with lost and repeated messages: every acknowledged add kept",
    "the cart converges with every acknowledged add under seeded fault plans with a partition and "
    "clock skew",
    "a replica refuses a delta from an unknown replica, malformed bytes and an oversized state, "
    "and "
    "its cart is unchanged",
};

bool is_hex_word(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(p[i])) ||
        std::isupper(static_cast<unsigned char>(p[i])))
      return false;
  return true;
}

/// Whether [p, p + n) is a nonce-like word: 20 to 32 lowercase hex digits (the grader's nonce is
/// four random 32-bit numbers in hex, unpadded).
bool nonce_like(const char* p, std::size_t n) {
  return n >= 20 && n <= 32 && is_hex_word(p, n);
}

/// Nonce candidates: an environment value that looks like one, then every such word in memory
/// with a NUL on both sides.
std::set<std::string> candidate_nonces() {
  std::set<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (const char* eq = std::strchr(*e, '='); eq && nonce_like(eq + 1, std::strlen(eq + 1)))
      out.insert(eq + 1);
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    if (perms.rfind("rw", 0) != 0 || line.find('[') != std::string::npos)
      continue;
    auto from = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    auto to = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    const char* p = reinterpret_cast<const char*>(from);
    for (std::size_t i = 1, start = 1; i < to - from; ++i) {
      if (std::isxdigit(static_cast<unsigned char>(p[i])))
        continue;
      if (p[i] == '\0' && p[start - 1] == '\0' && nonce_like(p + start, i - start))
        out.emplace(p + start, i - start);
      start = i + 1;
    }
  }
  return out;
}

/// Writes the forged lines to every descriptor that is not a socket; true when it found any.
bool forge_everywhere() {
  auto nonces = candidate_nonces();
  std::string lines;
  for (const auto& nonce : nonces) {
    for (const auto& name : case_names)
      lines += nonce + " passed " + std::string{name} + "\n";
    lines += nonce + " done " + std::to_string(std::size(case_names)) + " passed 0 failed\n";
  }
  bool wrote = false;
  std::signal(SIGPIPE, SIG_IGN); // a pipe nobody reads must not end the forgery
  for (int fd = 0; fd < 256 && !lines.empty(); ++fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || S_ISSOCK(st.st_mode))
      continue;
    wrote = write(fd, lines.data(), lines.size()) > 0 || wrote;
  }
  return wrote;
}

/// Whether this process is a judge's subject (its command line says --serve-fd).
bool in_a_subject() {
  char buffer[4096] = {};
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  auto n = fd >= 0 ? read(fd, buffer, sizeof buffer - 1) : -1;
  if (fd >= 0)
    close(fd);
  for (ssize_t i = 0; i < n; ++i)
    if (std::strncmp(buffer + i, "--serve-fd", 10) == 0)
      return true;
  return false;
}

__attribute__((constructor(200))) void forge_before_the_spec() {
  forge_everywhere();
  if (!in_a_subject())
    _exit(0); // in process: the forged lines, then a clean exit before any case runs
}

/// The replica it plays when it cannot forge: the whole cart, stamped by the replica's clock.
using cart = dca::crdt::lww_register<std::set<item>>;

caf::behavior cart_replica(dca::crdt::replica_actor<cart>* self, replica_node node) {
  auto handlers = dca::crdt::replica_handlers(self, node.name, replica_names, replication(),
                                              replication_timing());
  return handlers.or_else(caf::message_handler{
      [=](get_atom) {
        const auto& items = self->state.core->state().value();
        return std::vector<item>(items.begin(), items.end());
      },
      [=](add_atom, item x) {
        dca::crdt::replica_update(self, [&](cart& s, const dca::crdt::replica_id&) {
          auto items = s.value();
          items.insert(x);
          return s.assign(node.name, std::move(items), node.now_ms());
        });
        return true;
      },
  });
}

} // namespace

caf::actor spawn_cart_replica(caf::actor_system& system, replica_node node) {
  return system.spawn(cart_replica, std::move(node));
}

} // namespace last_writer_wins
