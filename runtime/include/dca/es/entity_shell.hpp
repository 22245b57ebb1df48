// The actor shell around one entity: it owns the entity's image and runs its commands one at a
// time, decide -> append (expected seq) -> apply once durable -> reply. `decide` and `apply` stay
// pure; only the shell mutates. Its host (entity_host.hpp) starts it, routes to it and stops it.
//
// Commands that arrive while an append is in flight wait, at most pending_commands_max of them,
// then errc::overloaded. A failed append stops the entity (its state may be behind the journal);
// the next message recovers it. When idle for idle_check_period(opts) it asks its host to stop
// it; the host decides whether it hibernates (hands its image back) or passivates (drops it).
//
// Recovery reads the journal. When its reads may block (the SQLite journal), they run on the
// journal's I/O threads, never on CAF's workers: the actor waits for its image with every other
// message left in its mailbox, so a slow recovery holds up no other entity. Commands go straight
// to the running actor: the hot path has no extra hop.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/skip.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/assert.hpp"
#include "dca/es/activity.hpp"
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

  /// A command waiting for the one in flight.
  struct pending_command {
    caf::response_promise rp;
    command cmd;
    std::string idempotency_key;
    std::optional<sender_stamp> stamp; // a command of an activity (then no idempotency key)
  };

  /// A stamped command that came before its sender's earlier ones, and every copy's promise.
  struct held_command {
    command cmd;
    std::vector<caf::response_promise> rps;
  };
  using held_commands = std::map<std::pair<std::string, std::uint64_t>, held_command>;

  /// A command whose events are being appended.
  struct in_flight_command {
    caf::response_promise rp;
    std::string idempotency_key;
    std::vector<event> events;
  };

  std::shared_ptr<const host_context> ctx;
  // Weak: the host holds its entities' handles, so a strong one back would keep both alive for
  // ever, and a program that dropped its last handle to the host would hang in the actor system's
  // destructor. A host that is gone has stopped its entities (~entity_host_state).
  caf::actor_addr host;
  entity_id id; // {E::type_name, key}
  entity_image<E> image;
  std::unique_ptr<std::deque<pending_command>> pending; // allocated on first use: idle is small
  std::unique_ptr<held_commands> held;                  // by (sender, seq); likewise
  std::size_t held_promises = 0;                        // counted against pending_commands_max
  std::optional<in_flight_command> in_flight;
  bool stop_requested = false;
  bool hand_back_image = false; // stopping to hibernate: give the image to the host
  bool stop_asked = false;      // we asked the host to stop us; it has not yet
  bool active = false;          // a message arrived since the last idle check
  bool idle_check_due = false;  // an idle check is scheduled
  caf::error failure;           // set when recovery failed: every command gets it

  static inline const char* name = "dca.es.entity";

  bool idle() const { return !in_flight && (!pending || pending->empty()); }

  /// The host, or an invalid handle (a send to it is dropped) once the host is gone.
  caf::actor host_handle() const { return caf::actor_cast<caf::actor>(host); }
};

template <class E>
using entity_shell = caf::stateful_actor<entity_shell_state<E>>;

