// The entity host: the actor that addresses entities of one type by key (a virtual-actor
// directory, like Akka's shard region or Orleans' grain directory) and the actor shell around each
// entity that persists, applies and replies. `decide` and `apply` stay pure; only the shell
// mutates.
//
// Life of an entity:
//   activation  first message for a key: the host spawns its actor when a recovery permit is free
//               (recoveries_max), buffering messages meanwhile;
//   recovery    snapshot + tail, read in batches of replay_batch_max; the permit is returned;
//   commands    one at a time: decide -> append(expected seq) -> (durable) apply -> reply;
//               commands that arrive while an append is in flight wait, at most
//               pending_commands_max of them, then errc::overloaded;
//   passivation after idle_timeout the entity asks the host to stop it; the host stops routing to
//               it, sends it stop_atom (after everything it already routed), buffers new messages
//               and activates a fresh incarnation for them once the old one is down.
// A failed append stops the entity (its state may be behind the journal); the next message
// recovers it. A second writer for one stream is rejected by the journal's expected-seq check.
#pragma once

#include <cassert>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/duration.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

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

// -- the entity shell ---------------------------------------------------------------------------

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
  bool passivation_requested = false;
  bool active = false;         // a message arrived since the last idle check
  bool idle_check_due = false; // an idle check is scheduled
  caf::error failure;          // set when recovery failed: every command gets it

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
  assert(res->first_seq == st.image.seq + 1);
  assert(res->last_seq == st.image.seq + events.size());
  for (auto& ev : events)
    st.image.value = E::apply(std::move(st.image.value), ev);
  st.image.seq = res->last_seq;
  st.image.position = res->last_position;
  st.image.events_since_snapshot += events.size();
  if (!pc.idempotency_key.empty())
    st.image.keys.insert({pc.idempotency_key, st.image.seq, st.image.position},
                         st.ctx->opts.idempotency_keys_max);
  pc.rp.deliver(ack{st.image.seq, st.image.position, false});
  maybe_snapshot(*st.ctx->journal, st.id(), st.ctx->opts, st.image);
}

/// Runs one command up to its append; completes it at once when it needs no append (or when the
/// journal answers inline, as the memory journal does).
template <class E>
void start(entity_shell<E>* self, typename entity_shell_state<E>::pending_command pc) {
  auto& st = self->state;
  assert(!st.persisting);
  if (auto hit = st.image.keys.find(pc.idempotency_key)) {
    pc.rp.deliver(ack{hit->seq, hit->position, true});
    return;
  }
  auto decided = E::decide(st.image.value, pc.cmd);
  if (!decided) {
    pc.rp.deliver(decided.error());
    return;
  }
  if (decided->empty()) {
    pc.rp.deliver(ack{st.image.seq, st.image.position, false});
    return;
  }
  append_request req;
  req.entity = st.id();
  req.expected_seq = st.image.seq;
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

/// Schedules the next idle check, unless passivation is off.
template <class E>
void schedule_idle_check(entity_shell<E>* self) {
  auto& st = self->state;
  auto timeout = st.ctx->opts.idle_timeout;
  if (timeout.count() == 0 || st.idle_check_due)
    return;
  st.idle_check_due = true;
  st.active = false;
  self->delayed_send(self, timeout, idle_check_atom::value);
}

/// Notes activity: the next idle check will not passivate.
template <class E>
void touch(entity_shell<E>* self) {
  auto& st = self->state;
  if (st.idle_check_due)
    st.active = true;
  else
    schedule_idle_check(self);
}

/// Runs waiting commands while no append is in flight; stops when asked and idle.
template <class E>
void drain(entity_shell<E>* self) {
  auto& st = self->state;
  while (!st.persisting && st.pending && !st.pending->empty()) {
    auto pc = std::move(st.pending->front());
    st.pending->pop_front();
    start(self, std::move(pc));
  }
  if (st.idle() && st.stop_requested)
    self->quit();
}

} // namespace detail

