// The actor that takes a saga's steps (saga.hpp): it begins the saga in its entity, reads where
// the saga is, takes the next step (or undo) with the step's idempotency key and timeout, records
// the answer in the saga, and reads again, until the saga is finished. It keeps nothing the saga
// does not record, so a driver that dies at any point is replaced by running the saga again: the
// new driver resumes from the saga's events, and a step taken but not recorded is asked again with
// the same key, which its target answers without a second effect.
//   auto driver = dca::es::spawn_saga_driver<transfer>(sys, transfers, "t1", params, steps);
//   self->request(driver, 10s, dca::es::get_atom::value).receive(
//       [](const transfer::state& s) { /* completed or compensated */ }, [](caf::error&) {});
// Timeouts are requests' timeouts on CAF's clock, so CAF's test coordinator fires them in virtual
// time and a test of a step that never answers is deterministic.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/assert.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/errors.hpp"
#include "dca/es/saga.hpp"

namespace dca::es {

/// Called once with a step's answer: none when it took effect, sec::request_timeout when no
/// answer came in time, any other error when it was refused (a domain's error) or failed.
using step_answered = std::function<void(caf::error)>;

/// Sends one step's request for `payload`, carrying `key` as its idempotency key and waiting at
/// most `timeout`, and calls `answered` with what came back.
template <class Payload>
using step_sender =
    std::function<void(caf::event_based_actor* self, const Payload& payload, const std::string& key,
                       std::chrono::milliseconds timeout, step_answered answered)>;

/// One step of a saga, as its driver takes it.
template <class Payload>
struct saga_step {
  step_sender<Payload> run;
  /// Undoes the step, when a later step fails; empty when the step leaves nothing to undo.
  step_sender<Payload> undo;
  /// How long one try waits for its answer.
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};
  /// Tries per driver (a retry carries the same key, so it cannot take effect twice). What then:
  /// see compensate_unanswered. An undo not answered after as many tries stops the driver.
  int attempts_max = 3;
  /// A step not answered after attempts_max tries is in doubt. True: the driver records it as not
  /// answered and the saga compensates it and the steps before it, so its undo must be harmless
  /// when the step never took effect (a release of a hold that is not there). False (a step whose
  /// undo is not harmless then, such as a refund): the driver stops with errc::timeout and the
  /// saga waits at the step until a driver gets its answer.
  bool compensate_unanswered = false;
  /// A step that holds something (money, a seat) for the next one: how long the hold lasts, from
  /// when the driver records it, on CAF's clock; zero: for good. Past it, spawn_saga_expiry
  /// compensates the saga when the next step was not done in time.
  std::chrono::milliseconds expires_after{0};
};

/// `self`'s clock (CAF's: virtual under the test coordinator) in ms since its epoch: what a saga's
/// expiries are recorded in.
inline std::int64_t clock_ms(caf::local_actor* self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             self->clock().now().time_since_epoch())
      .count();
}

/// A step that is a command to an entity of type `Entity` behind `host`: the entity's key and the
/// command come from the payload; the saga's step key is the command's idempotency key.
template <class Entity, class Payload, class KeyOf, class CommandOf>
step_sender<Payload> entity_command_step(caf::actor host, KeyOf key_of, CommandOf command_of) {
  return [=](caf::event_based_actor* self, const Payload& p, const std::string& key,
             std::chrono::milliseconds timeout, step_answered answered) {
    self->request(host, caf::duration{timeout}, command_atom::value, key_of(p),
                  typename Entity::command{command_of(p)}, key)
        .then([answered](const ack&) { answered(caf::none); },
              [answered](caf::error& err) { answered(std::move(err)); });
  };
}

/// Whether `err` is a refusal by the step's domain (its own error category): the step took no
/// effect. CAF's and the runtime's errors are not refusals: the step may or may not have run.
inline bool is_refusal(const caf::error& err) {
  return err && err.category() != caf::atom("system") && err.category() != error_category;
}

