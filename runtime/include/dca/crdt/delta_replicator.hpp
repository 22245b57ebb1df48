// Delta replication of one CRDT, without I/O: the bookkeeping a replica needs to ship its changes
// to its peers over a network that drops, duplicates and reorders (Almeida, Shoker and Baquero's
// anti-entropy for delta-state CRDTs, direct to each peer). Each local change is a delta numbered
// by this replica; each peer acknowledges the highest number it has merged. Until it does, every
// sync sends the peer the join of the deltas it lacks, or the whole state once those deltas have
// left the bounded buffer. Merge is idempotent and commutative, so duplicates and reordering are
// harmless and a lost message only waits for the next sync. The actor around it is replica.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "dca/assert.hpp"
#include "dca/crdt/codec.hpp"
#include "dca/crdt/errors.hpp"
#include "dca/crdt/replica_id.hpp"
#include "dca/es/errors.hpp"

namespace dca::crdt {

/// How a replica replicates.
struct replication_options {
  /// Local deltas kept for peers that have not acknowledged them; past it the oldest are dropped
  /// and a peer that lacks one gets the whole state instead.
  std::size_t deltas_max = 1000;
  /// What this replica accepts from its peers.
  state_limits limits;
};

/// One replication message: `from`'s changes up to its delta number `upto`, as bytes.
struct delta_message {
  replica_id from;
  std::uint64_t upto = 0;
  std::vector<char> bytes;
  bool whole_state = false; // the deltas were no longer buffered: the bytes are the state
};

template <class T>
class delta_replicator {
public:
  delta_replicator(replica_id self, replica_set replicas, replication_options opts = {})
      : self_(std::move(self)), replicas_(std::move(replicas)), opts_(opts) {
    DCA_ASSERT(replicas_.count(self_) == 1);
    DCA_ASSERT(opts_.deltas_max > 0);
  }

  /// Runs one mutator on the state, `m(state, self)` returning its delta, and numbers the delta.
  template <class Mutator>
  void update(Mutator&& m) {
    buffer_.emplace(++sequence_, m(state_, self_));
    while (buffer_.size() > opts_.deltas_max)
      buffer_.erase(buffer_.begin());
  }

  /// What `peer` lacks, or nothing when it has acknowledged every local delta.
  std::optional<delta_message> outgoing(const replica_id& peer) const {
    DCA_ASSERT(peer != self_ && replicas_.count(peer) == 1);
    auto acked = acked_by(peer);
    if (acked >= sequence_)
      return std::nullopt;
    if (buffer_.empty() || buffer_.begin()->first > acked + 1)
      return delta_message{self_, sequence_, encode(state_), true};
    T joined;
    for (auto i = buffer_.upper_bound(acked); i != buffer_.end(); ++i)
      joined.merge(i->second);
    return delta_message{self_, sequence_, encode(joined), false};
  }

  /// `peer` has merged every local delta up to `upto`. Stale and repeated acks change nothing;
  /// an ack of a delta never made (a confused or hostile peer) is ignored and returns false.
  bool acknowledged(const replica_id& peer, std::uint64_t upto) {
    if (upto > sequence_ || replicas_.count(peer) == 0)
      return false;
    auto& acked = acked_[peer];
    acked = std::max(acked, upto);
    return true;
  }

  /// Merges a peer's message; returns the acknowledgement to send back. A message from an
  /// unknown replica or with bad bytes is refused, and the state is unchanged.
  caf::expected<std::uint64_t> receive(const delta_message& msg) {
    if (msg.from == self_ || replicas_.count(msg.from) == 0)
      return make_error(errc::unknown_replica,
                        "a delta from replica '" + msg.from + "', not one of our peers");
    if (auto err = merge_bytes(state_, msg.bytes, opts_.limits, replicas_))
      return es::prefixed(err, "from replica '" + msg.from + "': ");
    return msg.upto;
  }

  const T& state() const noexcept { return state_; }
  const replica_id& self() const noexcept { return self_; }
  const replica_set& replicas() const noexcept { return replicas_; }
  std::uint64_t sequence() const noexcept { return sequence_; }
  std::size_t buffered() const noexcept { return buffer_.size(); }

  std::uint64_t acked_by(const replica_id& peer) const {
    auto i = acked_.find(peer);
    return i == acked_.end() ? 0 : i->second;
  }

private:
  replica_id self_;
  replica_set replicas_;
  replication_options opts_;
  T state_;
  std::uint64_t sequence_ = 0;                // local deltas made
  std::map<std::uint64_t, T> buffer_;         // the newest local deltas, by number
  std::map<replica_id, std::uint64_t> acked_; // per peer: every delta up to this is merged
};

} // namespace dca::crdt
