// Everything the actor explorer needs from CAF 0.17.6 beyond its documented API, in one place:
// the responses an actor awaits (protected members of scheduled_actor), the mailbox's queues and
// their caches, the test coordinator's job queue, the test clock's pending timeouts, and starting
// or ending an actor by hand. The explorer must predict which message an actor handles next and
// run exactly one step of it, which no public API offers; keeping these reads here means a CAF
// upgrade touches one file, and the rest of the explorer speaks in steps and actors.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/detail/test_actor_clock.hpp"
#include "caf/execution_unit.hpp"
#include "caf/exit_reason.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "dca/assert.hpp"

namespace dca::explore::detail {

using caf::detail::simple_actor_clock;

// CAF 0.17 keeps the responses an actor waits for in protected members. The explorer reads them,
// never writes them: to predict which message a waiting actor handles next, and to say who waits
// for whom. (Naming them through a derived class is what makes the member pointers accessible.)
struct response_tables : caf::scheduled_actor {
  using caf::scheduled_actor::awaited_responses_;
  using caf::scheduled_actor::multiplexed_responses_;
};

inline const auto& awaited(const caf::scheduled_actor& x) {
  return x.*(&response_tables::awaited_responses_);
}

inline const auto& multiplexed(const caf::scheduled_actor& x) {
  return x.*(&response_tables::multiplexed_responses_);
}

// The id of an actor's receive timeout, another protected member: the bridge's subject fires the
// learner's receive timeout when the judge's clock says, with the id CAF takes for the live one.
struct timeout_ids : caf::scheduled_actor {
  using caf::scheduled_actor::timeout_id_;
};

inline std::uint64_t receive_timeout_id(const caf::scheduled_actor& x) {
  return x.*(&timeout_ids::timeout_id_);
}

/// Message IDs compared by value (CAF's operator== subtracts them as signed integers).
inline bool same(caf::message_id x, caf::message_id y) {
  return x.integer_value() == y.integer_value();
}

// -- faults on a lossy link
// ------------------------------------------------------------------------

/// The id a lost message gets: a response to a request no actor ever made (every request id bit
/// set), so its receiver drops it unhandled, as CAF drops a late reply. CAF 0.17's mailbox queues
/// cannot erase an element, but a message's id is a plain field of it.
inline caf::message_id lost_id(caf::message_id was) {
  return caf::message_id{caf::message_id::response_flag_mask |
                         (was.integer_value() & caf::message_id::category_flag_mask) |
                         caf::message_id::request_id_mask};
}

inline bool lost(const caf::mailbox_element& m) {
  return same(m.mid, lost_id(m.mid));
}

/// `xs` without the lost messages: a lost message is no longer there for anyone who looks.
inline std::vector<const caf::mailbox_element*>
without_lost(std::vector<const caf::mailbox_element*> xs) {
  xs.erase(std::remove_if(xs.begin(), xs.end(), [](const auto* m) { return lost(*m); }), xs.end());
  return xs;
}

/// Loses `m`, a message waiting in a mailbox: its receiver will drop it without handling it.
inline void lose(const caf::mailbox_element& m) {
  const_cast<caf::mailbox_element&>(m).mid = lost_id(m.mid);
}

/// Delivers a copy of `m`, a message waiting in the mailbox of `x`, to `x` again: it arrives
/// behind whatever is there now, from the same sender with the same id (a request's copy is
/// answered too, and its second reply is a late one).
inline void deliver_twice(caf::scheduled_actor& x, const caf::mailbox_element& m) {
  x.enqueue(caf::make_mailbox_element(m.sender, m.mid, m.stages, m.copy_content_to_message()),
            nullptr);
}

inline bool started(const caf::scheduled_actor& x) {
  return x.getf(caf::abstract_actor::is_initialized_flag);
}

inline bool terminated(const caf::scheduled_actor& x) {
  return x.getf(caf::abstract_actor::is_terminated_flag);
}

/// Whether `x` still has a handler for the response `id`: a reply or timeout for it matters.
inline bool waits_for(const caf::scheduled_actor& x, caf::message_id id) {
  const auto& aw = awaited(x);
  auto in_awaited =
      std::any_of(aw.begin(), aw.end(), [id](auto& kvp) { return same(kvp.first, id); });
  const auto& mx = multiplexed(x);
  return in_awaited || mx.find(id) != mx.end();
}

/// The messages in the mailbox of `x` that the actor has already fetched, in the order a resume
/// visits them (high-priority before ordinary ones), then those it skipped while awaiting a reply.
inline std::vector<const caf::mailbox_element*> fetched_messages(caf::scheduled_actor& x,
                                                                 bool with_skipped) {
  std::vector<const caf::mailbox_element*> result;
  auto add = [&result](const caf::mailbox_element& m) { result.push_back(&m); };
  x.get_urgent_queue().peek_all(add);
  x.get_normal_queue().peek_all(add);
  if (with_skipped) {
    x.get_urgent_queue().cache().peek_all(add);
    x.get_normal_queue().cache().peek_all(add);
  }
  return without_lost(std::move(result));
}

/// The message the next resume of `x` handles: the awaited response if `x` awaits one, otherwise
/// the first message that is not a late response (those are dropped on the way). Nullptr when the
/// next resume handles nothing. Precondition: `x` is in the job queue (its mailbox is not blocked).
inline const caf::mailbox_element* next_message(caf::scheduled_actor& x) {
  if (x.mailbox().closed() || x.mailbox().blocked())
    return nullptr;
  x.mailbox().peek(); // moves new arrivals into the queues
  const auto& aw = awaited(x);
  for (auto* m : fetched_messages(x, false)) {
    if (!aw.empty()) {
      if (same(m->mid, aw.front().first))
        return m;
    } else if (!m->mid.is_response() || waits_for(x, m->mid)) {
      return m;
    }
  }
  return nullptr;
}

/// What waits in the mailbox of `x`, read without changing it. Only an unblocked mailbox is
/// read: fetching from a blocked one would unblock it behind CAF's back (and none wait there).
struct mailbox_census {
  bool open = false;           // neither blocked nor closed: the counts below were read
  std::size_t urgent = 0;      // high-priority messages (exits, downs, errors), handled first
  std::size_t normal = 0;      // ordinary messages, handled in arrival order
  std::size_t skipped = 0;     // messages a handler skipped (CAF's caches)
  std::size_t from_itself = 0; // of all of them, those `x` sent itself
};

inline mailbox_census census_of(caf::scheduled_actor& x) {
  mailbox_census result;
  if (terminated(x) || x.mailbox().closed() || x.mailbox().blocked())
    return result;
  result.open = true;
  x.mailbox().peek(); // moves new arrivals into the queues
  std::vector<const caf::mailbox_element*> seen;
  auto add = [&seen](const caf::mailbox_element& m) { seen.push_back(&m); };
  x.get_urgent_queue().peek_all(add);
  seen = without_lost(std::move(seen)); // counted as fetched_messages counts them
  result.urgent = seen.size();
  x.get_normal_queue().peek_all(add);
  seen = without_lost(std::move(seen));
  result.normal = seen.size() - result.urgent;
  result.skipped = fetched_messages(x, true).size() - seen.size();
  for (auto* m : fetched_messages(x, true))
    if (m->sender && m->sender->id() == x.id())
      ++result.from_itself;
  return result;
}

/// Runs start-ups on the test coordinator: actors woken up meanwhile join its job queue, as they do
/// under the coordinator's own (private) worker.
class start_unit : public caf::execution_unit {
public:
  start_unit(caf::actor_system& sys, caf::scheduler::test_coordinator& sched)
      : caf::execution_unit(&sys), sched_(sched) {
    // nop
  }

