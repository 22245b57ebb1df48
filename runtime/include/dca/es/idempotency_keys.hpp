// The idempotency keys an entity remembers: key -> the reply its command got. Part of the entity's
// persisted state (rebuilt from the journal's idempotency_key column and kept in snapshots), and
// bounded: the oldest keys are forgotten past idempotency_keys_max.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace dca::es {

/// What a command got back: where its last event landed. Duplicates get the same ack with
/// `duplicate` set; a command that decided no events gets the entity's current head.
struct ack {
  std::uint64_t seq = 0;      // the entity's sequence number after the command
  std::uint64_t position = 0; // global position of its last event: wait for it to read your write
  bool duplicate = false;

  friend bool operator==(const ack& a, const ack& b) {
    return a.seq == b.seq && a.position == b.position && a.duplicate == b.duplicate;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ack& x) {
  return f(caf::meta::type_name("ack"), x.seq, x.position, x.duplicate);
}

struct idempotency_entry {
  std::string key;
  std::uint64_t seq = 0;
  std::uint64_t position = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_entry& x) {
  return f(caf::meta::type_name("idempotency_entry"), x.key, x.seq, x.position);
}

class idempotency_keys {
public:
  /// The recorded reply for `key`, or nullptr.
  const idempotency_entry* find(const std::string& key) const {
    if (key.empty() || index_.empty())
      return nullptr;
    auto i = index_.find(key);
    return i == index_.end() ? nullptr : &order_[i->second - base_];
  }

  /// Records `key`; forgets the oldest key when more than `max` are kept.
  void insert(idempotency_entry entry, std::size_t max) {
    if (entry.key.empty() || max == 0)
      return;
    index_[entry.key] = base_ + order_.size();
    order_.push_back(std::move(entry));
    while (order_.size() > max) {
      index_.erase(order_.front().key);
      order_.erase(order_.begin());
      ++base_;
    }
  }

  /// Oldest first, for snapshots.
  const std::vector<idempotency_entry>& entries() const noexcept { return order_; }

  void assign(std::vector<idempotency_entry> xs, std::size_t max) {
    index_.clear();
    order_.clear();
    base_ = 0;
    for (auto& x : xs)
      insert(std::move(x), max);
  }

  std::size_t size() const noexcept { return order_.size(); }

private:
  std::unordered_map<std::string, std::uint64_t> index_; // key -> base_-relative slot
  std::vector<idempotency_entry> order_;                 // oldest first
  std::uint64_t base_ = 0;
};

} // namespace dca::es
