// An in-memory journal for tests and for the hot-path benchmark: the same contract as the SQLite
// journal (expected-sequence fencing, positions at commit), no durability. Appends complete inline.
// It checks shard fences against epochs a test sets (set_shard_epoch), so deterministic tests of
// shard ownership need no database.
#pragma once

#include <deque>
#include <mutex>
#include <unordered_map>

#include "dca/es/commit_listeners.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

class memory_journal final : public journal {
public:
  memory_journal() = default;

  void append(append_request req, append_callback done) override;
  bool completes_inline() const noexcept override { return true; }
  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out) override;
  caf::expected<std::size_t> replay_stream(const entity_id& entity, std::uint64_t from_seq,
                                           std::size_t max, const event_visitor& visit) override;
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override;
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& entity) override;
  void save_snapshot(const entity_id& entity, snapshot_record snapshot) override;
  std::uint64_t committed_position() const override;
  int subscribe(commit_listener listener) override;
  void unsubscribe(int id) override;

  /// Test hook: the next `n` appends fail with errc::journal_io and write nothing.
  void fail_next_appends(int n);

  /// The current epoch of `shard`, as a lease table would hold it: a fenced append for the shard
  /// succeeds only with this epoch (errc::stale_epoch otherwise, or for a shard never set).
  void set_shard_epoch(std::uint32_t shard, std::uint64_t epoch);

private:
  /// An event as kept here: its stream by number, so appends copy no entity id.
  struct stored_event {
    std::size_t stream = 0; // index into stream_ids_
    std::uint64_t seq = 0;
    std::string type;
    std::vector<char> payload;
    std::string text;
    std::string idempotency_key;
  };
  struct stream {
    std::size_t number = 0;
    std::vector<std::size_t> events; // seq - 1 -> index into log_
  };

  event_record record_at(std::size_t index) const;
  /// The reason `req` may not be written (a stale fence or a sequence conflict), or none.
  caf::error refusal(const append_request& req, const stream& st) const;

  mutable std::mutex mtx_;
  std::deque<stored_event> log_; // index = position - 1; never moves a stored event
  std::vector<entity_id> stream_ids_;
  std::unordered_map<entity_id, stream, entity_id_hash> streams_;
  std::unordered_map<entity_id, snapshot_record, entity_id_hash> snapshots_;
  std::unordered_map<std::uint32_t, std::uint64_t> shard_epochs_;
  commit_listeners listeners_;
  int failures_pending_ = 0;
};

} // namespace dca::es
