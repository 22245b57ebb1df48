// The entity host: the actor that addresses entities of one type by key (a virtual-actor
// directory, like Akka's shard region or Orleans' grain directory). It starts, routes to and stops
// the actor of each entity (entity_shell.hpp), and holds the images of hibernated entities.
//
// Life of an entity:
//   activation  first message for a key: the host spawns its actor when a recovery permit is free
//               (recoveries_max), buffering messages meanwhile;
//   recovery    snapshot + tail, read in batches of replay_batch_max; the permit is returned;
//   running     the actor persists, applies and replies (entity_shell.hpp);
//   hibernation idle for hibernate_after: the host stops routing to it, sends it stop_atom (after
//               everything it already routed), and the actor finishes, hands its image back and
//               quits. The host answers reads from the image and starts a new actor from it on
//               the next command or resolve, without reading the journal;
//   passivation idle for idle_timeout: the same stop, but the image is dropped (or a hibernated
//               entity's image is), and the next message recovers from the journal.
// A second writer for one stream is rejected by the journal's expected-seq check. Entities hold
// their host weakly: a host nobody else holds is unreachable, and stops with its entities.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/assert.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/entity_shell.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/host_redirect.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

namespace detail {

/// Sends every entity of `entries` that has an actor an exit message with `reason`, and forgets
/// its handle. Enqueued without our execution unit: through it, CAF 0.17 puts every woken entity
/// on this worker's own queue, and stopping 300,000 idle entities took 4-7 s instead of 0.3 s.
template <class Entries>
void send_exits(Entries& entries, const caf::actor_addr& source, const caf::error& reason) {
  for (auto& [key, e] : entries)
    if (e.handle) {
      e.handle->enqueue(nullptr, caf::make_message_id(),
                        caf::make_message(caf::exit_msg{source, reason}), nullptr);
      e.handle = nullptr;
    }
}

} // namespace detail

template <class E>
struct entity_host_state {
  using command = typename E::command;

  enum class phase { waiting, recovering, active, stopping, hibernated };

  /// A message the host holds until the entity's actor exists.
  struct held {
    enum kind_t { command_msg, get_msg, resolve_msg } kind;
    caf::response_promise rp;
    std::optional<command> cmd;
    std::string idempotency_key;
    std::optional<sender_stamp> stamp; // a command of an activity
  };

  struct entry {
    caf::actor handle;
    phase ph = phase::waiting;
    std::vector<held> buffer;
    image_ptr<E> image;                          // hibernated, or handed back while stopping
    caf::actor_clock::time_point passivate_at{}; // when hibernated: when to drop the image
    bool marked = false;                         // a passivation mark names this entry
  };

  /// A sweep's reminder to look at `key` at `due`. At most one per entry, however often the
  /// entity hibernates and wakes: the sweep moves it on to the entry's latest passivate_at.
  struct passivation_mark {
    std::string key;
    caf::actor_clock::time_point due;
  };

  std::shared_ptr<const host_context> ctx;
  std::unordered_map<std::string, entry> entries;
  std::unordered_map<caf::actor_addr, std::string> keys_by_addr; // running entities
  std::deque<std::string> waiting; // keys waiting for a recovery permit
  std::size_t recovering = 0;
  std::deque<passivation_mark> passivation_marks; // roughly by due time
  std::size_t hibernated = 0;
  bool sweep_due = false;
  caf::actor sweep_timer; // spawned on the first hibernation (detail::sweep_timer)

  static inline const char* name = "dca.es.entity_host";

  entity_host_state() = default;
  entity_host_state(const entity_host_state&) = delete;
  entity_host_state& operator=(const entity_host_state&) = delete;

  /// Entities hold their host weakly, so a host nobody else holds is destroyed (CAF calls it
  /// unreachable) without an exit message: its entities stop here. After an exit message they
  /// have been sent one already (detail::stop_all) and have no handle left.
  ~entity_host_state() {
    detail::send_exits(entries, caf::actor_addr{}, caf::exit_reason::unreachable);
  }
};

