// The actor schedule explorer: runs a scenario's actors on CAF's deterministic test coordinator,
// one message at a time, and searches the orders in which messages could be handled for one that
// breaks the scenario's invariant, leaves actors waiting on each other, or never goes quiet.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/behavior.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"

namespace dca::explore {

namespace detail {
class actor_runner;
} // namespace detail

/// How often the explorer may break the link into one actor in one execution (actor_world::lossy):
/// each fault is a choice of the schedule, made where the actor would handle a message.
struct link_faults {
  int drops_max = 1;      // messages lost on the way
  int duplicates_max = 0; // messages delivered twice
};

/// The actors of one execution: a fresh actor system on a deterministic scheduler. `start` spawns
/// into it and sends the first messages; `check` asks the actors questions once they are quiet.
class actor_world {
public:
  ~actor_world();

  actor_world(const actor_world&) = delete;
  actor_world& operator=(const actor_world&) = delete;

  /// The actor system to spawn into. Spawn event-based actors only: a detached or blocking actor
  /// runs on its own thread, where the explorer cannot choose when it runs.
  caf::actor_system& system() noexcept;

  /// Names `whom` in traces ("counter"). Unnamed actors are "actor#N", N counting spawns from 0.
  void name(const caf::actor& whom, std::string name);

  /// Makes the link into `whom` lossy: wherever `whom` would handle a message another actor sent
  /// it (a request, a reply, a plain message; never its own timeouts), the explorer may instead
  /// lose that message or deliver it twice, at most `faults` times in this execution. A fault is
  /// a choice of the schedule like handling another message first (it costs one preemption), so
  /// the failing schedule names the message lost ("d2": actor 2's next message is lost, "t2": it
  /// comes twice) and replays it. A lost request's sender hears nothing, and its request times
  /// out in virtual time. The systematic, delay and random searches (and a replay) choose faults;
  /// DPOR does not (its reduction takes a choice to stay enabled until it is taken).
  void lossy(const caf::actor& whom, link_faults faults);

  /// Says the actors are nodes, so the report of a failing run carries the table of messages
  /// between them (message_table.hpp) even when no link lost one: what broke the run was
  /// elsewhere (a clock, an order). A world with a lossy link is between nodes already.
  void between_nodes() noexcept;

  /// From `check` only: sends `xs...` to `whom` as a request, lets the actors handle messages until
  /// they are quiet again, and returns the reply. Errors: the actor's own error,
  /// `unexpected_response` when it replied with something other than a `T`, `request_timeout` when
  /// it did not reply.
  template <class T, class... Ts>
  caf::expected<T> ask(const caf::actor& whom, Ts&&... xs) {
    if (!whom)
      return caf::make_error(caf::sec::invalid_argument);
    // Shared with the reply handler, which may outlive this call if the reply never comes.
    auto reply = std::make_shared<caf::expected<T>>(caf::sec::request_timeout);
    ask_impl(whom, caf::make_message(std::forward<Ts>(xs)...),
             caf::behavior{[reply](T& x) { *reply = std::move(x); },
                           [reply](caf::error& x) { *reply = std::move(x); }});
    return std::move(*reply);
  }

private:
  friend class detail::actor_runner;
  struct impl;

  explicit actor_world(std::uint64_t quiet_steps_max);

  void ask_impl(const caf::actor& whom, caf::message question, caf::behavior on_reply);

  std::unique_ptr<impl> impl_;
};

/// One execution of a scenario. `make` builds a new one for every schedule, so state captured by
/// the two functions starts fresh each time. Keep actor handles inside these functions: the actor
/// system they belong to is gone when the execution ends.
struct actor_execution {
  /// Spawns the actors and sends the first messages. Nothing runs until it returns.
  std::function<void(actor_world&)> start;
  /// Called once nothing is left to handle and no timeout is pending: a verdict if the invariant
  /// is broken ("2 increments lost: counter is 18, expected 20"), nullopt if it holds.
  std::function<std::optional<std::string>(actor_world&)> check;
};

/// Explores the orders in which the actors of `make()` can handle their messages.
///
/// One step runs one actor: its start-up (the function it was spawned with) or exactly one message
/// it handles. A schedule lists the chosen actor of each step, as an index into `report::actors`;
/// when no message is left, the earliest pending timeout fires (virtual time) as a step of the
/// actor it wakes. The search is the thread explorer's (see options.hpp): a preemption is a choice
/// other than the scheduler's own FIFO order. Both strategies stop at the first failure, which
/// `opts.replay = report.failing_schedule` runs again step for step. A replayed schedule shorter
/// than its run goes on in FIFO order; on replay the report carries the trace even when the
/// schedule passes.
report explore_actors(const std::function<actor_execution()>& make, const options& opts);

} // namespace dca::explore
