// A saga (a process manager) as an entity: the steps of a business transaction that spans several
// entities or services, each a local step with its own effect, and the compensations that undo the
// ones taken when a later step fails. The saga's state is its own events (begun, each step done
// or failed, each compensation done), so a driver that dies loses nothing: the next one reads the
// saga and takes the step after the last one it recorded (Garcia-Molina and Salem's sagas; the
// process manager of Hohpe and Woolf). This header is the pure part, an entity type like any other;
// saga_driver.hpp is the actor that takes the steps.
//
// A saga type names its payload and its steps, in order:
//   struct transfer_def {
//     static constexpr const char* type_name = "transfer";     // the journal's stream type
//     using payload = transfer_params;                          // with inspect and ==
//     static constexpr const char* steps[] = {"debit", "credit"};
//     static caf::error check(const transfer_params&);          // optional: refuses a payload
//   };
//   using transfer = dca::es::saga<transfer_def>;              // host it like any entity
//
// The protocol, decided by the saga entity (never by a driver's memory):
// - Steps run in order. A step done moves on; the last one done completes the saga.
// - A step refused (a domain "no": nothing happened) compensates the steps before it, last first.
// - A step recorded as not answered (its tries ran out) is in doubt: the saga compensates it too,
//   then the ones before it, so that step's undo must be harmless when the step never took effect
//   (saga_driver.hpp records it only for steps that say so; for others it waits).
// - A step answered twice, or a compensation recorded twice, is refused with
//   errc::step_answered_twice and changes nothing: the first answer stands.
// - A hold that expires: a step done may record an expiry (`expires_at_ms`, a hold's deadline on
// the
//   clock of whoever records it: CAF's actor clock for saga_driver.hpp, virtual in tests). Unless
//   the next step is done by then, `expire_saga{now_ms}` at or after the deadline makes that next
//   step in doubt, so the saga compensates it and the steps before it (the hold is released) even
//   when no driver ever comes back (saga_driver.hpp's spawn_saga_expiry records it on time). Its
//   answer arriving late is refused like any second answer, so the saga's events decide; the
//   step's undo must therefore be harmless when the step never took effect and must fence out the
//   step arriving after it (a tombstone by the step's key), or a late effect creates money.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/variant.hpp>

#include "dca/es/errors.hpp"