template <class E>
using entity_host_actor = caf::stateful_actor<entity_host_state<E>>;

namespace detail {

template <class E>
void deliver_held(const caf::actor& handle, typename entity_host_state<E>::held& h) {
  using held = typename entity_host_state<E>::held;
  switch (h.kind) {
  case held::command_msg:
    if (h.stamp)
      h.rp.delegate(handle, command_atom::value, std::move(*h.cmd), std::move(*h.stamp));
    else
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

/// Starts `key`'s actor: from `image` when it wakes from hibernation, else recovering (which
/// takes a permit).
template <class E>
void spawn_entity(entity_host_actor<E>* self, const std::string& key, image_ptr<E> image) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  auto& e = st.entries.at(key);
  auto woken = image != nullptr;
  // Monitored: the host learns when one stops. Not linked: CAF finds a link to remove by scanning
  // the host's list of links, which made stopping one of 100,000 entities cost milliseconds; the
  // host stops its entities itself (stop_all).
  e.handle = self->template spawn<caf::monitored>(entity_actor<E>, st.ctx, self->address(), key,
                                                  std::move(image));
  if (woken) {
    e.ph = phase::active;
  } else {
    e.ph = phase::recovering;
    ++st.recovering;
  }
  st.keys_by_addr.emplace(e.handle.address(), key);
  for (auto& h : e.buffer)
    deliver_held<E>(e.handle, h);
  e.buffer.clear();
  e.buffer.shrink_to_fit();
}

template <class E>
void activate(entity_host_actor<E>* self, const std::string& key) {
  auto& st = self->state;
  if (st.recovering < st.ctx->opts.recoveries_max)
    spawn_entity<E>(self, key, nullptr);
  else
    st.waiting.push_back(key);
}

template <class E>
void wake(entity_host_actor<E>* self, const std::string& key) {
  auto& st = self->state;
  auto& e = st.entries.at(key);
  DCA_ASSERT(e.ph == entity_host_state<E>::phase::hibernated);
  DCA_ASSERT(e.image != nullptr);
  --st.hibernated;
  spawn_entity<E>(self, key, std::move(e.image));
}

template <class E>
void release_permit(entity_host_actor<E>* self) {
  auto& st = self->state;
  DCA_ASSERT(st.recovering > 0);
  --st.recovering;
  while (!st.waiting.empty() && st.recovering < st.ctx->opts.recoveries_max) {
    auto key = std::move(st.waiting.front());
    st.waiting.pop_front();
    auto i = st.entries.find(key);
    if (i != st.entries.end() && i->second.ph == entity_host_state<E>::phase::waiting)
      spawn_entity<E>(self, key, nullptr);
  }
}

/// Stops every running entity with `reason`: what a link would do, when the host stops.
template <class E>
void stop_all(entity_host_actor<E>* self, const caf::error& reason) {
  send_exits(self->state.entries, self->address(), reason);
}

/// Passes a delayed sweep on to the host, if it still exists.
inline caf::behavior sweep_relay(caf::event_based_actor*, caf::actor_addr host) {
  return {
      [host](sweep_atom) { caf::anon_send(caf::actor_cast<caf::actor>(host), sweep_atom::value); },
  };
}

/// Where the host's delayed sweeps go. CAF's clock holds the receiver of a delayed message
/// strongly: a sweep sent to the host itself would keep a host that nobody holds alive, and the
/// program waiting at exit, for up to idle_timeout. The relay holds the host weakly, and it is
/// hidden, so the actor system does not wait for it either.
template <class E>
const caf::actor& sweep_timer(entity_host_actor<E>* self) {
  auto& timer = self->state.sweep_timer;
  if (!timer)
    timer = self->template spawn<caf::hidden>(sweep_relay, self->address());
  return timer;
}

/// Passivates hibernated entities whose time has come; schedules the next sweep.
template <class E>
void sweep(entity_host_actor<E>* self) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  st.sweep_due = false;
  auto now = self->clock().now();
  auto& marks = st.passivation_marks;
  while (!marks.empty() && marks.front().due <= now) {
    auto key = std::move(marks.front().key);
    marks.pop_front();
    auto i = st.entries.find(key);
    if (i == st.entries.end() || !i->second.marked)
      continue;
    auto& e = i->second;
    if (e.ph != phase::hibernated) {
      e.marked = false; // woken since: its next hibernation marks it again
    } else if (e.passivate_at <= now) {
      st.entries.erase(i);
      --st.hibernated;
    } else {
      marks.push_back({std::move(key), e.passivate_at}); // woke and slept again since
    }
  }
  if (!marks.empty()) {
    st.sweep_due = true;
    self->delayed_send(sweep_timer(self), marks.front().due - now, sweep_atom::value);
  }
}

/// Keeps the image of an entity whose actor has stopped to hibernate.
template <class E>
void hibernate(entity_host_actor<E>* self, const std::string& key) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  auto& e = st.entries.at(key);
  e.handle = nullptr;
  e.ph = phase::hibernated;
  ++st.hibernated;
  if (!e.buffer.empty()) {
    wake(self, key);
    return;
  }
  auto& opts = st.ctx->opts;
  if (opts.idle_timeout.count() == 0)
    return;
  // Passivated once idle for idle_timeout in all, counting the hibernate_after it idled before.
  auto delay = opts.idle_timeout - opts.hibernate_after;
  e.passivate_at = self->clock().now() + delay;
  if (e.marked)
    return;
  e.marked = true;
  st.passivation_marks.push_back({key, e.passivate_at});
  if (!st.sweep_due) {
    st.sweep_due = true;
    self->delayed_send(sweep_timer(self), delay, sweep_atom::value);
  }
}

