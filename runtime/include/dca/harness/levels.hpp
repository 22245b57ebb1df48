// One failure at every level (issue 17): the same read-then-write explored as threads sharing
// memory, as actors whose read and whose write are two messages to the state's owner, and as those
// actors placed on two nodes with a link between them. A learner sees that the multi-core computer
// is a distributed system: the bug is the split, not the shared memory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/behavior.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/typed_response_promise.hpp"

#include "dca/explore/actor_explorer.hpp"
#include "dca/explore/options.hpp"
#include "dca/explore/report.hpp"
#include "dca/harness/exercise.hpp"

namespace dca::harness {

/// The actors of one execution at the actor or node level, made fresh for every schedule: the
/// owner of the state, the clients that read it and then write it (or, fixed, send the one message
/// that does both in the owner), and the link's handlers at the node level.
struct level_cast {
  std::string owner_name = "owner"; // "counter", "account"
  int clients = 2;
  std::function<caf::actor(caf::actor_system&)> spawn_owner;
  /// Client `client` (from 1), talking to `target`: the owner, or its end of the link.
  std::function<caf::actor(caf::actor_system&, const caf::actor& target, int client)> spawn_client;
  /// The link's behavior: a link_hop for every request a client sends, forwarding to `to`.
  std::function<caf::behavior(caf::event_based_actor* self, const caf::actor& to)> link;
  /// Once the actors are quiet: the verdict, or nullopt when the invariant holds.
  std::function<std::optional<std::string>(explore::actor_world&, const caf::actor& owner)> check;
};

/// The actor level: the owner and the clients in one actor system, messages straight between them.
explore::report explore_on_actors(const std::function<level_cast()>& make,
                                  const explore::options& opts);

/// The node level: the clients on node A ("client 1@A"), the owner on node B ("counter@B"), and
/// each client's connection a link actor of its own ("link 1 A-B") that carries the request to B
/// and the reply back. The explorer chooses when each hop happens, so a link may hold a message
/// while the other connection's messages overtake it (one connection keeps its order, as TCP does).
explore::report explore_on_nodes(const std::function<level_cast()>& make,
                                 const explore::options& opts);

/// The three levels of an exercise's failure, as exercise::levels lists them: `threads` (its
/// shared-state exploration), then `cast` on actors and on nodes, split (cast(false)) and fixed
/// (cast(true)).
std::vector<level> every_level(explore_fn threads, std::function<level_cast(bool fixed)> cast);

/// A handler of a link actor: takes the request `Ts...`, sends it on to `to`, and delivers the
/// reply (a std::int64_t) back to whoever asked. Every hop is a step of the link in the schedule.
template <class... Ts>
auto link_hop(caf::event_based_actor* self, caf::actor to) {
  return [self, to](Ts... xs) -> caf::result<std::int64_t> {
    auto promise = self->make_response_promise<std::int64_t>();
    self->request(to, caf::infinite, xs...).then([promise](std::int64_t reply) mutable {
      promise.deliver(reply);
    });
    return promise;
  };
}

} // namespace dca::harness