namespace detail {

/// Spawns a stateful actor of type `Actor` (a driver, an expiry) that works on saga `id` behind
/// `sagas`: its state gets the host, the id, the payload and the steps; `make_behavior(self)`
/// gives its behavior.
template <class Actor, class Payload, class MakeBehavior>
caf::actor spawn_on_saga(caf::actor_system& sys, caf::actor sagas, std::string id, Payload params,
                         std::vector<saga_step<Payload>> steps, MakeBehavior make_behavior) {
  return sys.spawn([sagas = std::move(sagas), id = std::move(id), params = std::move(params),
                    steps = std::move(steps), make_behavior](Actor* self) -> caf::behavior {
    auto& st = self->state;
    st.sagas = sagas;
    st.id = id;
    st.params = params;
    st.steps = steps;
    return make_behavior(self);
  });
}

template <class Saga>
struct saga_driver_state {
  using payload = typename Saga::payload;
  caf::actor sagas;
  std::string id;
  payload params;
  std::vector<saga_step<payload>> steps;
  std::chrono::milliseconds record_timeout{std::chrono::seconds{10}};
  int attempt = 0; // tries of the step (or undo) being taken
  std::optional<typename Saga::state> outcome;
  caf::error failure;
  std::vector<caf::response_promise> waiters;
  static inline const char* name = "dca.es.saga_driver";
};

/// The driver's steps, as functions of its actor (a class only to share the template parameter).
template <class Saga>
struct saga_driver {
  using actor_type = caf::stateful_actor<saga_driver_state<Saga>>;
  using state = typename Saga::state;

  static void deliver(caf::response_promise& rp, const saga_driver_state<Saga>& st) {
    if (st.failure)
      rp.deliver(st.failure);
    else
      rp.deliver(*st.outcome);
  }

  static void finish(actor_type* self, std::optional<state> outcome, caf::error failure) {
    auto& st = self->state;
    st.outcome = std::move(outcome);
    st.failure = std::move(failure);
    for (auto& rp : st.waiters)
      deliver(rp, st);
    if (!st.waiters.empty())
      self->quit();
  }

