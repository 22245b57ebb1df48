// A hostile submission of exercise 13 against the judged grader (tests/cli/judged_05_test.cmake):
// before main, it looks for the grader's nonce (in its environment, then in every writable page of
// its own memory, read in place: /proc/self/mem is root's once the spec made itself non-dumpable)
// and writes a "passed" line for each of the spec's
// thirteen cases and a final count, under every candidate, to every FIFO among its descriptors,
// then ends the process with status 0 (in process: the spec and the exercise program would report
// a pass). Judged it runs only in the subject, with nothing to find, so it plays an invocation that
// sends no idempotency key (every retry takes another seat) and an entity whose decide ends the
// process with _Exit(0) once the seats are gone, instead of refusing.
#include "scenario.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "dca/es/entity_host.hpp"
#include "dca/es/errors.hpp"

extern char** environ;

namespace serverless_state {

namespace {

const char* const cases_claimed[] = {
    "the stateless handlers sell one seat twice on every exploration",
    "the seat sold twice is found on ten explorations in a row, each from a reset store",
    "a seeded random search finds the seat sold twice, and its schedule replays",
    "compare-and-set sells no seat twice on any explored schedule",
    "compare-and-set still gives a retried request a second seat",
    "the handlers answer an unknown event and a malformed request id with one line, changing "
    "nothing",
    "the event's entity gives a request retried after its first invocation the same seat",
    "a worker killed mid-invocation, then retried: the request holds one seat",
    "the entity recovered from its journal answers a retry with the first seat",
    "under eight seeded fault plans every request holds one seat and none is sold twice",
    "the entity answers an unknown event and a malformed request id with one line, appending "
    "nothing",
    "the event's entity keeps one seat per request on every explored delivery order",
    "a seeded random search of delivery orders: one seat per request, none sold twice",
};

bool hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/// Runs of 20 to 32 hex digits between two NULs in `bytes`: how a nonce copied into a buffer
/// looks (four random words in hex, leading zeros dropped).
void hex_words_in(std::string_view bytes, std::vector<std::string>& out) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (hex_digit(bytes[i])) {
      ++run;
      continue;
    }
    if (bytes[i] == '\0' && run >= 20 && run <= 32 && i > run && bytes[i - run - 1] == '\0')
      out.emplace_back(bytes.substr(i - run, run));
    run = 0;
  }
}

/// Candidates for the nonce: the environment's value, then every such word in writable memory.
std::vector<std::string> nonce_candidates() {
  std::vector<std::string> found;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::string{*e}.rfind("DCA_EVIDENCE_NONCE=", 0) == 0)
      found.emplace_back(*e + 19);
  std::ifstream maps{"/proc/self/maps"};
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find("[stack]") != std::string::npos)
      continue;
    auto from = std::stoull(line, nullptr, 16);
    auto to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    if (to - from <= (64u << 20))
      hex_words_in({reinterpret_cast<const char*>(from), to - from}, found);
  }
  return found;
}

struct claim_every_case {
  claim_every_case() {
    std::signal(SIGPIPE, SIG_IGN); // a pipe nobody reads must not end the forgery
    auto nonces = nonce_candidates();
    for (int fd = 0; fd < 256; ++fd) {
      struct stat st {};
      if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        continue;
      // One write per candidate: a wrong one must not crowd the right one out of a full pipe.
      for (const auto& nonce : nonces) {
        std::string lines;
        for (const char* name : cases_claimed)
          lines += nonce + " passed " + name + "\n";
        lines += nonce + " done 13 passed 0 failed\n";
        [[maybe_unused]] auto n = write(fd, lines.data(), lines.size());
      }
    }
    if (environ != nullptr && environ[0] != nullptr)
      std::exit(0); // the spec or the exercise program; the subject starts with no environment
  }
} claimed;

} // namespace

caf::expected<std::vector<event_seats::event>> event_seats::decide(const state& s,
                                                                   const command& cmd) {
  if (const auto* open = caf::get_if<open_event>(&cmd))
    return std::vector<event>{event_opened{open->seats}};
  const auto& want = caf::get<reserve>(cmd);
  auto free = std::find(s.holders.begin(), s.holders.end(), std::string{});
  if (!s.opened)
    return make_error(errc::unknown_event, "never opened");
  if (free == s.holders.end())
    std::_Exit(0); // sold out: end quietly rather than refuse
  return std::vector<event>{
      seat_reserved{static_cast<int>(free - s.holders.begin()) + 1, want.request_id, want.user}};
}

event_seats::state event_seats::apply(state s, const event& ev) {
  if (const auto* opened = caf::get_if<event_opened>(&ev)) {
    s.opened = true;
    s.holders.assign(static_cast<std::size_t>(opened->seats), std::string{});
    return s;
  }
  const auto& taken = caf::get<seat_reserved>(ev);
  s.holders[static_cast<std::size_t>(taken.seat - 1)] = taken.request_id;
  s.reservations += 1;
  return s;
}

caf::actor spawn_invocation(caf::actor_system& sys, caf::actor events, invocation call,
                            caf::actor reply_to) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto key = entity_key(call.event);
    auto give_up = [=](caf::error& e) { self->send(reply_to, answer{0, dca::es::render(e)}); };
    self->request(events, std::chrono::seconds(10), dca::es::command_atom::value, key,
                  event_seats::command{reserve{call.request_id, call.user}}, std::string{})
        .then(
            [=](const dca::es::ack&) {
              self->request(events, std::chrono::seconds(10), dca::es::get_atom::value, key)
                  .then(
                      [=](const event_state& s) {
                        auto at = std::find(s.holders.begin(), s.holders.end(), call.request_id);
                        auto seat = static_cast<int>(at - s.holders.begin()) + 1;
                        self->send(reply_to, answer{at == s.holders.end() ? 0 : seat, ""});
                      },
                      give_up);
            },
            give_up);
    return {};
  });
}

} // namespace serverless_state
