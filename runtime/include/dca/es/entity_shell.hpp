// The actor shell around one entity: it owns the entity's image and runs its commands one at a
// time, decide -> append (expected seq) -> apply once durable -> reply. `decide` and `apply` stay
// pure; only the shell mutates. Its host (entity_host.hpp) starts it, routes to it and stops it.
//
// Commands that arrive while an append is in flight wait, at most pending_commands_max of them,
// then errc::overloaded. A failed append stops the entity (its state may be behind the journal);
// the next message recovers it. When idle for idle_check_period(opts) it asks its host to stop
// it; the host decides whether it hibernates (hands its image back) or passivates (drops it).
#pragma once

#include <cassert>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/es/codec.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/journal.hpp"
#include "dca/es/recovery.hpp"

namespace dca::es {

/// What every entity of one host shares.
struct host_context {
  journal_ptr journal;
  entity_options opts;
};

/// An image on its way between an entity's actor and its host. Never leaves the process.
template <class E>
using image_ptr = std::shared_ptr<entity_image<E>>;

} // namespace dca::es

namespace caf {

// Images pass only between an entity and its host, in one process; they are never serialized.
template <class E>
struct allowed_unsafe_message_type<dca::es::image_ptr<E>> : std::true_type {};

} // namespace caf

namespace dca::es {

template <class E>
struct entity_shell_state {
  using command = typename E::command;
  using event = typename E::event;

  struct pending_command {
    caf::response_promise rp;
    command cmd;
    std::string idempotency_key;
  };

  std::shared_ptr<const host_context> ctx;
  caf::actor host;
  std::string key;
  entity_image<E> image;
  std::unique_ptr<std::deque<pending_command>> pending; // allocated on first use: idle is small
  std::optional<pending_command> in_flight;
  std::vector<event> in_flight_events;
  bool persisting = false;
  bool stop_requested = false;
  bool hand_back_image = false; // stopping to hibernate: give the image to the host
  bool stop_asked = false;      // we asked the host to stop us; it has not yet
  bool active = false;          // a message arrived since the last idle check
  bool idle_check_due = false;  // an idle check is scheduled
  caf::error failure;           // set when recovery failed: every command gets it

  static inline const char* name = "dca.es.entity";

