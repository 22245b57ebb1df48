// The failure detector: one actor per node that sends a heartbeat to each peer it watches every
// `interval` and declares a peer dead after `missed_max` intervals without one. CAF 0.17 has no
// node-down message and, by default, no heartbeats: a request to a hung node (SIGSTOP) stays
// pending forever. With this, a node learns of a dead or hung peer within detection_bound and
// fails that peer's pending requests at once (pending_calls.hpp).
//
// Messages:
//   (watch_atom, node, peer_detector)  heartbeat `node` (through a fault link, if any) and expect
//                                      its heartbeats; a node already watched is re-armed;
//   (forget_atom, node)                stop watching a node that left (no down notice);
//   (subscribe_atom, actor)            `actor` gets (node_down_atom, node) and (node_up_atom,
//   node); (heartbeat_atom, from)             a peer's heartbeat.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

namespace dca::cluster {

using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using node_down_atom = caf::atom_constant<caf::atom("nodedown")>;
using node_up_atom = caf::atom_constant<caf::atom("nodeup")>;

struct heartbeat_options {
  std::chrono::milliseconds interval{100};
  /// Heartbeats a peer may miss in a row before it is declared dead.
  std::uint32_t missed_max = 5;
};

/// The longest a dead or hung peer goes unnoticed: missed_max intervals after its last heartbeat,
/// and the tick (at most one interval later) that notices.
inline std::chrono::milliseconds detection_bound(const heartbeat_options& opts) {
  return opts.interval * (opts.missed_max + 1);
}

/// Spawns `node`'s detector. It ticks until killed: its owner stops it with the node.
caf::actor spawn_failure_detector(caf::actor_system& sys, std::string node, heartbeat_options opts);

} // namespace dca::cluster
