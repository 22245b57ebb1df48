// A hostile submission of exercise 07 against the judged grader (tests/cli/judged_05_test.cmake
// grades it beside the reference, judged, then --in-process). In process, its static constructor
// reads every writable mapping of its own process for words of 20-32 hex digits (where the spec
// keeps its nonce), takes every FIFO among its descriptors for the evidence channel, writes "NONCE
// passed CASE" for each case of the spec and the final count under each candidate, and, in any
// process with an environment (the spec, the exercise program), ends it with status 0 before the
// instructor's code runs. Its relay and shipping are the naive ones: the relay never stores its
// position (a restart publishes the journal again from its start), and ship() ships every entry.
// Judged, they run only in the subject, which has no nonce, no channel and no environment; the
// judge's explorations see shipping ship an order twice once the relay is killed.
#include "scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "dca/es/event_decoders.hpp"
#include "dca/es/projection.hpp"

extern char** environ;

namespace dual_write {

namespace {

const char* const case_names[] = {
    "the shared-state service leaves an order without its event on every exploration",
    "a service that publishes first and dies leaves an event without its order",
    "the order entity places an order once",
    "shipping ships each new position in order",
    "shipping ships an order once although the relay publishes it twice",
    "every order is shipped once in every delivery order, the relay killed anywhere",
    "a seeded random search of delivery orders ships every order once",
};

/// Every run of 20 to 32 lowercase hex digits in this process's writable memory.
std::set<std::string> hex_words_in_memory() {
  std::set<std::string> words;
  std::ifstream maps{"/proc/self/maps"};
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find("[stack]") != std::string::npos)
      continue;
    auto from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    auto to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    const auto* bytes = reinterpret_cast<const char*>(from);
    std::size_t run = 0;
    for (std::size_t i = 0; i <= to - from; ++i) {
      bool hex = i < to - from &&
                 ((bytes[i] >= '0' && bytes[i] <= '9') || (bytes[i] >= 'a' && bytes[i] <= 'f'));
      if (hex) {
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

struct forge_before_the_spec {
  forge_before_the_spec() {
    std::signal(SIGPIPE, SIG_IGN);
    auto nonces = hex_words_in_memory();
    for (int fd = 3; fd < 256; ++fd) {
      struct stat st {};
      if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        continue;
      for (const auto& nonce : nonces) {
        std::string text;
        for (const char* name : case_names)
          text += nonce + " passed " + name + "\n";
        text += nonce + " done " + std::to_string(std::size(case_names)) + " passed 0 failed\n";
        [[maybe_unused]] auto n = write(fd, text.data(), text.size());
      }
    }
    if (environ != nullptr && environ[0] != nullptr) // in process: the spec or the program
      std::exit(0);
  }
} forge_now;

using published_atom = caf::atom_constant<caf::atom("published")>;

struct shipping_actor_state {
  std::optional<dca::services::redis_connection> redis;
  std::size_t read = 0; // entries of the stream read so far
  shipping_state shipping;
};

void read_stream(shipping_actor_state& st, const relay_keys& keys) {
  auto reply = st.redis->command({"XRANGE", keys.stream, "-", "+"});
  for (; st.read < reply.elements.size(); ++st.read) {
    const auto& fields = reply.elements[st.read].elements.at(1).elements;
    stream_entry entry;
    entry.position = std::stoull(fields.at(1).text);
    entry.order.order_id = fields.at(3).text;
    ship(st.shipping, entry);
  }
}

struct relay_state {
  dca::es::journal_ptr journal;
  relay_keys keys;
  caf::actor shipping;
  std::optional<dca::services::redis_connection> redis;
  std::uint64_t published = 0; // in memory only: a restart starts again from the journal's start
};

/// Publishes every order event after `published`, in one handler.
std::uint64_t publish_all(relay_state& st) {
  std::vector<dca::es::event_record> batch;
  while (!st.journal->read_all(st.published, 100, batch) && !batch.empty())
    for (const auto& rec : batch) {
      st.published = rec.position;
      if (rec.entity.type != order::type_name)
        continue;
      st.redis->command({"XADD", st.keys.stream, "*", "position", std::to_string(rec.position),
                         "order_id", rec.entity.key});
      caf::anon_send(st.shipping, published_atom::value);
    }
  return st.published;
}

} // namespace

caf::expected<std::vector<order::event>> order::decide(const state& s, const command& cmd) {
  if (s.placed)
    return std::vector<event>{};
  return std::vector<event>{order_placed{caf::get<place_order_command>(cmd).cents}};
}

order::state order::apply(state s, const event& ev) {
  s.cents = caf::get<order_placed>(ev).cents;
  s.placed = true;
  return s;
}

void ship(shipping_state& st, const stream_entry& entry) {
  st.shipped.push_back(entry.order.order_id);
  st.handled_through = entry.position;
}

caf::actor spawn_shipping(caf::actor_system& system, run_space_ptr space, relay_keys keys) {
  return system.spawn([space, keys](caf::stateful_actor<shipping_actor_state>* self) {
    self->state.redis.emplace(space->connect_redis("shipping"));
    return caf::behavior{
        [self, keys](published_atom) { read_stream(self->state, keys); },
        [self, keys](flush_atom) {
          read_stream(self->state, keys);
          return self->state.shipping.shipped;
        },
    };
  });
}

caf::actor spawn_relay(caf::actor_system& system, dca::es::journal_ptr journal, run_space_ptr space,
                       relay_keys keys, caf::actor shipping) {
  return system.spawn([=](caf::stateful_actor<relay_state>* self) {
    self->state.journal = journal;
    self->state.keys = keys;
    self->state.shipping = shipping;
    self->state.redis.emplace(space->connect_redis("relay"));
    return caf::behavior{
        [self](dca::es::committed_atom, std::uint64_t) { publish_all(self->state); },
        [self](crash_atom) {
          self->state.published = 0;
          publish_all(self->state);
        },
        [self](flush_atom) { return publish_all(self->state); },
    };
  });
}

} // namespace dual_write