/// Routes a message to `key`'s entity, activating or waking it, or holding the message, as
/// needed. Reads of a hibernated entity are answered from its image.
template <class E>
caf::response_promise route(entity_host_actor<E>* self, const std::string& key,
                            typename entity_host_state<E>::held h) {
  using phase = typename entity_host_state<E>::phase;
  using held = typename entity_host_state<E>::held;
  auto& st = self->state;
  auto rp = h.rp;
  auto [i, added] = st.entries.try_emplace(key);
  auto& e = i->second;
  switch (e.ph) {
  case phase::recovering:
  case phase::active:
    deliver_held<E>(e.handle, h);
    return rp;
  case phase::hibernated:
    if (h.kind == held::get_msg) {
      rp.deliver(e.image->value);
      return rp;
    }
    e.buffer.push_back(std::move(h));
    wake(self, key);
    return rp;
  case phase::waiting:
  case phase::stopping:
    break;
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

namespace detail {

/// An exit message stops the host (a normal one only from outside), and its entities with it;
/// so does an exception in a handler.
template <class E>
void set_stop_handlers(entity_host_actor<E>* self) {
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal)
      return;
    stop_all(self, msg.reason);
    self->quit(std::move(msg.reason));
  });
  self->set_exception_handler([self](std::exception_ptr&) -> caf::error {
    caf::error reason = caf::sec::runtime_error;
    stop_all(self, reason);
    return reason;
  });
}

/// An entity's actor stopped: its permit back if it was recovering; then it hibernates (it handed
/// its image back), is dropped, or is activated again for the messages held meanwhile.
template <class E>
void on_down(entity_host_actor<E>* self, const caf::down_msg& dm) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  auto a = st.keys_by_addr.find(dm.source);
  if (a == st.keys_by_addr.end())
    return;
  auto key = std::move(a->second);
  st.keys_by_addr.erase(a);
  auto i = st.entries.find(key);
  DCA_ASSERT(i != st.entries.end());
  auto& e = i->second;
  if (e.ph == phase::recovering)
    release_permit(self);
  if (e.image) {
    hibernate(self, key);
    return;
  }
  if (e.buffer.empty()) {
    st.entries.erase(i);
    return;
  }
  e.handle = nullptr;
  e.ph = phase::waiting;
  activate(self, key);
}

