// Exercise 14's take-over as it crosses the bridge: the judge's node actor asks the learner's
// take-over actor (in the subject) for the ownership it may serve, and the answer is that
// ownership. Shared by the judge's stand_ins.cpp and the subject's subject.cpp, so both speak it.
#pragma once

#include <cstdint>

#include "caf/actor_system_config.hpp"

#include "scenario.hpp"

namespace split_brain::judged {

/// The kind of the learner's take-over actor, as the subject's factory table names it.
inline constexpr const char* take_over_kind = "take_over";

/// From the judge's node to the take-over actor: "take the account over" -> (epoch, balance,
/// seq), the ownership the learner's take_over_with_lease served. Its spawn arguments are the
/// node's id, journal, lease table and heartbeat copy (int, actor, actor, std::uint64_t,
/// std::int64_t, std::uint64_t).
using take_over_atom = caf::atom_constant<caf::atom("take_over")>;

/// The exercise's types that cross: the journal's answers to the learner's requests (its
/// entries, its refusals), under the same names on both sides.
inline void announce_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<entry>("split_brain::entry");
  cfg.add_message_type<std::vector<entry>>("split_brain::entries");
  cfg.add_message_type<refusals>("split_brain::refusals");
}

} // namespace split_brain::judged
