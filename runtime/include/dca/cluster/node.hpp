// A node: the actor one process runs to host entity type E in a cluster (like an Akka shard
// region or an Orleans silo). Keys hash to a fixed number of shards; each shard has one owner at a
// time, by lease with an epoch (lease_table.hpp); the owner runs the shard's entities in an
// entity host over the shared journal, fenced with its epoch (fenced_journal.hpp). A command sent
// to any node reaches its key's single live activation: run here, or passed once to the owner
// over CAF's middleman (node_core.hpp decides which).
//
// Messages:
//   (command_atom, key, command, idempotency_key) -> ack     from a client on any node;
//   (route_atom, hops, key, command, idempotency_key) -> ack from a peer;
//   (join_atom, node, handle)   a peer (its node actor, or a fault link in front of it);
//   (leave_atom, node)          a peer leaving on purpose;
//   (heartbeat_atom, node)      a peer's heartbeat (passed to this node's failure detector);
//   (status_atom) -> node_status.
// Failure is an answer: a command passed to a peer ends with its ack, node_unreachable as soon as
// the peer is declared dead (detection_bound), or request_timeout at request_timeout.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/cluster/node_core.hpp"
#include "dca/es/entity_host.hpp"

namespace dca::cluster {

namespace detail {

/// Runs a command here, passes it to its owner, or refuses it.
template <class E>
caf::result<dca::es::ack> route_command(caf::stateful_actor<node_core>* self, std::uint32_t hops,
                                        std::string& key, typename E::command& cmd,
                                        std::string& idempotency_key) {
  auto& core = self->state;
  auto r = core.route_for(key, hops);
  if (r.refusal)
    return std::move(r.refusal);
  auto rp = self->make_response_promise();
  if (r.host) {
    rp.delegate(r.host, dca::es::command_atom::value, std::move(key), std::move(cmd),
                std::move(idempotency_key));
    return rp;
  }
  call_bounded<dca::es::ack>(self, core.calls, r.peer, core.peers.at(r.peer).handle,
                             core.opts.request_timeout, rp, route_atom::value, hops + 1,
                             std::move(key), std::move(cmd), std::move(idempotency_key));
  return rp;
}

void start_node(caf::stateful_actor<node_core>* self);
caf::message_handler node_membership_handlers(caf::stateful_actor<node_core>* self);

template <class E>
caf::behavior node_behavior(caf::stateful_actor<node_core>* self, node_options opts,
                            std::shared_ptr<lease_table> leases, dca::es::journal_ptr journal) {
  auto& core = self->state;
  auto entity_opts = opts.entity;
  core.opts = std::move(opts);
  core.leases = std::move(leases);
  core.journal = std::move(journal);
  core.spawn_host = [sys = &self->system(), entity_opts](dca::es::journal_ptr fenced) {
    return dca::es::spawn_entity_host<E>(*sys, std::move(fenced), entity_opts);
  };
  start_node(self);
  using command = typename E::command;
  return caf::message_handler{
      [self](dca::es::command_atom, std::string& key, command& cmd, std::string& idem) {
        return route_command<E>(self, 0, key, cmd, idem);
      },
      [self](route_atom, std::uint32_t hops, std::string& key, command& cmd, std::string& idem) {
        return route_command<E>(self, hops, key, cmd, idem);
      }}
      .or_else(node_membership_handlers(self));
}

} // namespace detail

/// Spawns a node hosting E. `leases` and `journal` are shared by the whole cluster; the node
/// stops its hosts and its failure detector when it is stopped (an exit message).
template <class E>
caf::actor spawn_node(caf::actor_system& sys, node_options opts,
                      std::shared_ptr<lease_table> leases, dca::es::journal_ptr journal) {
  static_assert(dca::es::check_entity_type<E>());
  return sys.spawn(detail::node_behavior<E>, std::move(opts), std::move(leases),
                   std::move(journal));
}

} // namespace dca::cluster
