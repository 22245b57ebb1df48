// Activities (Pat Helland, "Life beyond Distributed Transactions"): the state an entity keeps
// about each partner that sends it commands, so that at-least-once, reordering delivery still
// gives effectively-once, in-order processing. A command may carry a sender_stamp, the sender's
// name and the command's number in that sender's stream to this entity (1, 2, 3, ...). The entity
// runs the stamps of each sender in number order, answers a duplicate with the recorded reply,
// and handles a gap by its gap_policy: hold the early command until the gap fills, or refuse it.
//
// The per-partner state lives in the entity's own events: a stamped command's last event carries
// the stamp as its idempotency key ("activity:<sender>:<seq>"), so replay, hibernation and
// snapshots rebuild each partner's last number with the entity. Keys with that prefix are
// reserved for stamps. A refused command (decide's error) writes nothing and does not use its
// number: the sender's next command takes the same number, as a retry of a refused command
// decides again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <caf/meta/type_name.hpp>

namespace dca::es {

/// Who sent a command, and its number among that sender's commands to this entity (from 1).
struct sender_stamp {
  std::string sender;
  std::uint64_t seq = 0;

  friend bool operator==(const sender_stamp& a, const sender_stamp& b) {
    return a.seq == b.seq && a.sender == b.sender;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sender_stamp& x) {
  return f(caf::meta::type_name("sender_stamp"), x.sender, x.seq);
}

/// What an entity does with a command whose number is ahead of the next one it expects.
enum class gap_policy {
  buffer, // hold it (at most sender_window_max numbers ahead) until the gap fills
  refuse, // answer errc::sequence_gap: the sender resends from the number the error names
};

/// Each partner's last number the entity applied.
using partner_seqs = std::map<std::string, std::uint64_t>;

/// The prefix of the idempotency keys that carry stamps.
constexpr std::string_view activity_key_prefix = "activity:";

/// The idempotency key a stamped command's last event carries.
inline std::string activity_key(const sender_stamp& x) {
  return std::string{activity_key_prefix} + x.sender + ":" + std::to_string(x.seq);
}

/// Whether `key` is reserved for stamps.
inline bool is_activity_key(std::string_view key) {
  return key.substr(0, activity_key_prefix.size()) == activity_key_prefix;
}

/// The stamp in an activity key, or nothing (a plain key, or a malformed one).
inline std::optional<sender_stamp> parse_activity_key(std::string_view key) {
  if (!is_activity_key(key))
    return std::nullopt;
  auto rest = key.substr(activity_key_prefix.size());
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size())
    return std::nullopt;
  std::uint64_t seq = 0;
  for (auto c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9' || seq > (UINT64_MAX - 9) / 10)
      return std::nullopt;
    seq = seq * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return sender_stamp{std::string{rest.substr(0, colon)}, seq};
}

/// Records that `key`'s command was applied, when it is a stamp's key.
inline void note_partner(partner_seqs& partners, std::string_view key) {
  if (auto stamp = parse_activity_key(key)) {
    auto& last = partners[stamp->sender];
    last = stamp->seq > last ? stamp->seq : last;
  }
}

/// A partner's last applied number (0: none yet).
inline std::uint64_t last_seq_of(const partner_seqs& partners, const std::string& sender) {
  auto i = partners.find(sender);
  return i == partners.end() ? 0 : i->second;
}

} // namespace dca::es
