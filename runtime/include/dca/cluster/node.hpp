// A node: the actor one process runs to host entity type E in a cluster (like an Akka shard
// region or an Orleans silo). Keys hash to a fixed number of shards; each shard has one owner at a
// time, by lease with an epoch (lease_table.hpp); the owner runs the shard's entities in an
// entity host over the shared journal, fenced with its epoch (fenced_journal.hpp). A command sent
// to any node reaches its key's single live activation: run here, or passed to the owner over
// CAF's middleman, in batches (command_batch.hpp), and answered in batches.
//
// Messages:
//   (command_atom, key, command, idempotency_key) -> ack     from a client on any node;
//   (batch_atom, command_batch)   commands from a peer; answered with (answers_atom, answer_batch)
//                                 to the peer: acks, errors, and the commands it does not own
//                                 (moved: the peer routes them again, at most hops_max times);
//   (join_atom, node, handle)   a peer (its node actor, or a fault link in front of it);
//   (leave_atom, node)          a peer leaving on purpose;
//   (heartbeat_atom, node)      a peer's heartbeat (passed to this node's failure detector);
//   (status_atom) -> node_status;
//   anything else (a command for another entity type: a node hosts one) -> errc::not_hosted.
// Failure is an answer: a command passed to a peer ends with its ack, node_unreachable as soon as
// the peer is declared dead (detection_bound), or request_timeout at request_timeout after its
// batch left.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/cluster/command_batch.hpp"
#include "dca/cluster/node_core.hpp"
#include "dca/cluster/shard_map.hpp"
#include "dca/es/entity_host.hpp"