/// The entry of `key` when the current message comes from its running actor and it is in phase
/// `ph`; else null (a message from an incarnation that has stopped since).
template <class E>
typename entity_host_state<E>::entry* sender_entry(entity_host_actor<E>* self,
                                                   const std::string& key,
                                                   typename entity_host_state<E>::phase ph) {
  auto& st = self->state;
  auto i = st.entries.find(key);
  if (i == st.entries.end() || i->second.ph != ph)
    return nullptr;
  if (i->second.handle.address() != caf::actor_cast<caf::actor_addr>(self->current_sender()))
    return nullptr;
  return &i->second;
}

/// The entity asks to be stopped (idle). From now on, messages for `key` wait here; the entity
/// sees stop_atom after everything we routed to it before, finishes them, and quits; the down
/// message hibernates it, or reactivates it if messages are waiting.
template <class E>
void on_passivate(entity_host_actor<E>* self, const std::string& key) {
  auto* e = sender_entry(self, key, entity_host_state<E>::phase::active);
  if (e == nullptr)
    return;
  e->ph = entity_host_state<E>::phase::stopping;
  self->send(e->handle, stop_atom::value, hibernates(self->state.ctx->opts));
}

template <class E>
void on_recovered(entity_host_actor<E>* self, const std::string& key) {
  using phase = typename entity_host_state<E>::phase;
  auto& st = self->state;
  auto i = st.entries.find(key);
  if (i == st.entries.end() || i->second.ph != phase::recovering)
    return;
  i->second.ph = phase::active;
  release_permit(self);
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
  detail::set_stop_handlers(self);
  self->set_down_handler([self](caf::down_msg& dm) { detail::on_down(self, dm); });
  return {
      [self](command_atom, const std::string& key, command& cmd, std::string& idempotency_key) {
        return detail::route(self, key,
                             held{held::command_msg, self->make_response_promise(), std::move(cmd),
                                  std::move(idempotency_key), std::nullopt});
      },
      [self](command_atom, const std::string& key, command& cmd, sender_stamp& stamp) {
        return detail::route(self, key,
                             held{held::command_msg,
                                  self->make_response_promise(),
                                  std::move(cmd),
                                  {},
                                  std::move(stamp)});
      },
      [self](get_atom, const std::string& key) {
        return detail::route(
            self, key, held{held::get_msg, self->make_response_promise(), std::nullopt, {}, {}});
      },
      [self](resolve_atom, const std::string& key) {
        return detail::route(
            self, key,
            held{held::resolve_msg, self->make_response_promise(), std::nullopt, {}, {}});
      },
      [self](stats_atom) {
        auto& st = self->state;
        return entity_host_stats{st.keys_by_addr.size(), st.hibernated, st.waiting.size(),
                                 st.recovering};
      },
      [self](recovered_atom, const std::string& key) { detail::on_recovered(self, key); },
      [self](passivate_atom, const std::string& key) { detail::on_passivate(self, key); },
      [self](hibernated_atom, const std::string& key, image_ptr<E>& image) {
        if (auto* e = detail::sender_entry(self, key, phase::stopping))
          e->image = std::move(image);
      },
      [self](sweep_atom) { detail::sweep(self); },
  };
}

/// Spawns the host for entity type E over `journal` (or what an installed redirect makes:
/// host_redirect.hpp).
template <class E>
caf::actor spawn_entity_host(caf::actor_system& sys, journal_ptr journal,
                             entity_options opts = {}) {
  static_assert(check_entity_type<E>());
  DCA_ASSERT(journal != nullptr);
  DCA_ASSERT(opts.pending_commands_max > 0);
  DCA_ASSERT(opts.recoveries_max > 0);
  DCA_ASSERT(opts.replay_batch_max > 0);
  // Only a judge's subject installs a redirect: there the host is the judge's (host_redirect.hpp).
  if (const auto& redirect = entity_host_redirect())
    return redirect(sys, E::type_name, opts);
  auto ctx = std::make_shared<host_context>(host_context{std::move(journal), opts});
  return sys.spawn(entity_host_behavior<E>, std::shared_ptr<const host_context>{ctx});
}

} // namespace dca::es
