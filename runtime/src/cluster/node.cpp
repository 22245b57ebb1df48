// The node actor's parts that do not depend on the entity type (node.hpp): start-up, membership,
// heartbeats, rebalancing and stopping.
#include "dca/cluster/node.hpp"

#include <caf/actor_cast.hpp>
#include <caf/message_view.hpp>

namespace dca::cluster::detail {

namespace {

// Starts a lease pass on the lease table's I/O, unless one is running (then it runs again after).
void rebalance(caf::event_based_actor* self, node_core& core) {
  if (core.pass) {
    core.pass_again = true;
    return;
  }
  core.pass = core.plan_pass(self->clock().now());
  core.leases->run_io(
      [leases = core.leases, pass = core.pass, node = caf::actor_cast<caf::actor>(self)] {
        leases->run_pass(*pass);
        caf::anon_send(node, lease_pass_atom::value);
      });
}

void pass_done(caf::event_based_actor* self, node_core& core) {
  if (!core.pass)
    return;
  auto done = std::move(core.pass);
  core.apply_pass(*done);
  if (core.pass_again) {
    core.pass_again = false;
    rebalance(self, core);
  }
}

} // namespace

void start_node(caf::event_based_actor* self, node_core& core) {
  core.detector = spawn_failure_detector(self->system(), core.opts.name, core.opts.heartbeat);
  caf::anon_send(core.detector, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  rebalance(self, core);
  self->delayed_send(self, core.opts.rebalance_interval, rebalance_atom::value);
  // One entity type per node: a message no handler takes (another type's command) is answered
  // with an error naming what the node hosts, and the node runs on. CAF's default would answer
  // unexpected_message without saying which node or type.
  self->set_default_handler(
      [&core](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        return core.refuse_unhosted(x.content());
      });
  self->set_exit_handler([self, &core](caf::exit_msg& msg) {
    core.stop_all();
    caf::anon_send_exit(core.detector, caf::exit_reason::user_shutdown);
    self->quit(std::move(msg.reason));
  });
}

caf::message_handler node_membership_handlers(caf::event_based_actor* self, node_core& core) {
  return {
      [&core](join_atom, const std::string& node, caf::actor handle) {
        core.peers[node] = node_core::peer{handle, true};
        // Heartbeats go to the peer's node actor, which passes them to its detector.
        caf::anon_send(core.detector, watch_atom::value, node, handle);
      },
      [self, &core](leave_atom, const std::string& node) {
        caf::anon_send(core.detector, forget_atom::value, node);
        core.peer_down(node);
        core.peers.erase(node);
        rebalance(self, core);
      },
      [&core](heartbeat_atom hb, const std::string& from) {
        caf::anon_send(core.detector, hb, from);
      },
      [self, &core](node_down_atom, const std::string& node) {
        core.peer_down(node);
        rebalance(self, core);
      },
      [self, &core](node_up_atom, const std::string& node) {
        if (auto it = core.peers.find(node); it != core.peers.end())
          it->second.alive = true;
        rebalance(self, core);
      },
      [self, &core](rebalance_atom) {
        rebalance(self, core);
        self->delayed_send(self, core.opts.rebalance_interval, rebalance_atom::value);
      },
      [self, &core](lease_pass_atom) { pass_done(self, core); },
      [&core](status_atom) { return core.status(); },
  };
}

} // namespace dca::cluster::detail
