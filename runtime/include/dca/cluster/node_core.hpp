// What a node knows and decides, apart from the entity type it hosts (node.hpp wraps it in an
// actor): its peers and which are alive, the shards it owns (one entity host per shard, over a
// journal fenced with the shard's epoch), who owns the others, and its calls in flight.
//
// Ownership: every rebalance (each rebalance_interval, and when a peer is declared dead or comes
// back) the node computes each shard's preferred owner among the live members (shard_map.hpp),
// takes or renews the leases it should hold and releases those it should not. A shard it gains
// gets a new host (its entities recover from the journal); a shard it loses has its host stopped.
// A node that cannot reach the lease table keeps serving what it believes it owns: it cannot
// tell a slow table from a lost lease, and does not need to, because the journal refuses its
// appends once another node holds the shard at a newer epoch (fencing, not timing).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/cluster/failure_detector.hpp"
#include "dca/cluster/lease_table.hpp"
#include "dca/cluster/pending_calls.hpp"
#include "dca/es/entity.hpp"
#include "dca/es/journal.hpp"

namespace dca::cluster {

/// (flush_atom): the node sends what queued up for its peers (command_batch.hpp).
using flush_atom = caf::atom_constant<caf::atom("flush")>;
/// (batch_expired_atom, batch): a batch's request_timeout ran out.
using batch_expired_atom = caf::atom_constant<caf::atom("batchexp")>;
/// (join_atom, node, handle): a peer joins (again); its handle may be a fault link.
using join_atom = caf::atom_constant<caf::atom("join")>;
/// (leave_atom, node): a peer leaves on purpose; its shards move without waiting for timeouts.
using leave_atom = caf::atom_constant<caf::atom("leave")>;
/// (status_atom) -> node_status.
using status_atom = caf::atom_constant<caf::atom("status")>;
using rebalance_atom = caf::atom_constant<caf::atom("rebalance")>;
/// (lease_pass_atom): the lease table finished the node's pass in flight.
using lease_pass_atom = caf::atom_constant<caf::atom("leasepass")>;

struct node_options {
  std::string name;
  /// Fixed for the cluster's life: a key's shard must not change while entities live.
  std::uint32_t shards = 16;
  /// How long a lease runs without renewal: a dead owner's shards move after at most this plus
  /// one rebalance_interval.
  std::chrono::milliseconds lease_ttl{2000};
  std::chrono::milliseconds rebalance_interval{500};
  /// The bound on a command passed to another node (node_unreachable sooner when it is declared
  /// dead: heartbeat.interval * (heartbeat.missed_max + 1)).
  std::chrono::milliseconds request_timeout{2000};
  /// Times a command may be passed on before it is refused (shard tables disagree meanwhile).
  std::uint32_t hops_max = 2;
  /// The most commands (or answers) one batch to a peer carries; more are sent in another.
  std::size_t batch_commands_max = 256;
  heartbeat_options heartbeat;
  dca::es::entity_options entity;
};

/// What `dca cluster status` shows of one node.
struct node_status {
  std::string node;
  std::vector<std::string> live_members; // itself included, sorted
  std::vector<std::uint32_t> shards;     // owned now
  std::vector<std::uint64_t> epochs;     // each owned shard's epoch
  std::vector<std::string> owners;       // per shard, where the node sends its commands ("": none)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("node_status"), x.node, x.live_members, x.shards, x.epochs,
           x.owners);
}

struct node_core {
  struct peer {
    caf::actor handle;
    bool alive = true;
  };
  struct owned_shard {
    std::uint64_t epoch = 0;
    caf::actor host;
  };
  /// Where a command goes: the local host of its shard, a peer, or nowhere (the refusal).
  struct route {
    caf::actor host;
    std::string peer;
    caf::error refusal;
  };

  node_options opts;
  /// The one entity type the node hosts (E::type_name): stated in its member row at join, named
  /// in the answer to a message it has no handler for.
  std::string entity_type;
  std::shared_ptr<lease_table> leases;
  dca::es::journal_ptr journal;
  std::function<caf::actor(dca::es::journal_ptr)> spawn_host;
  caf::actor detector;
  std::map<std::string, peer> peers;
  std::map<std::uint32_t, owned_shard> owned;
  std::vector<std::string> owner_of; // per shard, as the lease table said at the last rebalance
  pending_calls calls;
  /// The pass the lease table is running for this node (null: none). Written by the table's I/O
  /// until it sends lease_pass_atom; read by the node only after that message.
  std::shared_ptr<lease_pass> pass;
  bool pass_again = false; // a rebalance was asked for while the pass ran

  std::vector<std::string> live_members() const;
  node_status status() const;
  route route_for(const std::string& key, std::uint32_t hops) const;
  /// The host of `shard` when this node owns it, else null.
  caf::actor host_of(std::uint32_t shard) const;
  /// Who this node believes owns `shard` ("": nobody it knows).
  std::string owner_hint(std::uint32_t shard) const;
  /// A peer said `owner` holds `shard` (it was sent a command it does not own).
  void learn_owner(std::uint32_t shard, const std::string& owner);
  /// The handle to reach peer `node`, if it is a live member.
  caf::actor live_peer(const std::string& node) const;
  /// The leases to take, renew and release as the live members say; stops the hosts of the
  /// shards it gives up at once (the lease table hears of it when the pass runs).
  std::shared_ptr<lease_pass> plan_pass(caf::actor_clock::time_point now);
  /// What the pass found: starts the hosts of shards gained (or at a new epoch), stops those
  /// another node holds, and notes every shard's owner.
  void apply_pass(const lease_pass& done);
  void peer_down(const std::string& node);
  /// The answer to a message no handler took: errc::not_hosted naming this node, the entity type
  /// it hosts, and the message (a command for another entity type, or not a node message).
  caf::error refuse_unhosted(const caf::type_erased_tuple& msg) const;
  void stop_shard(std::uint32_t shard);
  void stop_all();

  static inline const char* name = "dca.cluster.node";
};

} // namespace dca::cluster