  entity_id id() const { return entity_id{E::type_name, key}; }
  bool idle() const { return !persisting && (!pending || pending->empty()); }
};

template <class E>
using entity_shell = caf::stateful_actor<entity_shell_state<E>>;

namespace detail {

/// Completes the in-flight command with the journal's answer.
template <class E>
void finish(entity_shell<E>* self, caf::expected<append_result> res) {
  auto& st = self->state;
  assert(st.persisting && st.in_flight);
  st.persisting = false;
  auto pc = std::move(*st.in_flight);
  st.in_flight.reset();
  auto events = std::move(st.in_flight_events);
  st.in_flight_events.clear();
  if (!res) {
    // The append may or may not have landed: stop, and let the next message recover from the
    // journal rather than guess.
    pc.rp.deliver(res.error());
    auto err =
        make_error(errc::entity_failed, st.id().to_string() + ": stopped after a failed append (" +
                                            render(res.error()) + "); retry the command");
    if (st.pending)
      for (auto& p : *st.pending)
        p.rp.deliver(err);
    st.pending.reset();
    self->quit(); // a normal exit: the host must not take an entity's failure for its own
    return;
  }
  auto& img = st.image;
  assert(res->first_seq == img.seq + 1);
  assert(res->last_seq == img.seq + events.size());
  for (auto& ev : events)
    img.value = E::apply(std::move(img.value), ev);
  img.seq = res->last_seq;
  img.position = res->last_position;
  img.events_since_snapshot += events.size();
  if (!pc.idempotency_key.empty())
    img.keys.insert({pc.idempotency_key, img.seq, img.position}, st.ctx->opts.idempotency_keys_max);
  pc.rp.deliver(ack{img.seq, img.position, false});
  maybe_snapshot(*st.ctx->journal, st.id(), st.ctx->opts, img);
}

/// Runs one command up to its append; completes it at once when it needs no append (or when the
/// journal answers inline, as the memory journal does).
template <class E>
void start(entity_shell<E>* self, typename entity_shell_state<E>::pending_command pc) {
  auto& st = self->state;
  assert(!st.persisting);
  auto& img = st.image;
  if (auto hit = img.keys.find(pc.idempotency_key)) {
    pc.rp.deliver(ack{hit->seq, hit->position, true});
    return;
  }
  auto decided = E::decide(img.value, pc.cmd);
  if (!decided) {
    pc.rp.deliver(decided.error());
    return;
  }
  if (decided->empty()) {
    pc.rp.deliver(ack{img.seq, img.position, false});
    return;
  }
  append_request req;
  req.entity = st.id();
  req.expected_seq = img.seq;
  req.idempotency_key = pc.idempotency_key;
  req.events.reserve(decided->size());
  for (auto& ev : *decided) {
    auto data = to_event_data(ev);
    if (!data) {
      pc.rp.deliver(data.error());
      return;
    }
    req.events.push_back(std::move(*data));
  }
  st.persisting = true;
  st.in_flight = std::move(pc);
  st.in_flight_events = std::move(*decided);
  // The journal may answer on its own thread (then we get a message) or inline (then we finish
  // here). Only this thread, inside this call, counts as inline.
  struct slot {
    std::thread::id caller = std::this_thread::get_id();
    bool in_call = true;
    std::optional<caf::expected<append_result>> result;
  };
  auto sl = std::make_shared<slot>();
  auto handle = caf::actor_cast<caf::actor>(self);
  st.ctx->journal->append(std::move(req), [sl, handle](caf::expected<append_result> res) {
    if (std::this_thread::get_id() == sl->caller && sl->in_call) {
      sl->result = std::move(res);
    } else if (res) {
      caf::anon_send(handle, appended_atom::value, *res);
    } else {
      caf::anon_send(handle, appended_atom::value, res.error());
    }
  });
  sl->in_call = false;
  if (sl->result)
    finish(self, std::move(*sl->result));
}

/// Schedules the next idle check, unless the entity never idles out.
template <class E>
void schedule_idle_check(entity_shell<E>* self) {
  auto& st = self->state;
  auto period = idle_check_period(st.ctx->opts);
  if (period.count() == 0 || st.idle_check_due)
    return;
  st.idle_check_due = true;
  st.active = false;
  self->delayed_send(self, period, idle_check_atom::value);
}

/// Notes a message: the next idle check will not stop the entity.
template <class E>
void touch(entity_shell<E>* self) {
  auto& st = self->state;
  st.stop_asked = false;
  if (st.idle_check_due)
    st.active = true;
  else
    schedule_idle_check(self);
}

/// Runs waiting commands while no append is in flight; stops when asked and idle, handing the
/// image to the host when hibernating.
template <class E>
void drain(entity_shell<E>* self) {
  auto& st = self->state;
  while (!st.persisting && st.pending && !st.pending->empty()) {
    auto pc = std::move(st.pending->front());
    st.pending->pop_front();
    start(self, std::move(pc));
  }
  if (!st.idle() || !st.stop_requested)
    return;
  if (st.hand_back_image && !st.failure)
    self->send(st.host, hibernated_atom::value, st.key,
               std::make_shared<entity_image<E>>(std::move(st.image)));
  self->quit();
}

template <class E>
caf::result<ack> on_command(entity_shell<E>* self, typename E::command& cmd,
                            std::string& idempotency_key) {
  using pending_command = typename entity_shell_state<E>::pending_command;
  auto& st = self->state;
  touch(self);
  if (st.failure)
    return st.failure;
  auto waiting = st.pending ? st.pending->size() : 0;
  if (!st.idle() && waiting >= st.ctx->opts.pending_commands_max)
    return make_error(errc::overloaded, st.id().to_string() + ": " + std::to_string(waiting) +
                                            " commands pending (pending_commands_max)");
  auto rp = self->make_response_promise();
  pending_command pc{rp, std::move(cmd), std::move(idempotency_key)};
  if (st.idle()) {
    start(self, std::move(pc));
    drain(self);
    return rp;
  }
  if (!st.pending)
    st.pending = std::make_unique<std::deque<pending_command>>();
  st.pending->push_back(std::move(pc));
  return rp;
}

} // namespace detail

/// The entity's actor. `woken` is the image of a hibernated incarnation, or null: then the
/// entity recovers from the journal and tells the host when it is done (returning its permit).
template <class E>
caf::behavior entity_actor(entity_shell<E>* self, std::shared_ptr<const host_context> ctx,
                           caf::actor host, std::string key, image_ptr<E> woken) {
  static_assert(check_entity_type<E>());
  auto& init = self->state;
  init.ctx = std::move(ctx);
  init.host = std::move(host);
  init.key = std::move(key);
  if (woken) {
    init.image = std::move(*woken);
  } else {
    init.failure = recover(*init.ctx->journal, init.id(), init.ctx->opts, init.image);
    self->send(init.host, recovered_atom::value, init.key);
  }
  // Idle detection: not CAF's per-behavior `after` (it re-arms a timer on the clock thread for
  // every message, which cost ~9 us per command here) but one delayed idle check per period
  // while the entity is in use: it is stopped between 1x and 2x the period after its last
  // message.
  detail::schedule_idle_check(self);
  return {
      [self](command_atom, typename E::command& cmd, std::string& idempotency_key) {
        return detail::on_command(self, cmd, idempotency_key);
      },
      [self](get_atom) -> caf::result<typename E::state> {
        auto& st = self->state;
        detail::touch(self);
        if (st.failure)
          return st.failure;
        return st.image.value;
      },
      [self](appended_atom, append_result& res) {
        detail::finish(self, std::move(res));
        detail::drain(self);
      },
      [self](appended_atom, caf::error& err) { detail::finish(self, std::move(err)); },
      [self](stop_atom, bool hand_back_image) {
        auto& st = self->state;
        st.stop_requested = true;
        st.hand_back_image = hand_back_image;
        detail::drain(self);
      },
      [self](idle_check_atom) {
        auto& st = self->state;
        st.idle_check_due = false;
        if (st.active || !st.idle()) {
          detail::schedule_idle_check(self);
          return;
        }
        if (!st.stop_asked) {
          st.stop_asked = true;
          self->send(st.host, passivate_atom::value, st.key);
        }
      },
  };
}

} // namespace dca::es
