// The node actor's parts that do not depend on the entity type (node.hpp): start-up, membership,
// heartbeats, rebalancing and stopping.
#include "dca/cluster/node.hpp"

#include <caf/actor_cast.hpp>

namespace dca::cluster::detail {

void start_node(caf::stateful_actor<node_core>* self) {
  auto& core = self->state;
  core.detector = spawn_failure_detector(self->system(), core.opts.name, core.opts.heartbeat);
  caf::anon_send(core.detector, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  core.rebalance(self->clock().now());
  self->delayed_send(self, core.opts.rebalance_interval, rebalance_atom::value);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.stop_all();
    caf::anon_send_exit(self->state.detector, caf::exit_reason::user_shutdown);
    self->quit(std::move(msg.reason));
  });
}

caf::message_handler node_membership_handlers(caf::stateful_actor<node_core>* self) {
  return {
      [self](join_atom, const std::string& node, caf::actor handle) {
        auto& core = self->state;
        core.peers[node] = node_core::peer{handle, true};
        // Heartbeats go to the peer's node actor, which passes them to its detector.
        caf::anon_send(core.detector, watch_atom::value, node, handle);
      },
      [self](leave_atom, const std::string& node) {
        auto& core = self->state;
        caf::anon_send(core.detector, forget_atom::value, node);
        core.peer_down(node);
        core.peers.erase(node);
        core.rebalance(self->clock().now());
      },
      [self](heartbeat_atom hb, const std::string& from) {
        caf::anon_send(self->state.detector, hb, from);
      },
      [self](node_down_atom, const std::string& node) {
        self->state.peer_down(node);
        self->state.rebalance(self->clock().now());
      },
      [self](node_up_atom, const std::string& node) {
        if (auto it = self->state.peers.find(node); it != self->state.peers.end())
          it->second.alive = true;
        self->state.rebalance(self->clock().now());
      },
      [self](rebalance_atom) {
        self->state.rebalance(self->clock().now());
        self->delayed_send(self, self->state.opts.rebalance_interval, rebalance_atom::value);
      },
      [self](status_atom) { return self->state.status(); },
  };
}

} // namespace dca::cluster::detail