template <class E>
caf::behavior entity_actor(entity_shell<E>* self, std::shared_ptr<const host_context> ctx,
                           caf::actor host, std::string key) {
  static_assert(check_entity_type<E>());
  auto& init = self->state;
  init.ctx = std::move(ctx);
  init.host = std::move(host);
  init.key = std::move(key);
  init.failure = recover(*init.ctx->journal, init.id(), init.ctx->opts, init.image);
  self->send(init.host, recovered_atom::value, init.key);
  using command = typename E::command;
  // Passivation: not CAF's per-behavior `after` (it re-arms a timer on the clock thread for
  // every message, which cost ~9 us per command here) but one delayed idle check per idle_timeout
  // while the entity is in use: it passivates between 1x and 2x idle_timeout after its last
  // message.
  detail::schedule_idle_check(self);
  return {
      [self](command_atom, command& cmd, std::string& idempotency_key) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (st.failure) {
          rp.deliver(st.failure);
          return rp;
        }
        st.passivation_requested = false;
        typename entity_shell_state<E>::pending_command pc{rp, std::move(cmd),
                                                           std::move(idempotency_key)};
        if (st.idle()) {
          detail::start(self, std::move(pc));
          detail::drain(self);
          return rp;
        }
        if (!st.pending)
          st.pending =
              std::make_unique<std::deque<typename entity_shell_state<E>::pending_command>>();
        if (st.pending->size() >= st.ctx->opts.pending_commands_max) {
          rp.deliver(make_error(errc::overloaded, st.id().to_string() + ": " +
                                                      std::to_string(st.pending->size()) +
                                                      " commands pending (pending_commands_max)"));
          return rp;
        }
        st.pending->push_back(std::move(pc));
        return rp;
      },
      [self](get_atom) -> caf::result<typename E::state> {
        auto& st = self->state;
        if (st.failure)
          return st.failure;
        return st.image.value;
      },
      [self](appended_atom, append_result& res) {
        detail::finish(self, std::move(res));
        detail::drain(self);
      },
      [self](appended_atom, caf::error& err) { detail::finish(self, std::move(err)); },
      [self](stop_atom) {
        self->state.stop_requested = true;
        detail::drain(self);
      },
      [self](idle_check_atom) {
        auto& st = self->state;
        st.idle_check_due = false;
        if (st.active || !st.idle()) {
          detail::schedule_idle_check(self);
          return;
        }
        if (!st.passivation_requested) {
          st.passivation_requested = true;
          self->send(st.host, passivate_atom::value, st.key);
        }
      },
  };
}

// -- the host -----------------------------------------------------------------------------------

template <class E>
struct entity_host_state {
  using command = typename E::command;

  enum class phase { waiting, recovering, active, passivating };

  /// A message the host holds until the entity's actor exists.
  struct held {
    enum kind_t { command_msg, get_msg, resolve_msg } kind;
    caf::response_promise rp;
    std::optional<command> cmd;
    std::string idempotency_key;
  };

  struct entry {
    caf::actor handle;
    phase ph = phase::waiting;
    std::vector<held> buffer;
  };

  std::shared_ptr<const host_context> ctx;
  std::unordered_map<std::string, entry> entries;
  std::unordered_map<caf::actor_addr, std::string> keys_by_addr;
  std::deque<std::string> waiting; // keys waiting for a recovery permit
  std::size_t recovering = 0;

  static inline const char* name = "dca.es.entity_host";
};

template <class E>
using entity_host_actor = caf::stateful_actor<entity_host_state<E>>;

