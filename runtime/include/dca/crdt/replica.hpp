// A replica of one CRDT as a CAF actor: the delta replicator (delta_replicator.hpp) with a network
// around it. A local change is shipped to every peer at once; a periodic sync resends to each peer
// what it has not acknowledged, at most one request per peer in flight, so drops, duplicates,
// reordering and partitions all end the same way: when the peers can talk, they converge. The sync
// runs only while some peer lacks a local delta: a converged replica sets no timer, so a cluster
// in agreement goes quiet (the explorer and virtual-time runs wait for that). Peers are handles,
// usually fault links (dca/cluster/fault_link.hpp) in front of remote replicas.
//
// Messages (all serializable, so a replica works across CAF's middleman):
//   (replica_peer_atom, replica_id, actor)          a peer and the handle to reach it by;
//   (replica_delta_atom, from, upto, bytes) -> upto a peer's changes; the answer acknowledges them,
//                                                   bad input gets an error and changes nothing;
//   (replica_sync_atom)                             the periodic sync (the replica sends it
//                                                   itself while a peer lacks a delta).
// A domain actor composes replica_handlers with its own handlers, which change the value through
// replica_update (see tests/runtime/crdt/replication_test.cpp: a cart of strings).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/stateful_actor.hpp>

#include "dca/crdt/delta_replicator.hpp"

namespace dca::crdt {

using replica_peer_atom = caf::atom_constant<caf::atom("crdtpeer")>;
using replica_delta_atom = caf::atom_constant<caf::atom("crdtdelta")>;
using replica_sync_atom = caf::atom_constant<caf::atom("crdtsync")>;

/// How often a replica resends what its peers lack, and how long it waits for an answer (at most
/// one request per peer is in flight, so this also paces a partitioned peer's retries).
struct replica_timing {
  std::chrono::milliseconds sync_period{100};
  std::chrono::milliseconds request_timeout{250};
};

template <class T>
struct replica_state {
  std::optional<delta_replicator<T>> core;
  replica_timing timing;
  std::map<replica_id, caf::actor> peers;
  std::map<replica_id, bool> awaiting; // a request to this peer is in flight
  std::uint64_t refused = 0;           // messages refused as bad input
  bool sync_pending = false;           // a replica_sync_atom is on its way to this replica
  static inline const char* name = "dca.crdt.replica";
};

template <class T>
using replica_actor = caf::stateful_actor<replica_state<T>>;

namespace detail {

/// Sends `peer` what it lacks, unless it lacks nothing or a request to it is in flight.
template <class T>
void ship_to(replica_actor<T>* self, const replica_id& peer) {
  auto& st = self->state;
  auto msg = st.core->outgoing(peer);
  if (!msg || st.awaiting[peer])
    return;
  st.awaiting[peer] = true;
  self->request(st.peers.at(peer), st.timing.request_timeout, replica_delta_atom::value, msg->from,
                msg->upto, std::move(msg->bytes))
      .then(
          [self, peer](std::uint64_t upto) {
            self->state.awaiting[peer] = false;
            self->state.core->acknowledged(peer, upto);
            ship_to(self, peer); // changes made meanwhile go at once
          },
          [self, peer](caf::error&) {
            self->state.awaiting[peer] = false; // lost or refused: the next sync tries again
          });
}

template <class T>
void ship_to_all(replica_actor<T>* self) {
  for (auto& entry : self->state.peers)
    ship_to(self, entry.first);
}

/// Sets the sync timer unless it is set or every peer has acknowledged every local delta.
template <class T>
void sync_while_lacking(replica_actor<T>* self) {
  auto& st = self->state;
  auto lacking = [&](auto& entry) { return st.core->acked_by(entry.first) < st.core->sequence(); };
  if (st.sync_pending || std::none_of(st.peers.begin(), st.peers.end(), lacking))
    return;
  st.sync_pending = true;
  self->delayed_send(self, st.timing.sync_period, replica_sync_atom::value);
}

} // namespace detail

/// Changes the value: `m(state, self_name)` returns its delta, which goes to the peers at once.
template <class T, class Mutator>
void replica_update(replica_actor<T>* self, Mutator&& m) {
  self->state.core->update(std::forward<Mutator>(m));
  detail::ship_to_all(self);
  detail::sync_while_lacking(self);
}

/// Makes `self` the replica `name` of `replicas` and returns its replication handlers.
template <class T>
caf::message_handler replica_handlers(replica_actor<T>* self, replica_id name, replica_set replicas,
                                      replication_options opts = {}, replica_timing timing = {}) {
  self->state.core.emplace(std::move(name), std::move(replicas), opts);
  self->state.timing = timing;
  return {
      [self](replica_peer_atom, replica_id& peer, caf::actor& handle) {
        auto& st = self->state;
        DCA_ASSERT(peer != st.core->self() && st.core->replicas().count(peer) == 1);
        st.peers[peer] = std::move(handle);
        detail::ship_to(self, peer);
        detail::sync_while_lacking(self);
      },
      [self](replica_delta_atom, replica_id& from, std::uint64_t upto,
             std::vector<char>& bytes) -> caf::result<std::uint64_t> {
        auto acked = self->state.core->receive(delta_message{from, upto, std::move(bytes)});
        if (!acked) {
          ++self->state.refused;
          return std::move(acked.error());
        }
        return *acked;
      },
      [self](replica_sync_atom) {
        self->state.sync_pending = false;
        detail::ship_to_all(self);
        detail::sync_while_lacking(self);
      },
  };
}

} // namespace dca::crdt