namespace dca::es {

// -- state ----------------------------------------------------------------------------------------

enum class saga_status : std::uint8_t {
  none,         // never begun
  running,      // next: the step `steps_done`
  compensating, // next: the undo of step `steps_done - 1`
  completed,    // every step done
  compensated,  // a step failed and every step before it (and it, when in doubt) was undone
};

/// "running", "compensated", ...
inline const char* to_string(saga_status x) noexcept {
  switch (x) {
  case saga_status::none:
    return "none";
  case saga_status::running:
    return "running";
  case saga_status::compensating:
    return "compensating";
  case saga_status::completed:
    return "completed";
  case saga_status::compensated:
    return "compensated";
  }
  return "unknown";
}

/// How a step was answered, as its driver records it.
enum class step_answer : std::uint8_t {
  done,         // the step took effect
  refused,      // the step was refused: it took no effect
  not_answered, // no answer within the step's timeouts: it may or may not have taken effect
};

template <class Payload>
struct saga_state {
  saga_status status = saga_status::none;
  Payload payload;
  /// Running: how many steps took effect (the next one is this). Compensating: how many are still
  /// to undo (the next undo is step `steps_done - 1`).
  std::uint32_t steps_done = 0;
  /// Compensating or compensated: the step that failed, and why, in words.
  std::uint32_t failed_step = 0;
  std::string failure;
  /// Running: when the last step done (a hold) expires unless the next step is done first, in ms on
  /// its recorder's clock; 0 when it never does.
  std::int64_t expires_at_ms = 0;
};

template <class Inspector, class Payload>
typename Inspector::result_type inspect(Inspector& f, saga_state<Payload>& x) {
  return f(caf::meta::type_name("saga_state"), x.status, x.payload, x.steps_done, x.failed_step,
           x.failure, x.expires_at_ms);
}

/// Whether a saga in `s` has nothing left to do.
inline bool finished(saga_status s) noexcept {
  return s == saga_status::completed || s == saga_status::compensated;
}

// -- commands and events --------------------------------------------------------------------------

template <class Payload>
struct begin_saga {
  Payload payload;
};
/// Step `step` was answered (`reason`: a refusal's or a timeout's words). A step done may hold
/// something until `expires_at_ms` (0: for good).
struct record_step {
  std::uint32_t step = 0;
  step_answer answer = step_answer::done;
  std::string reason;
  std::int64_t expires_at_ms = 0;
};
/// Step `step`'s compensation took effect (or the step has none).
struct record_undo {
  std::uint32_t step = 0;
};
/// The clock says `now_ms`: a hold past its expiry makes the next step in doubt (see the top).
struct expire_saga {
  std::int64_t now_ms = 0;
};

template <class Payload>
struct saga_begun {
  Payload payload;
};
struct step_done {
  std::uint32_t step = 0;
  std::int64_t expires_at_ms = 0;
};
struct step_failed {
  std::uint32_t step = 0;
  bool in_doubt = false; // not answered: it may have taken effect, so it is undone too
  std::string reason;
};
struct step_undone {
  std::uint32_t step = 0;
};

template <class Inspector, class Payload>
typename Inspector::result_type inspect(Inspector& f, begin_saga<Payload>& x) {
  return f(caf::meta::type_name("begin_saga"), x.payload);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_step& x) {
  return f(caf::meta::type_name("record_step"), x.step, x.answer, x.reason, x.expires_at_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_undo& x) {
  return f(caf::meta::type_name("record_undo"), x.step);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expire_saga& x) {
  return f(caf::meta::type_name("expire_saga"), x.now_ms);
}
template <class Inspector, class Payload>
typename Inspector::result_type inspect(Inspector& f, saga_begun<Payload>& x) {
  return f(caf::meta::type_name("saga_begun"), x.payload);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_done& x) {
  return f(caf::meta::type_name("step_done"), x.step, x.expires_at_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_failed& x) {
  return f(caf::meta::type_name("step_failed"), x.step, x.in_doubt, x.reason);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_undone& x) {
  return f(caf::meta::type_name("step_undone"), x.step);
}

/// The idempotency key of step `step_name` of saga `saga_id` ("saga:t1:debit"), or of its undo
/// ("saga:t1:debit:undo"): the same on every retry and every resumed driver, so the step's target
/// takes its effect once however often it is asked.
inline std::string step_key(const std::string& saga_id, const std::string& step_name,
                            bool undo = false) {
  return "saga:" + saga_id + ":" + step_name + (undo ? ":undo" : "");
}

// -- the entity type ------------------------------------------------------------------------------

namespace detail {

/// Whether the saga type `Def` has a `check` of its payloads.
template <class Def, class = void>
struct has_payload_check : std::false_type {};
template <class Def>
struct has_payload_check<
    Def, std::void_t<decltype(Def::check(std::declval<const typename Def::payload&>()))>>
    : std::true_type {};

} // namespace detail

/// The saga entity of the saga type `Def` (see the top of this file).
template <class Def>
struct saga {
  static constexpr const char* type_name = Def::type_name;
  using payload = typename Def::payload;
  using state = saga_state<payload>;
  using command = caf::variant<begin_saga<payload>, record_step, record_undo, expire_saga>;
  using event = caf::variant<saga_begun<payload>, step_done, step_failed, step_undone>;

  static constexpr std::uint32_t steps = static_cast<std::uint32_t>(std::size(Def::steps));
  static std::string step_name(std::uint32_t step) {
    return step < steps ? Def::steps[step] : "#" + std::to_string(step);
  }

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd) {
    if (auto begin = caf::get_if<begin_saga<payload>>(&cmd)) {
      if (s.status == saga_status::none) {
        if constexpr (detail::has_payload_check<Def>::value)
          if (auto err = Def::check(begin->payload))
            return err;
        return std::vector<event>{saga_begun<payload>{begin->payload}};
      }
      if (begin->payload == s.payload)
        return std::vector<event>{}; // begun before: a resumed driver begins again
      return make_error(errc::saga_invalid, "saga begun again with another payload");
    }
    if (auto answered = caf::get_if<record_step>(&cmd))
      return decide_step(s, *answered);
    if (auto expiry = caf::get_if<expire_saga>(&cmd))
      return decide_expiry(s, *expiry);
    return decide_undo(s, caf::get<record_undo>(cmd));
  }

  static state apply(state s, const event& ev) {
    if (auto begun = caf::get_if<saga_begun<payload>>(&ev)) {
      s.status = saga_status::running;
      s.payload = begun->payload;
    } else if (auto done = caf::get_if<step_done>(&ev)) {
      s.steps_done += 1;
      s.expires_at_ms = done->expires_at_ms; // the hold before it, if any, is spent
      if (s.steps_done == steps)
        s.status = saga_status::completed;
    } else if (auto failed = caf::get_if<step_failed>(&ev)) {
      s.failed_step = failed->step;
      s.failure = step_name(failed->step) + ": " + failed->reason;
      s.expires_at_ms = 0;
      s.steps_done = failed->step + (failed->in_doubt ? 1 : 0);
      s.status = s.steps_done == 0 ? saga_status::compensated : saga_status::compensating;
    } else {
      s.steps_done -= 1;
      if (s.steps_done == 0)
        s.status = saga_status::compensated;
    }
    return s;
  }

private:
  static caf::expected<std::vector<event>> decide_step(const state& s, const record_step& r) {
    if (s.status == saga_status::running && r.step > s.steps_done)
      return make_error(errc::saga_invalid, "step " + step_name(r.step) + " answered before step " +
                                                step_name(s.steps_done));
    if (s.status != saga_status::running || r.step != s.steps_done)
      return answered_twice(s, "step " + step_name(r.step));
    if (r.answer == step_answer::done)
      return std::vector<event>{step_done{r.step, r.expires_at_ms}};
    return std::vector<event>{step_failed{r.step, r.answer == step_answer::not_answered, r.reason}};
  }

  /// Nothing to do (no events) before the expiry, without one, or once the saga moved on: an
  /// expiry timer may fire late or twice.
  static caf::expected<std::vector<event>> decide_expiry(const state& s, const expire_saga& e) {
    if (s.status != saga_status::running || s.expires_at_ms == 0 || e.now_ms < s.expires_at_ms)
      return std::vector<event>{};
    return std::vector<event>{step_failed{s.steps_done, true,
                                          "the hold of step " + step_name(s.steps_done - 1) +
                                              " expired at " + std::to_string(s.expires_at_ms) +
                                              " ms (now " + std::to_string(e.now_ms) +
                                              " ms) before this step was answered"}};
  }

  static caf::expected<std::vector<event>> decide_undo(const state& s, const record_undo& r) {
    if (s.status != saga_status::compensating || r.step + 1 != s.steps_done)
      return answered_twice(s, "the undo of step " + step_name(r.step));
    return std::vector<event>{step_undone{r.step}};
  }

  /// The answer to a record the saga no longer waits for: it was recorded before (a second answer,
  /// a second driver). The saga's events stand.
  static caf::error answered_twice(const state& s, const std::string& what) {
    std::string now = to_string(s.status);
    if (s.status == saga_status::running)
      now += " at step " + step_name(s.steps_done);
    else if (s.status == saga_status::compensating)
      now += " at the undo of step " + step_name(s.steps_done - 1);
    return make_error(errc::step_answered_twice,
                      what + " answered, but the saga is " + now + ": its first answer stands");
  }
};

} // namespace dca::es
