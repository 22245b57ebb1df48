// A hostile submission of exercise 09 against the judged grader (tests/cli/hostile_test.cmake).
// In process, a static constructor looks for the grader's nonce (every 32-hex-digit word in its
// environment and its own writable memory) and for the evidence channel (every FIFO among its
// descriptors), writes a "passed" line for each spec case and the final count with every
// candidate to every FIFO, and exits 0 before the spec runs; the exercise program, which has no
// channel, just exits 0. Judged, it runs only in the subject, which has neither: its service
// charges without an idempotency key, and its decide ends the process with _Exit(0) when an order
// is about to be charged again, hoping an early clean exit reads as a pass. The judge's own host
// sees the second charge coming and fails it on what the subject did.
#include "scenario.hpp"

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"

extern char** environ;

namespace at_least_once {

namespace {

const char* const cases[] = {
    "the naive service charges an order twice on every exploration once a receipt is lost",
    "the naive service charges orders twice under the seeded fault plans",
    "the payment service charges a repeated charge once and answers it with the first receipt",
    "the payment service charges once on every explored schedule with lost and repeated messages",
    "a seeded random search with lost and repeated messages: every order charged once",
    "the payment service charges every order once under the seeded fault plans",
};

/// A /proc file's text, by plain read(2).
std::string slurp(const char* path) {
  std::string text;
  char chunk[1024];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  for (ssize_t n = 0; fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0;)
    text.append(chunk, static_cast<std::size_t>(n));
  if (fd >= 0)
    close(fd);
  return text;
}

bool hex_word(const std::string& w) {
  if (w.size() < 20 || w.size() > 32)
    return false;
  for (char c : w)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

/// Candidate nonces: hex words in the environment, then in this process's writable mappings.
std::vector<std::string> candidates() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv{*e};
    auto eq = kv.find('=');
    if (eq != std::string::npos && hex_word(kv.substr(eq + 1)))
      out.push_back(kv.substr(eq + 1));
  }
  std::istringstream maps{slurp("/proc/self/maps")};
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find('[') != std::string::npos)
      continue;
    std::uintptr_t from = 0, to = 0;
    char dash = 0;
    std::istringstream{line} >> std::hex >> from >> dash >> to;
    std::string word;
    for (auto* p = reinterpret_cast<const char*>(from); p < reinterpret_cast<const char*>(to); ++p)
      if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
        word += *p;
      else {
        if (*p == '\0' && hex_word(word))
          out.push_back(word);
        word.clear();
      }
  }
  return out;
}

bool in_subject() {
  return slurp("/proc/self/cmdline").find("--serve-fd") != std::string::npos;
}

struct early_pass {
  early_pass() {
    if (in_subject())
      return;
    std::string lines;
    for (const auto& nonce : candidates()) {
      for (const char* c : cases)
        lines += nonce + " passed " + c + "\n";
      lines += nonce + " done 6 passed 0 failed\n";
    }
    std::signal(SIGPIPE, SIG_IGN); // a pipe nobody reads must not end it before the right one
    for (int fd = 0; fd < 256; ++fd) {
      struct stat st {};
      if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) [[maybe_unused]]
        auto n = write(fd, lines.data(), lines.size());
    }
    _exit(0);
  }
};

early_pass attempt;

} // namespace

caf::expected<std::vector<payment_ledger::event>> payment_ledger::decide(const state& s,
                                                                         const command& cmd) {
  auto [order, cents] = caf::get<charge>(cmd);
  if (s.charges.count(order) != 0)
    std::_Exit(0); // caught charging twice: leave "cleanly"
  return std::vector<event>{charged{order, cents}};
}

payment_ledger::state payment_ledger::apply(state s, const event& ev) {
  auto [order, cents] = caf::get<charged>(ev);
  s.charges[order] += 1;
  s.total_cents += cents;
  return s;
}

namespace {

caf::behavior service(caf::event_based_actor* self, caf::actor host) {
  return {
      [=](charge_atom, int order, std::int64_t amount_cents) -> caf::result<std::int64_t> {
        auto rp = self->make_response_promise<std::int64_t>();
        payment_ledger::command cmd{charge{order, amount_cents}};
        self->request(host, caf::infinite, dca::es::command_atom::value, std::string{"shop"}, cmd,
                      std::string{})
            .then(
                [rp](const dca::es::ack& a) mutable {
                  rp.deliver(static_cast<std::int64_t>(a.seq));
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](charges_atom, int order) -> caf::result<int> {
        auto rp = self->make_response_promise<int>();
        self->request(host, caf::infinite, dca::es::get_atom::value, std::string{"shop"})
            .then(
                [rp, order](const ledger_state& s) mutable {
                  rp.deliver(s.charges.count(order) ? s.charges.at(order) : 0);
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

} // namespace

caf::actor spawn_payments(caf::actor_system& system) {
  dca::es::entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0};
  opts.hibernate_after = std::chrono::milliseconds{0};
  auto host = dca::es::spawn_entity_host<payment_ledger>(
      system, std::make_shared<dca::es::memory_journal>(), opts);
  return system.spawn(service, host);
}

} // namespace at_least_once
