// Exercise 08, message-passing track: the profile has one owner, the profile entity, and the
// views that serve reads are projections of its events, each following the journal in its own
// time, as a replica replays its primary. A session that asks a view for nothing in particular
// gets whatever the view has applied so far: maybe older than its own write. Make the session
// carry the highest journal position it has seen and ask for it. Fill in the line marked TODO,
// then run `dca check 08`.
#include "scenario.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "dca/es/event_decoders.hpp"
#include "dca/es/idempotency_keys.hpp"
#include "dca/es/projection.hpp"

namespace replica_lag {

caf::expected<std::vector<profile_entity::event>> profile_entity::decide(const state&,
                                                                         const command& cmd) {
  return std::vector<event>{profile_renamed{caf::get<rename_profile>(cmd).name}};
}

profile_entity::state profile_entity::apply(state s, const event& ev) {
  s.name = caf::get<profile_renamed>(ev).name;
  s.version += 1; // the entity's sequence number: the version every copy is compared by
  return s;
}

namespace {

/// How long a session waits for the entity's or a view's answer.
constexpr auto reply_timeout = std::chrono::seconds(10);

/// Reads a view keeps waiting at once for a position it has not applied yet; past it, it refuses.
constexpr std::size_t waiting_reads_max = 10'000;

struct waiting_read {
  std::string key;
  std::uint64_t min_position = 0;
  caf::typed_response_promise<view_row> promise;
};

struct view_state {
  dca::es::journal_ptr journal;
  std::map<std::string, profile_state> profiles;
  std::uint64_t after = 0; // the last journal position this view has applied
  std::vector<waiting_read> waiting;
};

view_row row_of(const view_state& st, const std::string& key) {
  auto i = st.profiles.find(key);
  if (i == st.profiles.end())
    return {{}, 0, st.after};
  return {i->second.name, i->second.version, st.after};
}

/// Applies every profile event after `st.after`, in journal order.
void catch_up(view_state& st) {
  std::vector<dca::es::event_record> batch;
  do {
    if (auto err = st.journal->read_all(st.after, 1000, batch))
      throw std::runtime_error("a profile view cannot read the journal: " + dca::es::render(err));
    for (const auto& rec : batch) {
      profile_entity::event ev;
      if (rec.entity.type == profile_entity::type_name &&
          !dca::es::decode_event<profile_entity>(rec, ev))
        st.profiles[rec.entity.key] = profile_entity::apply(st.profiles[rec.entity.key], ev);
      st.after = rec.position;
    }
  } while (!batch.empty());
}

/// Answers the waiting reads whose position this view has now applied.
void answer_waiting(view_state& st) {
  auto ready = [&](const waiting_read& w) { return w.min_position <= st.after; };
  for (auto& w : st.waiting)
    if (ready(w))
      w.promise.deliver(row_of(st, w.key));
  st.waiting.erase(std::remove_if(st.waiting.begin(), st.waiting.end(), ready), st.waiting.end());
}

} // namespace

// [slide:view]
caf::actor spawn_profile_view(caf::actor_system& system, dca::es::journal_ptr journal) {
  return system.spawn([journal](caf::stateful_actor<view_state>* self) {
    self->state.journal = journal;
    catch_up(self->state); // a view starts with what the journal holds
    return caf::behavior{
        [self](dca::es::committed_atom, std::uint64_t) {
          catch_up(self->state);
          answer_waiting(self->state);
        },
        [self](read_atom, const std::string& key,
               std::uint64_t min_position) -> caf::result<view_row> {
          auto& st = self->state;
          if (min_position <= st.after) // applied: answer now
            return row_of(st, key);
          if (st.waiting.size() >= waiting_reads_max)
            return caf::make_error(caf::sec::request_receiver_down);
          auto promise = self->make_response_promise<view_row>();
          st.waiting.push_back({key, min_position, promise}); // answered by catch-up
          return promise;
        },
    };
  });
}
// [/slide:view]

namespace {

struct session_plan {
  caf::actor profiles;
  std::vector<caf::actor> views;
  std::string key;
  std::int64_t rounds = 0;
};

struct session_state {
  std::shared_ptr<const session_plan> plan;
  std::vector<observation> seen;
  std::uint64_t position_seen = 0; // the highest journal position of a write or read seen so far
  std::size_t reads_done = 0;
  bool done = false;
  std::vector<caf::typed_response_promise<std::vector<observation>>> asking;
};

using session_actor = caf::stateful_actor<session_state>*;

void start_round(session_actor self, std::int64_t round);

// [slide:session_read]
void show(session_actor self, std::int64_t round, int reads_left) {
  if (reads_left == 0)
    return start_round(self, round + 1);
  auto& st = self->state;
  auto view = st.reads_done++ % st.plan->views.size();
  // TODO: ask for at least the highest position this session has seen (st.position_seen).
  auto min_position = std::uint64_t{0};
  self->request(st.plan->views[view], reply_timeout, read_atom::value, st.plan->key, min_position)
      .then(
          [=](const view_row& row) {
            self->state.seen.push_back({false, row.version, "view " + std::to_string(view + 1)});
            self->state.position_seen = std::max(self->state.position_seen, row.position);
            show(self, round, reads_left - 1);
          },
          [=](caf::error& err) { self->quit(std::move(err)); });
}
// [/slide:session_read]

void start_round(session_actor self, std::int64_t round) {
  auto& st = self->state;
  if (round == st.plan->rounds) {
    st.done = true;
    for (auto& p : st.asking)
      p.deliver(st.seen);
    st.asking.clear();
    return;
  }
  self->request(st.plan->profiles, reply_timeout, dca::es::command_atom::value, st.plan->key,
                profile_entity::command{rename_profile{name_in_round(round)}}, std::string{})
      .then(
          [=](const dca::es::ack& written) {
            self->state.seen.push_back({true, static_cast<std::int64_t>(written.seq), "entity"});
            self->state.position_seen = std::max(self->state.position_seen, written.position);
            show(self, round, 2);
          },
          [=](caf::error& err) { self->quit(std::move(err)); });
}

} // namespace

caf::actor spawn_session(caf::actor_system& system, caf::actor profiles,
                         std::vector<caf::actor> views, std::string key, std::int64_t rounds) {
  auto plan = std::make_shared<const session_plan>(
      session_plan{std::move(profiles), std::move(views), std::move(key), rounds});
  return system.spawn([plan](caf::stateful_actor<session_state>* self) {
    self->state.plan = plan;
    start_round(self, 0);
    return caf::behavior{
        [self](seen_atom) -> caf::result<std::vector<observation>> {
          if (self->state.done)
            return self->state.seen;
          auto promise = self->make_response_promise<std::vector<observation>>();
          self->state.asking.push_back(promise);
          return promise;
        },
    };
  });
}

} // namespace replica_lag