  /// Reads the saga's state and takes what comes next.
  static void refresh(actor_type* self) {
    self->request(self->state.sagas, self->state.record_timeout, get_atom::value, self->state.id)
        .then([self](const state& s) { advance(self, s); },
              [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
  }

  /// Records `cmd` in the saga, then reads it again.
  static void record(actor_type* self, typename Saga::command cmd) {
    self->state.attempt = 0;
    self->request(self->state.sagas, self->state.record_timeout, command_atom::value,
                  self->state.id, std::move(cmd), std::string{})
        .then([self](const ack&) { refresh(self); },
              [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
  }

  static std::string timeout_words(const saga_step<typename Saga::payload>& step) {
    return "not answered within " + std::to_string(step.timeout.count()) + " ms, " +
           std::to_string(step.attempts_max) + " tries";
  }

  /// Takes step `k` (another try after a timeout, with the same key) and records its answer.
  static void take_step(actor_type* self, std::uint32_t k) {
    auto& st = self->state;
    const auto& step = st.steps[k];
    st.attempt += 1;
    step.run(
        self, st.params, step_key(st.id, Saga::step_name(k)), step.timeout,
        [self, k](caf::error err) {
          const auto& current = self->state.steps[k];
          if (!err) {
            auto hold = current.expires_after;
            return record(self, record_step{k, step_answer::done, "",
                                            hold.count() == 0 ? 0 : clock_ms(self) + hold.count()});
          }
          if (is_refusal(err))
            return record(self, record_step{k, step_answer::refused, render(err)});
          if (err != caf::sec::request_timeout)
            return finish(self, std::nullopt, std::move(err)); // resume later
          if (self->state.attempt < current.attempts_max)
            return take_step(self, k);
          if (current.compensate_unanswered)
            return record(self, record_step{k, step_answer::not_answered, timeout_words(current)});
          finish(self, std::nullopt,
                 make_error(errc::timeout, "step " + Saga::step_name(k) + " of saga " +
                                               self->state.id + " " + timeout_words(current) +
                                               "; the saga waits at it: run it again"));
        });
  }

  /// Undoes step `k` (or records that it has nothing to undo).
  static void take_undo(actor_type* self, std::uint32_t k) {
    auto& st = self->state;
    const auto& step = st.steps[k];
    if (!step.undo)
      return record(self, record_undo{k});
    st.attempt += 1;
    step.undo(
        self, st.params, step_key(st.id, Saga::step_name(k), true), step.timeout,
        [self, k](caf::error err) {
          const auto& current = self->state.steps[k];
          if (!err)
            return record(self, record_undo{k});
          if (err == caf::sec::request_timeout && self->state.attempt < current.attempts_max)
            return take_undo(self, k);
          // An undo must not fail: the saga stays compensating until a driver gets it done.
          finish(self, std::nullopt,
                 make_error(errc::timeout, "the undo of step " + Saga::step_name(k) + " of saga " +
                                               self->state.id + ": " + render(err) +
                                               "; the saga stays compensating: run it again"));
        });
  }

  static void advance(actor_type* self, const state& s) {
    switch (s.status) {
    case saga_status::running:
      return take_step(self, s.steps_done);
    case saga_status::compensating:
      return take_undo(self, s.steps_done - 1);
    case saga_status::completed:
    case saga_status::compensated:
      return finish(self, s, caf::none);
    case saga_status::none:
      break;
    }
    finish(self, std::nullopt,
           make_error(errc::saga_invalid, "saga " + self->state.id + " was not begun"));
  }

  static caf::behavior behavior(actor_type* self) {
    // Beginning is idempotent (the saga ignores a second begin with the same payload), so a
    // resumed saga is one run again.
    self->request(self->state.sagas, self->state.record_timeout, command_atom::value,
                  self->state.id,
                  typename Saga::command{begin_saga<typename Saga::payload>{self->state.params}},
                  std::string{})
        .then([self](const ack&) { refresh(self); },
              [self](caf::error& err) { finish(self, std::nullopt, std::move(err)); });
    return {[self](get_atom) {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      if (!st.outcome && !st.failure) {
        st.waiters.push_back(rp);
        return rp;
      }
      deliver(rp, st);
      self->quit();
      return rp;
    }};
  }
};

} // namespace detail

/// Spawns the driver of saga `id` (an entity of `Saga` behind the host `sagas`) with `params` and
/// one entry of `steps` per step of the saga type, in order. Ask it (get_atom) -> Saga::state for
/// the outcome, completed or compensated; an error means the driver stopped on an infrastructure
/// error and the saga stays where its events say: spawn a driver for it again. It quits once it
/// has answered.
template <class Saga>
caf::actor spawn_saga_driver(caf::actor_system& sys, caf::actor sagas, std::string id,
                             typename Saga::payload params,
                             std::vector<saga_step<typename Saga::payload>> steps) {
  DCA_ASSERT_MSG(steps.size() == Saga::steps, "one saga_step per step of the saga type");
  using driver = detail::saga_driver<Saga>;
  return detail::spawn_on_saga<typename driver::actor_type>(
      sys, std::move(sagas), std::move(id), std::move(params), std::move(steps),
      [](typename driver::actor_type* self) { return driver::behavior(self); });
}

/// A saga's hold is due: the expiry's own timer.
using expire_atom = caf::atom_constant<caf::atom("sagaexpire")>;

/// What spawn_saga_expiry keeps: the saga, the steps a driver needs, and who waits for the end.
template <class Saga>
struct saga_expiry_state {
  caf::actor sagas;
  std::string id;
  typename Saga::payload params;
  std::vector<saga_step<typename Saga::payload>> steps;
  std::chrono::milliseconds record_timeout{std::chrono::seconds{10}};
  std::optional<caf::expected<typename Saga::state>> outcome;
  std::vector<caf::response_promise> waiters;
  static inline const char* name = "dca.es.saga_expiry";
};

namespace detail {

/// The expiry's steps, as functions of its actor.
template <class Saga>
struct saga_expiry {
  using actor_type = caf::stateful_actor<saga_expiry_state<Saga>>;
  using state = typename Saga::state;

  static void deliver(caf::response_promise& rp, const caf::expected<state>& outcome) {
    if (outcome)
      rp.deliver(*outcome);
    else
      rp.deliver(outcome.error());
  }

  static void finish(actor_type* self, caf::expected<state> outcome) {
    self->state.outcome = std::move(outcome);
    for (auto& rp : self->state.waiters)
      deliver(rp, *self->state.outcome);
    self->state.waiters.clear();
  }

  /// A driver takes what the saga says now (the compensations, once it expired) to the end.
  static void drive(actor_type* self) {
    auto& st = self->state;
    auto driver = spawn_saga_driver<Saga>(self->system(), st.sagas, st.id, st.params, st.steps);
    self->request(driver, caf::infinite, get_atom::value)
        .then([self](const state& s) { finish(self, s); },
              [self](caf::error& err) { finish(self, std::move(err)); });
  }

  /// Reads the saga: waits for its expiry on the clock, records it when due, and has the saga
  /// compensated when that expired it; ends when the saga is past any hold.
  static void check(actor_type* self) {
    auto& st = self->state;
    self->request(st.sagas, st.record_timeout, get_atom::value, st.id)
        .then(
            [self](const state& s) {
              if (s.status == saga_status::compensating)
                return drive(self);
              if (s.status != saga_status::running || s.expires_at_ms == 0)
                return finish(self, s);
              auto due = s.expires_at_ms - clock_ms(self);
              if (due > 0)
                return self->delayed_send(self, std::chrono::milliseconds{due}, expire_atom::value);
              expire(self);
            },
            [self](caf::error& err) { finish(self, std::move(err)); });
  }

  static caf::behavior behavior(actor_type* self) {
    check(self);
    return {[self](expire_atom) { expire(self); },
            [self](get_atom) {
              auto rp = self->make_response_promise();
              if (self->state.outcome)
                deliver(rp, *self->state.outcome);
              else
                self->state.waiters.push_back(rp);
              return rp;
            }};
  }

  static void expire(actor_type* self) {
    auto& st = self->state;
    self->request(st.sagas, st.record_timeout, command_atom::value, st.id,
                  typename Saga::command{expire_saga{clock_ms(self)}}, std::string{})
        .then([self](const ack&) { check(self); },
              [self](caf::error& err) { finish(self, std::move(err)); });
  }
};

} // namespace detail

/// Watches saga `id` behind `sagas` for as long as a step done holds something: at the hold's
/// expiry, on CAF's clock, it records expire_saga; when that expired the saga (the next step was
/// not done in time), a driver with `steps` compensates it, so a hold never outlives its expiry
/// although no driver of the saga ever comes back. Ask it (get_atom) -> Saga::state: the saga once
/// compensated, or as it found it past its hold (done in time, finished, or holding nothing).
template <class Saga>
caf::actor spawn_saga_expiry(caf::actor_system& sys, caf::actor sagas, std::string id,
                             typename Saga::payload params,
                             std::vector<saga_step<typename Saga::payload>> steps) {
  DCA_ASSERT_MSG(steps.size() == Saga::steps, "one saga_step per step of the saga type");
  using expiry = detail::saga_expiry<Saga>;
  return detail::spawn_on_saga<typename expiry::actor_type>(
      sys, std::move(sagas), std::move(id), std::move(params), std::move(steps),
      [](typename expiry::actor_type* self) { return expiry::behavior(self); });
}

} // namespace dca::es
