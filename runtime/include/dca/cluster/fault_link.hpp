// A fault link: an actor a node puts in front of a peer's handle, so every message to that peer
// passes a seeded fault plan (fault_plan.hpp). CAF 0.17 has no message hooks, so faults are made
// here, at the message level: a request's reply comes back through the link too, which is what
// lets a link cut one direction only (one-way partitions) and keep a replayable trace.
//
// Messages the link answers itself (everything else goes to the peer):
//   (link_cut_atom, bool requests, bool replies)  cut (true) or heal (false) each direction;
//   (link_trace_atom) -> std::vector<std::string> what it did so far, one line per decision.
#pragma once

#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include "dca/cluster/fault_plan.hpp"

namespace dca::cluster {

using link_cut_atom = caf::atom_constant<caf::atom("linkcut")>;
using link_trace_atom = caf::atom_constant<caf::atom("linktrace")>;

/// Spawns a link forwarding to `peer` under `plan`. Its trace starts empty; it stops when killed
/// (its owner's job) and then drops what it still holds, as a crashed network would.
caf::actor spawn_fault_link(caf::actor_system& sys, caf::actor peer, fault_plan plan);

} // namespace dca::cluster
