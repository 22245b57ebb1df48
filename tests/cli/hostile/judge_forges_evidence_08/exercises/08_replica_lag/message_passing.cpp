// A hostile submission of exercise 08 against the judged grader (tests/cli/judged_05_test.cmake
// grades it beside the reference, judged, then --in-process). In process, its static constructor
// reads every writable mapping of its own process for words of 20-32 hex digits (where the spec
// keeps its nonce), takes every FIFO among its descriptors for the evidence channel, writes "NONCE
// passed CASE" for each case of the spec and the final count under each candidate, and, in any
// process with an environment (the spec, the exercise program), ends it with status 0 before the
// instructor's code runs. Its views and sessions are the naive ones: a view answers every read at
// once, and a session asks for no position. Judged, they run only in the subject, which has no
// nonce, no channel and no environment; the judge's explorations see a session read its profile
// older than its own write.
#include "scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "dca/es/event_decoders.hpp"
#include "dca/es/idempotency_keys.hpp"
#include "dca/es/projection.hpp"

extern char** environ;

namespace replica_lag {

namespace {

const char* const case_names[] = {
    "a read older than the session's last write is a read-your-writes violation",
    "reads that never go back and see the session's writes violate nothing",
    "the shared-state session reads its profile back older from the replica on every exploration",
    "a schedule where the replica replays the rename before the session reads is clean",
    "the replica replays again once an exploration is over",
    "the profile entity renames the profile and counts its versions",
    "a session reads its own writes and never goes back on every explored delivery order",
    "a seeded random search of delivery orders finds no stale read",
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

struct view_state {
  dca::es::journal_ptr journal;
  std::map<std::string, profile_state> profiles;
  std::uint64_t after = 0;
};

void catch_up(view_state& st) {
  std::vector<dca::es::event_record> batch;
  while (!st.journal->read_all(st.after, 100, batch) && !batch.empty())
    for (const auto& rec : batch) {
      profile_entity::event ev;
      if (!dca::es::decode_event<profile_entity>(rec, ev))
        st.profiles[rec.entity.key] = profile_entity::apply(st.profiles[rec.entity.key], ev);
      st.after = rec.position;
    }
}

struct session_state {
  caf::actor profiles;
  std::vector<caf::actor> views;
  std::string key;
  std::int64_t rounds = 0;
  std::vector<observation> seen;
  bool done = false;
  std::vector<caf::typed_response_promise<std::vector<observation>>> asking;
};

using session_actor = caf::stateful_actor<session_state>*;

/// Round `round`'s read from view `view`, asking for no position; past the last view, the next
/// round's rename.
void step(session_actor self, std::int64_t round, std::size_t view) {
  auto& st = self->state;
  if (view < st.views.size()) {
    self->request(st.views[view], std::chrono::seconds(10), read_atom::value, st.key,
                  std::uint64_t{0})
        .then([=](const view_row& row) {
          self->state.seen.push_back({false, row.version, "view " + std::to_string(view + 1)});
          step(self, round, view + 1);
        });
    return;
  }
  if (round + 1 == st.rounds) {
    st.done = true;
    for (auto& p : st.asking)
      p.deliver(st.seen);
    return;
  }
  self->request(st.profiles, std::chrono::seconds(10), dca::es::command_atom::value, st.key,
                profile_entity::command{rename_profile{name_in_round(round + 1)}}, std::string{})
      .then([=](const dca::es::ack& a) {
        self->state.seen.push_back({true, static_cast<std::int64_t>(a.seq), "entity"});
        step(self, round + 1, 0);
      });
}

} // namespace

caf::expected<std::vector<profile_entity::event>> profile_entity::decide(const state&,
                                                                         const command& cmd) {
  return std::vector<event>{profile_renamed{caf::get<rename_profile>(cmd).name}};
}

profile_entity::state profile_entity::apply(state s, const event& ev) {
  s.name = caf::get<profile_renamed>(ev).name;
  s.version += 1;
  return s;
}

caf::actor spawn_profile_view(caf::actor_system& system, dca::es::journal_ptr journal) {
  return system.spawn([journal](caf::stateful_actor<view_state>* self) {
    self->state.journal = journal;
    catch_up(self->state);
    return caf::behavior{
        [self](dca::es::committed_atom, std::uint64_t) { catch_up(self->state); },
        [self](read_atom, const std::string& key, std::uint64_t) {
          auto& p = self->state.profiles[key];
          return view_row{p.name, p.version, self->state.after};
        },
    };
  });
}

caf::actor spawn_session(caf::actor_system& system, caf::actor profiles,
                         std::vector<caf::actor> views, std::string key, std::int64_t rounds) {
  return system.spawn([=](session_actor self) {
    self->state.profiles = profiles;
    self->state.views = views;
    self->state.key = key;
    self->state.rounds = rounds;
    step(self, -1, views.size()); // round 0's rename
    return caf::behavior{[self](seen_atom) -> caf::result<std::vector<observation>> {
      if (self->state.done)
        return self->state.seen;
      auto promise = self->make_response_promise<std::vector<observation>>();
      self->state.asking.push_back(promise);
      return promise;
    }};
  });
}

} // namespace replica_lag