namespace detail {

template <class E>
void deliver_held(const caf::actor& handle, typename entity_host_state<E>::held& h) {
  using held = typename entity_host_state<E>::held;
  switch (h.kind) {
  case held::command_msg:
    h.rp.delegate(handle, command_atom::value, std::move(*h.cmd), std::move(h.idempotency_key));
    break;
  case held::get_msg:
    h.rp.delegate(handle, get_atom::value);
    break;
  case held::resolve_msg:
    h.rp.deliver(handle);
    break;
  }
}

template <class E>
void spawn_entity(entity_host_actor<E>* self, const std::string& key) {
  auto& st = self->state;
  auto& e = st.entries.at(key);
  assert(e.ph == entity_host_state<E>::phase::waiting);
  // Linked: entities stop with their host. Monitored: the host learns when one stops.
  e.handle = self->template spawn<caf::monitored + caf::linked>(
      entity_actor<E>, st.ctx, caf::actor_cast<caf::actor>(self), key);
  e.ph = entity_host_state<E>::phase::recovering;
  ++st.recovering;
  st.keys_by_addr.emplace(e.handle.address(), key);
  for (auto& h : e.buffer)
    deliver_held<E>(e.handle, h);
  e.buffer.clear();
}

template <class E>
void activate(entity_host_actor<E>* self, const std::string& key) {
  auto& st = self->state;
  if (st.recovering < st.ctx->opts.recoveries_max)
    spawn_entity(self, key);
  else
    st.waiting.push_back(key);
}

template <class E>
void release_permit(entity_host_actor<E>* self) {
  auto& st = self->state;
  assert(st.recovering > 0);
  --st.recovering;
  while (!st.waiting.empty() && st.recovering < st.ctx->opts.recoveries_max) {
    auto key = std::move(st.waiting.front());
    st.waiting.pop_front();
    auto i = st.entries.find(key);
    if (i != st.entries.end() && i->second.ph == entity_host_state<E>::phase::waiting)
      spawn_entity(self, key);
  }
}

/// Routes a message to `key`'s entity, activating it or holding the message as needed.
template <class E>
caf::response_promise route(entity_host_actor<E>* self, const std::string& key,
                            typename entity_host_state<E>::held h) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  auto rp = h.rp;
  auto [i, added] = st.entries.try_emplace(key);
  auto& e = i->second;
  if (e.ph == phase::recovering || e.ph == phase::active) {
    deliver_held<E>(e.handle, h);
    return rp;
  }
  if (e.buffer.size() >= st.ctx->opts.pending_commands_max) {
    rp.deliver(make_error(errc::overloaded, std::string{E::type_name} + "/" + key + ": " +
                                                std::to_string(e.buffer.size()) +
                                                " messages held during activation"));
    return rp;
  }
  e.buffer.push_back(std::move(h));
  if (added)
    activate(self, key);
  return rp;
}

} // namespace detail

template <class E>
caf::behavior entity_host_behavior(entity_host_actor<E>* self,
                                   std::shared_ptr<const host_context> ctx) {
  using state_t = entity_host_state<E>;
  using held = typename state_t::held;
  using phase = typename state_t::phase;
  using command = typename E::command;
  self->state.ctx = std::move(ctx);
  // Entities stop normally (the down handler forgets them); any other exit message stops the
  // host, and the links stop its entities with it.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason != caf::exit_reason::normal && self->state.keys_by_addr.count(msg.source) == 0)
      self->quit(std::move(msg.reason));
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto a = st.keys_by_addr.find(dm.source);
    if (a == st.keys_by_addr.end())
      return;
    auto key = std::move(a->second);
    st.keys_by_addr.erase(a);
    auto i = st.entries.find(key);
    assert(i != st.entries.end());
    auto& e = i->second;
    if (e.ph == phase::recovering)
      detail::release_permit(self);
    if (e.buffer.empty()) {
      st.entries.erase(i);
      return;
    }
    e.handle = nullptr;
    e.ph = phase::waiting;
    detail::activate(self, key);
  });
  return {
      [self](command_atom, const std::string& key, command& cmd, std::string& idempotency_key) {
        return detail::route(self, key,
                             held{held::command_msg, self->make_response_promise(), std::move(cmd),
                                  std::move(idempotency_key)});
      },
      [self](get_atom, const std::string& key) {
        return detail::route(self, key,
                             held{held::get_msg, self->make_response_promise(), std::nullopt, {}});
      },
      [self](resolve_atom, const std::string& key) {
        return detail::route(
            self, key, held{held::resolve_msg, self->make_response_promise(), std::nullopt, {}});
      },
      [self](recovered_atom, const std::string& key) {
        auto& st = self->state;
        auto i = st.entries.find(key);
        if (i == st.entries.end() || i->second.ph != phase::recovering)
          return;
        i->second.ph = phase::active;
        detail::release_permit(self);
      },
      [self](passivate_atom, const std::string& key) {
        auto& st = self->state;
        auto i = st.entries.find(key);
        if (i == st.entries.end() || i->second.ph != phase::active)
          return;
        if (i->second.handle.address() != caf::actor_cast<caf::actor_addr>(self->current_sender()))
          return;
        // From now on, messages for `key` wait here; the entity sees stop_atom after everything
        // we routed to it before, finishes them, and quits; the down message reactivates if needed.
        i->second.ph = phase::passivating;
        self->send(i->second.handle, stop_atom::value);
      },
  };
}