  void exec_later(caf::resumable* job) override { sched_.jobs.push_back(job); }

private:
  caf::scheduler::test_coordinator& sched_;
};

inline caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  return cfg;
}

/// Runs only the function `x` was spawned with. False when `x` finished during its start-up.
inline bool start_up(caf::scheduled_actor& x, caf::execution_unit& unit) {
  return x.activate(&unit);
}

/// Ends `x` at once, without running it: an actor that awaits a reply would skip an exit message,
/// and one that never started would first run its start-up.
inline void end_now(caf::scheduled_actor& x, caf::execution_unit& unit) {
  x.context(&unit);
  x.quit(caf::exit_reason::kill);
  x.finalize();
}

/// The earliest pending timeout on the test clock, decoded.
struct clock_event {
  enum class kind { request_timeout, receive_timeout, delayed_message, other };
  kind what = kind::other;
  caf::scheduled_actor* target = nullptr; // the actor it wakes; null if gone or not event-based
  caf::message_id request;                // request_timeout: the response it stands for
  std::uint64_t receive_timeout = 0;      // receive_timeout: its id
  const caf::mailbox_element* content = nullptr; // delayed_message: the message
};

/// Precondition: the clock has a pending timeout.
inline clock_event earliest_clock_event(caf::scheduler::test_coordinator& sched) {
  DCA_ASSERT(!sched.clock().schedule().empty());
  auto& ev = *sched.clock().schedule().begin()->second;
  auto actor_of = [](const caf::strong_actor_ptr& x) {
    return dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(x));
  };
  clock_event result;
  switch (ev.subtype) {
  case simple_actor_clock::request_timeout_type: {
    auto& x = static_cast<const simple_actor_clock::request_timeout&>(ev);
    result = {clock_event::kind::request_timeout, actor_of(x.self), x.id, 0, nullptr};
    break;
  }
  case simple_actor_clock::ordinary_timeout_type: {
    auto& x = static_cast<const simple_actor_clock::ordinary_timeout&>(ev);
    result = {clock_event::kind::receive_timeout, actor_of(x.self), {}, x.id, nullptr};
    break;
  }
  case simple_actor_clock::actor_msg_type: {
    auto& x = static_cast<const simple_actor_clock::actor_msg&>(ev);
    result = {clock_event::kind::delayed_message, actor_of(x.receiver), {}, 0, x.content.get()};
    break;
  }
  default:
    break;
  }
  return result;
}

/// Virtual time starts at an hour, as in CAF's own test fixture: some code treats 0 as unset.
inline void start_clock(caf::scheduler::test_coordinator& sched) {
  sched.clock().current_time += std::chrono::hours(1);
}

} // namespace dca::explore::detail