namespace dca::cluster {

namespace detail {

/// A node's state for E: what node_core holds, and the batches queued for each peer.
template <class E>
struct node_state : node_core {
  using command = typename E::command;
  std::map<std::string, std::vector<routed_command<command>>> outbox; // by peer
  std::map<std::string, answer_batch<command>> replies;               // by peer
  bool flush_due = false;
};

template <class E>
using node_actor = caf::stateful_actor<node_state<E>>;

/// Sends what queued for the peers after the messages already in the mailbox (which may add to
/// it): the batching point.
template <class E>
void schedule_flush(node_actor<E>* self) {
  if (!self->state.flush_due) {
    self->state.flush_due = true;
    self->send(self, flush_atom::value);
  }
}

template <class E>
void flush_commands(node_actor<E>* self, const std::string& peer) {
  auto& st = self->state;
  auto& queued = st.outbox[peer];
  if (queued.empty())
    return;
  command_batch<typename E::command> batch{st.opts.name, std::move(queued)};
  queued.clear();
  auto handle = st.live_peer(peer);
  if (!handle)
    return; // declared dead meanwhile: its calls have failed already
  std::vector<std::uint64_t> ids;
  ids.reserve(batch.commands.size());
  for (auto& c : batch.commands)
    ids.push_back(c.id);
  auto number = st.calls.add_batch(std::move(ids));
  self->send(handle, batch_atom::value, std::move(batch));
  self->delayed_send(self, st.opts.request_timeout, batch_expired_atom::value, number);
}

template <class E>
void flush_answers(node_actor<E>* self, const std::string& peer) {
  auto& st = self->state;
  auto& answers = st.replies[peer];
  if (answers.empty())
    return;
  answers.from = st.opts.name;
  if (auto handle = st.live_peer(peer))
    self->send(handle, answers_atom::value, std::move(answers));
  answers = {}; // a peer gone meanwhile: its own timers answer its calls
}

template <class E>
void flush(node_actor<E>* self) {
  auto& st = self->state;
  st.flush_due = false;
  for (auto& [peer, queued] : st.outbox)
    flush_commands(self, peer);
  for (auto& [peer, answers] : st.replies)
    flush_answers(self, peer);
}

/// Answers `rp` for a command: runs it on this node's host of its shard, queues it for the peer
/// that owns the shard, or refuses it.
template <class E>
void route_command(node_actor<E>* self, caf::response_promise rp, std::uint32_t hops,
                   std::string key, typename E::command cmd, std::string idempotency_key) {
  auto& st = self->state;
  auto r = st.route_for(key, hops);
  if (r.refusal) {
    rp.deliver(std::move(r.refusal));
  } else if (r.host) {
    rp.delegate(r.host, dca::es::command_atom::value, std::move(key), std::move(cmd),
                std::move(idempotency_key));
  } else {
    auto id = st.calls.open(r.peer, std::move(rp));
    auto& queued = st.outbox[r.peer];
    queued.push_back({id, hops + 1, std::move(key), std::move(cmd), std::move(idempotency_key)});
    if (queued.size() >= st.opts.batch_commands_max)
      flush_commands(self, r.peer);
    else
      schedule_flush(self);
  }
}

template <class E>
void queue_answer(node_actor<E>* self, const std::string& peer, routed_answer answer) {
  auto& answers = self->state.replies[peer];
  answers.answers.push_back(std::move(answer));
  if (answers.answers.size() >= self->state.opts.batch_commands_max)
    flush_answers(self, peer);
  else
    schedule_flush(self);
}

/// A peer's commands: each to this node's host of its shard, or back to the peer as moved. The
/// check is the owner's own (its leases as of its last rebalance), not the sender's belief.
template <class E>
void run_batch(node_actor<E>* self, command_batch<typename E::command>& batch) {
  auto& st = self->state;
  for (auto& c : batch.commands) {
    auto shard = shard_of(c.key, st.opts.shards);
    auto host = st.host_of(shard);
    if (!host) {
      st.replies[batch.from].moved.push_back({std::move(c), st.owner_hint(shard)});
      schedule_flush(self);
      continue;
    }
    // No timeout here: the sender's batch timer bounds the call, and the entity always answers.
    self->request(host, caf::infinite, dca::es::command_atom::value, std::move(c.key),
                  std::move(c.cmd), std::move(c.idempotency_key))
        .then(
            [self, from = batch.from, id = c.id](dca::es::ack& a) {
              queue_answer(self, from, routed_answer{id, a, {}});
            },
            [self, from = batch.from, id = c.id](caf::error& err) {
              queue_answer(self, from, routed_answer{id, {}, std::move(err)});
            });
  }
}

/// A peer's answers to the commands this node passed to it; moved ones are routed again.
template <class E>
void take_answers(node_actor<E>* self, answer_batch<typename E::command>& batch) {
  auto& st = self->state;
  for (auto& a : batch.answers)
    if (auto rp = st.calls.close(a.id)) {
      if (a.error)
        rp->deliver(std::move(a.error));
      else
        rp->deliver(a.ack);
    }
  for (auto& m : batch.moved) {
    auto rp = st.calls.close(m.command.id);
    if (!rp)
      continue; // timed out or failed with its node meanwhile
    auto shard = shard_of(m.command.key, st.opts.shards);
    if (m.owner != batch.from)
      st.learn_owner(shard, m.owner);
    auto& c = m.command;
    route_command<E>(self, std::move(*rp), c.hops, std::move(c.key), std::move(c.cmd),
                     std::move(c.idempotency_key));
  }
}

void start_node(caf::event_based_actor* self, node_core& core);
caf::message_handler node_membership_handlers(caf::event_based_actor* self, node_core& core);

template <class E>
caf::behavior node_behavior(node_actor<E>* self, node_options opts,
                            std::shared_ptr<lease_table> leases, dca::es::journal_ptr journal) {
  auto& core = self->state;
  auto entity_opts = opts.entity;
  core.opts = std::move(opts);
  core.entity_type = E::type_name;
  core.leases = std::move(leases);
  core.journal = std::move(journal);
  core.spawn_host = [sys = &self->system(), entity_opts](dca::es::journal_ptr fenced) {
    return dca::es::spawn_entity_host<E>(*sys, std::move(fenced), entity_opts);
  };
  start_node(self, core);
  using command = typename E::command;
  return caf::message_handler{
      [self](dca::es::command_atom, std::string& key, command& cmd, std::string& idem) {
        auto rp = self->make_response_promise();
        route_command<E>(self, rp, 0, std::move(key), std::move(cmd), std::move(idem));
        return rp;
      },
      [self](batch_atom, command_batch<command>& batch) { run_batch<E>(self, batch); },
      [self](answers_atom, answer_batch<command>& batch) { take_answers<E>(self, batch); },
      [self](flush_atom) { flush<E>(self); },
      [self](batch_expired_atom, std::uint64_t batch) {
        self->state.calls.expire_batch(batch, self->state.opts.request_timeout);
      }}
      .or_else(node_membership_handlers(self, core));
}

} // namespace detail

/// The messages nodes exchange, announced on every node and client: E's commands as
/// `command_type_name` (and their batches as that name with _batch and _answers), acks, node
/// status.
template <class E>
void add_node_messages(caf::actor_system_config& cfg, const std::string& command_type_name) {
  using command = typename E::command;
  cfg.add_message_type<command>(command_type_name);
  cfg.add_message_type<command_batch<command>>(command_type_name + "_batch");
  cfg.add_message_type<answer_batch<command>>(command_type_name + "_answers");
  cfg.add_message_type<dca::es::ack>("ack");
  cfg.add_message_type<node_status>("node_status");
}

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