/// A caller's cache of resolved entities, like Orleans' client-side directory cache. The first
/// command for a key goes through the host; the entity's reply comes from the entity's own actor,
/// so the reply names it, and later commands for that key go to it directly, without the host
/// hop and without a resolve round trip. A cached actor that has stopped (the entity passivated
/// or failed) answers sec::request_receiver_down without executing the command; the client then
/// forgets it and sends the command through the host, which activates the entity again.
/// For one event-based actor: keep the client in that actor's state (its response handlers refer
/// to it).
template <class E>
class entity_client {
public:
  explicit entity_client(caf::actor host, caf::duration timeout = caf::infinite)
      : host_(std::move(host)), timeout_(timeout) {}

  /// Sends `(command_atom, key, cmd, idempotency_key)`; calls `on_ack(const ack&)` or
  /// `on_error(caf::error&)` with the answer.
  template <class Self, class OnAck, class OnError>
  void command(Self* self, const std::string& key, typename E::command cmd,
               std::string idempotency_key, OnAck on_ack, OnError on_error) {
    auto i = cache_.find(key);
    if (i == cache_.end()) {
      via_host(self, key, std::move(cmd), std::move(idempotency_key), std::move(on_ack),
               std::move(on_error));
      return;
    }
    self->request(i->second, timeout_, command_atom::value, cmd, idempotency_key)
        .then([on_ack](ack& a) mutable { on_ack(a); },
              [this, self, key, cmd = std::move(cmd), idem = std::move(idempotency_key), on_ack,
               on_error](caf::error& err) mutable {
                if (err != caf::sec::request_receiver_down) {
                  on_error(err);
                  return;
                }
                cache_.erase(key);
                via_host(self, key, std::move(cmd), std::move(idem), std::move(on_ack),
                         std::move(on_error));
              });
  }

  /// The entities whose actor this client knows.
  std::size_t cached() const noexcept { return cache_.size(); }

private:
  template <class Self, class OnAck, class OnError>
  void via_host(Self* self, const std::string& key, typename E::command cmd,
                std::string idempotency_key, OnAck on_ack, OnError on_error) {
    self->request(host_, timeout_, command_atom::value, key, std::move(cmd),
                  std::move(idempotency_key))
        .then(
            [this, self, key, on_ack](ack& a) mutable {
              auto from = caf::actor_cast<caf::actor>(self->current_sender());
              if (from && from != host_)
                cache_[key] = std::move(from);
              on_ack(a);
            },
            [on_error](caf::error& err) mutable { on_error(err); });
  }

  caf::actor host_;
  caf::duration timeout_;
  std::unordered_map<std::string, caf::actor> cache_;
};

/// Spawns the host for entity type E over `journal`.
template <class E>
caf::actor spawn_entity_host(caf::actor_system& sys, journal_ptr journal,
                             entity_options opts = {}) {
  static_assert(check_entity_type<E>());
  assert(journal != nullptr);
  assert(opts.pending_commands_max > 0 && opts.recoveries_max > 0 && opts.replay_batch_max > 0);
  auto ctx = std::make_shared<host_context>(host_context{std::move(journal), opts});
  return sys.spawn(entity_host_behavior<E>, std::shared_ptr<const host_context>{ctx});
}

} // namespace dca::es
