// The actor and node levels of one failure at every level: the same cast of actors, placed in one
// actor system or split across two nodes joined by link actors.
#include "dca/harness/levels.hpp"

#include <memory>
#include <vector>

#include "dca/assert.hpp"

namespace dca::harness {

namespace {

/// Spawns the cast: the owner, the links (nodes only), then the clients, so the columns of a
/// schedule read as the network does: node B, the links, node A. `owner` gets the owner's handle.
void place(explore::actor_world& world, const level_cast& cast, bool on_nodes,
           const std::shared_ptr<caf::actor>& owner) {
  auto& sys = world.system();
  *owner = cast.spawn_owner(sys);
  world.name(*owner, cast.owner_name + (on_nodes ? "@B" : ""));
  std::vector<caf::actor> targets(static_cast<std::size_t>(cast.clients), *owner);
  if (on_nodes)
    for (int i = 1; i <= cast.clients; ++i) {
      auto link = sys.spawn(
          [hops = cast.link, to = *owner](caf::event_based_actor* self) { return hops(self, to); });
      world.name(link, "link " + std::to_string(i) + " A-B");
      targets[static_cast<std::size_t>(i - 1)] = link;
    }
  for (int i = 1; i <= cast.clients; ++i)
    world.name(cast.spawn_client(sys, targets[static_cast<std::size_t>(i - 1)], i),
               "client " + std::to_string(i) + (on_nodes ? "@A" : ""));
}

explore::report explore_placed(const std::function<level_cast()>& make, bool on_nodes,
                               const explore::options& opts) {
  auto execution = [&make, on_nodes] {
    auto cast = std::make_shared<level_cast>(make());
    DCA_ASSERT(cast->spawn_owner && cast->spawn_client && cast->check);
    DCA_ASSERT_MSG(!on_nodes || cast->link, "the node level needs the link's handlers");
    auto owner = std::make_shared<caf::actor>();
    explore::actor_execution exec;
    exec.start = [cast, owner, on_nodes](explore::actor_world& world) {
      place(world, *cast, on_nodes, owner);
    };
    exec.check = [cast, owner](explore::actor_world& world) { return cast->check(world, *owner); };
    return exec;
  };
  return explore::explore_actors(execution, opts);
}

} // namespace

explore::report explore_on_actors(const std::function<level_cast()>& make,
                                  const explore::options& opts) {
  return explore_placed(make, false, opts);
}

explore::report explore_on_nodes(const std::function<level_cast()>& make,
                                 const explore::options& opts) {
  return explore_placed(make, true, opts);
}

std::vector<level> every_level(explore_fn threads, std::function<level_cast(bool fixed)> cast) {
  auto on = [&cast](auto explore, bool fixed) -> explore_fn {
    return [explore, fixed, cast](const explore::options& opts) {
      return explore([&cast, fixed] { return cast(fixed); }, opts);
    };
  };
  return {{"threads", std::move(threads), {}},
          {"actors", on(explore_on_actors, false), on(explore_on_actors, true)},
          {"nodes", on(explore_on_nodes, false), on(explore_on_nodes, true)}};
}

} // namespace dca::harness
