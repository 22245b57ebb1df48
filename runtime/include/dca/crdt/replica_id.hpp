// Who made a change: every replica of a CRDT has a name, unique in its cluster, and every replica
// knows the names of the others (its replica_set). A state or a delta naming a replica outside that
// set is refused (errors.hpp): a typo or a stray node must not become a permanent entry.
#pragma once

#include <set>
#include <string>

namespace dca::crdt {

/// A replica's name, e.g. "n1".
using replica_id = std::string;

/// The replicas a CRDT accepts changes from.
using replica_set = std::set<replica_id>;

} // namespace dca::crdt