namespace detail {

// -- activities (activity.hpp) --------------------------------------------------------------------

/// Answers every held command with errc::sequence_gap, naming the number it waited for: the entity
/// stops (hibernates, passivates or fails), and held commands are not persisted.
template <class E>
void answer_held(entity_shell_state<E>& st, const char* why) {
  if (!st.held)
    return;
  for (auto& [where, h] : *st.held) {
    auto& [sender, seq] = where;
    auto err =
        make_error(errc::sequence_gap,
                   st.id.to_string() + ": command " + std::to_string(seq) + " of " + sender +
                       " waited for " + std::to_string(last_seq_of(st.image.partners, sender) + 1) +
                       "; " + why + "; resend from that number");
    for (auto& rp : h.rps)
      rp.deliver(err);
  }
  st.held.reset();
  st.held_promises = 0;
}

/// Queues `sender`'s held command numbered next, if any, in front of the others: it runs next.
/// Every copy of it runs: the first appends, the others get its recorded reply as duplicates.
template <class E>
void release_next(entity_shell_state<E>& st, const std::string& sender) {
  using pending_command = typename entity_shell_state<E>::pending_command;
  if (!st.held)
    return;
  auto next = sender_stamp{sender, last_seq_of(st.image.partners, sender) + 1};
  auto i = st.held->find({sender, next.seq});
  if (i == st.held->end())
    return;
  if (!st.pending)
    st.pending = std::make_unique<std::deque<pending_command>>();
  auto& h = i->second;
  for (auto rp = h.rps.rbegin(); rp != h.rps.rend(); ++rp)
    st.pending->push_front(pending_command{std::move(*rp), h.cmd, {}, next});
  st.held_promises -= h.rps.size();
  st.held->erase(i);
}

/// Keeps a stamped command that came early, with the promise of its answer.
template <class E>
void hold(entity_shell_state<E>& st, const typename E::command& cmd, const sender_stamp& stamp,
          caf::response_promise rp) {
  if (!st.held)
    st.held = std::make_unique<typename entity_shell_state<E>::held_commands>();
  auto& h = (*st.held)[{stamp.sender, stamp.seq}];
  if (h.rps.empty())
    h.cmd = cmd;
  h.rps.push_back(std::move(rp));
  ++st.held_promises;
}

/// Refuses a stamp without a sender or numbered 0, and a plain command using a stamp's key.
inline caf::error check_stamp(const entity_id& id, const std::optional<sender_stamp>& stamp,
                              const std::string& idempotency_key) {
  if (stamp && (stamp->sender.empty() || stamp->seq == 0))
    return make_error(errc::activity_invalid,
                      id.to_string() +
                          ": a sender stamp needs a sender and a number from 1 (got '" +
                          stamp->sender + "', " + std::to_string(stamp->seq) + ")");
  if (!stamp && is_activity_key(idempotency_key))
    return make_error(errc::activity_invalid,
                      id.to_string() + ": idempotency key '" + idempotency_key +
                          "' starts with 'activity:', which is reserved for sender stamps; use "
                          "another key, or send a sender_stamp");
  return caf::none;
}

/// Answers everything waiting with `err` and stops the entity: after a failed append its state
/// may be behind the journal, so the next message recovers it from there rather than guess.
template <class E>
void fail(entity_shell<E>* self, const caf::error& cause) {
  auto& st = self->state;
  auto err =
      make_error(errc::entity_failed, st.id.to_string() + ": stopped after a failed append (" +
                                          render(cause) + "); retry the command");
  if (st.pending)
    for (auto& p : *st.pending)
      p.rp.deliver(err);
  st.pending.reset();
  answer_held(st, "the entity stopped after a failed append");
  self->quit(); // a normal exit: the host must not take an entity's failure for its own
}

/// Applies the events of a durable append; returns the command's ack.
template <class E>
ack apply_appended(entity_shell_state<E>& st, const append_result& res,
                   const std::vector<typename E::event>& events,
                   const std::string& idempotency_key) {
  auto& img = st.image;
  DCA_ASSERT(res.first_seq == img.seq + 1);
  DCA_ASSERT(res.last_seq == img.seq + events.size());
  for (auto& ev : events)
    img.value = E::apply(std::move(img.value), ev);
  img.seq = res.last_seq;
  img.position = res.last_position;
  img.events_since_snapshot += events.size();
  if (!idempotency_key.empty())
    img.keys.insert({idempotency_key, img.seq, img.position}, st.ctx->opts.idempotency_keys_max);
  // Paired with replay: the partner's number comes from the same key recovery reads it from.
  if (auto stamp = parse_activity_key(idempotency_key)) {
    note_partner(img.partners, idempotency_key);
    release_next(st, stamp->sender);
  }
  maybe_snapshot(*st.ctx->journal, st.id, st.ctx->opts, img);
  return ack{img.seq, img.position, false};
}

/// Completes the in-flight command with the journal's answer, sent by an asynchronous journal.
template <class E>
void finish(entity_shell<E>* self, caf::expected<append_result> res) {
  auto& st = self->state;
  DCA_ASSERT(st.in_flight);
  auto cmd = std::move(*st.in_flight);
  st.in_flight.reset();
  if (!res) {
    cmd.rp.deliver(res.error());
    fail(self, res.error());
    return;
  }
  cmd.rp.deliver(apply_appended(st, *res, cmd.events, cmd.idempotency_key));
}

/// Runs one command. Returns its answer when it is known now: the command needed no append, or
/// the journal completes appends inline (the memory journal). Otherwise the command is in flight
/// with the promise `make_promise()` returns, and the journal's appended message completes it.
template <class E, class MakePromise>
std::optional<caf::expected<ack>> run(entity_shell<E>* self, const typename E::command& cmd,
                                      std::string idempotency_key, MakePromise make_promise) {
  auto& st = self->state;
  DCA_ASSERT(!st.in_flight);
  auto& img = st.image;
  if (auto hit = img.keys.find(idempotency_key))
    return ack{hit->seq, hit->position, true};
  auto decided = E::decide(img.value, cmd);
  if (!decided)
    return decided.error();
  if (decided->empty())
    return ack{img.seq, img.position, false};
  append_request req;
  req.entity = st.id;
  req.expected_seq = img.seq;
  req.idempotency_key = idempotency_key;
  req.events.reserve(decided->size());
  for (auto& ev : *decided) {
    auto data = to_event_data(ev);
    if (!data)
      return data.error();
    req.events.push_back(std::move(*data));
  }
  auto& journal = *st.ctx->journal;
  if (journal.completes_inline()) {
    caf::expected<append_result> res{caf::error{}};
    journal.append(std::move(req), [&res](caf::expected<append_result> r) { res = std::move(r); });
    if (!res) {
      fail(self, res.error());
      return res.error();
    }
    return apply_appended(st, *res, *decided, idempotency_key);
  }
  st.in_flight.emplace(typename entity_shell_state<E>::in_flight_command{
      make_promise(), std::move(idempotency_key), std::move(*decided)});
  journal.append(std::move(req),
                 [handle = caf::actor_cast<caf::actor>(self)](caf::expected<append_result> res) {
                   if (res)
                     caf::anon_send(handle, appended_atom::value, *res);
                   else
                     caf::anon_send(handle, appended_atom::value, res.error());
                 });
  return std::nullopt;
}

/// Runs a stamped command when it is its sender's next; answers a duplicate with the recorded
/// reply; holds or refuses one that came early (entity_options::gaps, sender_window_max).
template <class E, class MakePromise>
std::optional<caf::expected<ack>> run_stamped(entity_shell<E>* self, const typename E::command& cmd,
                                              const sender_stamp& stamp, MakePromise make_promise) {
  auto& st = self->state;
  auto& opts = st.ctx->opts;
  auto last = last_seq_of(st.image.partners, stamp.sender);
  auto what = st.id.to_string() + ": command " + std::to_string(stamp.seq) + " of " + stamp.sender;
  if (stamp.seq <= last) {
    if (auto hit = st.image.keys.find(activity_key(stamp)))
      return ack{hit->seq, hit->position, true};
    return make_error(errc::sequence_stale, what + " was applied already and its reply is no "
                                                   "longer kept (idempotency_keys_max)");
  }
  if (stamp.seq == last + 1)
    return run(self, cmd, activity_key(stamp), make_promise);
  auto expected = " (expected " + std::to_string(last + 1) + ")";
  if (opts.gaps == gap_policy::refuse)
    return make_error(errc::sequence_gap,
                      what + " is ahead" + expected + "; resend from " + std::to_string(last + 1));
  if (stamp.seq - last - 1 > opts.sender_window_max)
    return make_error(errc::sequence_gap, what + " is more than " +
                                              std::to_string(opts.sender_window_max) + " ahead" +
                                              expected + " (sender_window_max)");
  if (st.held_promises >= opts.pending_commands_max)
    return make_error(errc::overloaded, what + ": " + std::to_string(st.held_promises) +
                                            " early commands held (pending_commands_max)");
  hold(st, cmd, stamp, make_promise());
  return std::nullopt;
}

/// Runs a command, stamped or not (see run and run_stamped).
template <class E, class MakePromise>
std::optional<caf::expected<ack>>
dispatch(entity_shell<E>* self, const typename E::command& cmd, std::string idempotency_key,
         const std::optional<sender_stamp>& stamp, MakePromise make_promise) {
  if (stamp)
    return run_stamped(self, cmd, *stamp, make_promise);
  return run(self, cmd, std::move(idempotency_key), make_promise);
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
  while (!st.in_flight && st.pending && !st.pending->empty()) {
    auto pc = std::move(st.pending->front());
    st.pending->pop_front();
    if (auto answer = dispatch(self, pc.cmd, std::move(pc.idempotency_key), pc.stamp,
                               [&pc] { return std::move(pc.rp); })) {
      if (*answer)
        pc.rp.deliver(**answer);
      else
        pc.rp.deliver(answer->error());
    }
  }
  if (!st.idle() || !st.stop_requested)
    return;
  answer_held(st, "the entity stopped (idle) before it came");
  if (st.hand_back_image && !st.failure)
    self->send(st.host_handle(), hibernated_atom::value, st.id.key,
               std::make_shared<entity_image<E>>(std::move(st.image)));
  self->quit();
}

template <class E>
caf::result<ack> on_command(entity_shell<E>* self, typename E::command& cmd,
                            std::string& idempotency_key, std::optional<sender_stamp> stamp = {}) {
  using pending_command = typename entity_shell_state<E>::pending_command;
  auto& st = self->state;
  touch(self);
  if (st.failure)
    return st.failure;
  if (auto err = check_stamp(st.id, stamp, idempotency_key))
    return err;
  auto waiting = st.pending ? st.pending->size() : 0;
  if (!st.idle() && waiting >= st.ctx->opts.pending_commands_max)
    return make_error(errc::overloaded, st.id.to_string() + ": " + std::to_string(waiting) +
                                            " commands pending (pending_commands_max)");
  if (st.idle()) {
    caf::response_promise rp;
    auto answer = dispatch(self, cmd, std::move(idempotency_key), stamp, [&] {
      rp = self->make_response_promise();
      return rp;
    });
    drain(self);
    if (!answer)
      return rp;
    if (*answer)
      return **answer;
    return answer->error();
  }
  auto rp = self->make_response_promise();
  if (!st.pending)
    st.pending = std::make_unique<std::deque<pending_command>>();
  st.pending->push_back(
      pending_command{rp, std::move(cmd), std::move(idempotency_key), std::move(stamp)});
  return rp;
}

/// Takes the journal's answer to an append: completes the in-flight command, then runs the ones
/// that waited (a failed append stops the entity instead).
template <class E>
void on_appended(entity_shell<E>* self, caf::expected<append_result> res) {
  auto ok = static_cast<bool>(res);
  finish(self, std::move(res));
  if (ok)
    drain(self);
}

template <class E>
void on_idle_check(entity_shell<E>* self) {
  auto& st = self->state;
  st.idle_check_due = false;
  if (st.active || !st.idle()) {
    schedule_idle_check(self);
    return;
  }
  if (!st.stop_asked) {
    st.stop_asked = true;
    self->send(st.host_handle(), passivate_atom::value, st.id.key);
  }
}

/// The running entity: commands, reads, the journal's answers, stop requests and idle checks.
template <class E>
caf::behavior running_behavior(entity_shell<E>* self) {
  return {
      [self](command_atom, typename E::command& cmd, std::string& idempotency_key) {
        return on_command(self, cmd, idempotency_key);
      },
      [self](command_atom, typename E::command& cmd, sender_stamp& stamp) {
        std::string no_key;
        return on_command(self, cmd, no_key, std::move(stamp));
      },
      [self](get_atom) -> caf::result<typename E::state> {
        auto& st = self->state;
        touch(self);
        if (st.failure)
          return st.failure;
        return st.image.value;
      },
      [self](appended_atom, append_result& res) { on_appended(self, std::move(res)); },
      [self](appended_atom, caf::error& err) { on_appended<E>(self, std::move(err)); },
      [self](stop_atom, bool hand_back_image) {
        auto& st = self->state;
        st.stop_requested = true;
        st.hand_back_image = hand_back_image;
        drain(self);
      },
      [self](idle_check_atom) { on_idle_check(self); },
  };
}

/// Recovery is over (`failure` is what every command gets when it failed): the host gets its
/// permit back and idle checks begin. Idle detection is not CAF's per-behavior `after` (it
/// re-arms a timer on the clock thread for every message, which cost ~9 us per command here) but
/// one delayed idle check per period while the entity is in use: it is stopped between 1x and 2x
/// the period after its last message.
template <class E>
void recovered(entity_shell<E>* self, caf::error failure) {
  auto& st = self->state;
  st.failure = std::move(failure);
  self->send(st.host_handle(), recovered_atom::value, st.id.key);
  schedule_idle_check(self);
}

/// Recovers on the journal's I/O threads; the image comes back in a replayed message. The task
/// owns a reference to the journal: the actor may stop (its shard lost) before the task runs, and
/// the journal it was given may be a decorator (a fence) that nothing else keeps alive.
template <class E>
void recover_on_io_threads(entity_shell<E>* self) {
  auto& st = self->state;
  auto j = st.ctx->journal;
  j->run_io([j, id = st.id, opts = st.ctx->opts, handle = caf::actor_cast<caf::actor>(self)] {
    auto image = std::make_shared<entity_image<E>>();
    auto failure = recover(*j, id, opts, *image);
    caf::anon_send(handle, replayed_atom::value, std::move(image), std::move(failure));
  });
}

/// While the image is being read: every other message stays in the mailbox (CAF's skip) and is
/// handled, in order, once the image is in.
template <class E>
caf::behavior recovering_behavior(entity_shell<E>* self) {
  self->set_default_handler(caf::skip);
  return {
      [self](replayed_atom, image_ptr<E>& image, caf::error& failure) {
        self->state.image = std::move(*image);
        self->set_default_handler(caf::print_and_drop);
        recovered(self, std::move(failure));
        self->become(running_behavior(self));
      },
  };
}

} // namespace detail

/// The entity's actor. `woken` is the image of a hibernated incarnation, or null: then the
/// entity recovers from the journal and tells the host when it is done (returning its permit).
template <class E>
caf::behavior entity_actor(entity_shell<E>* self, std::shared_ptr<const host_context> ctx,
                           caf::actor_addr host, std::string key, image_ptr<E> woken) {
  static_assert(check_entity_type<E>());
  auto& init = self->state;
  init.ctx = std::move(ctx);
  init.host = std::move(host);
  init.id = entity_id{E::type_name, std::move(key)};
  if (woken) {
    init.image = std::move(*woken);
    detail::schedule_idle_check(self);
  } else if (init.ctx->journal->reads_block()) {
    detail::recover_on_io_threads(self);
    return detail::recovering_behavior(self);
  } else {
    detail::recovered(self, recover(*init.ctx->journal, init.id, init.ctx->opts, init.image));
  }
  return detail::running_behavior(self);
}

} // namespace dca::es
