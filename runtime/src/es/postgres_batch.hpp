// One group commit of the PostgreSQL journal, as the steps of its transaction: begin (which takes
// the positions lock: from here until commit, no other process assigns positions), write (checks
// every append's fence and expected sequence, assigns seqs and positions to those that pass, and
// sends their events with one binary COPY), commit. The writer thread runs the steps back to back;
// tests run them one at a time on several connections to force the orders that matter (two
// writers from two nodes, a reader between them). Private to the library.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dca/es/journal.hpp"
#include "journal_batch.hpp"
#include "pg.hpp"

namespace dca::es {

/// What this process learned of a stream from its committed batches: its id (which never
/// changes) and its head as this process last wrote it (which another process may have moved on).
struct pg_stream_cache_entry {
  std::int64_t id = 0;
  std::uint64_t head = 0;
};
using pg_stream_ids = std::unordered_map<entity_id, pg_stream_cache_entry, entity_id_hash>;

class postgres_batch {
public:
  /// A batch on `conn` (which must be idle); `ids` is the writer's cache, updated at commit.
  /// A stream whose cached head is the one its append expects is not read back: the unique
  /// (stream, seq) index refuses the write if another process moved the stream on (then the
  /// writer retries the batch with `read_all_heads`, which reads every head from the table).
  postgres_batch(PGconn* conn, pg_stream_ids& ids, bool read_all_heads = false);

  /// BEGIN, then the positions lock: blocks while another process's batch holds it.
  caf::error begin();

  /// Checks and writes `jobs` (appends and snapshots) in the open transaction; results() then
  /// holds one answer per job (snapshots: an empty append_result). A storage error is returned and
  /// the batch must be rolled back.
  caf::error write(std::vector<journal_job>& jobs);

  /// Advances the positions row (announcing the new last position on the commit channel) and
  /// commits, which releases the positions lock.
  caf::error commit();

  /// Rolls the transaction back (after a failed step); forgets what the batch learned.
  void roll_back();

  /// The answers of write(), one per job.
  std::vector<caf::expected<append_result>>& results() noexcept { return results_; }

  /// The last position written (the one before the batch when it wrote nothing).
  std::uint64_t last_position() const noexcept { return next_position_ - 1; }

private:
  struct stream_state {
    std::int64_t id = 0;
    std::uint64_t head = 0;
    bool read_head = true; // false: the cached head is trusted (the unique index checks it)
  };

  caf::error read_fences(const std::vector<journal_job>& jobs);
  caf::error resolve_streams(const std::vector<journal_job>& jobs);
  caf::error find_streams(const std::vector<const entity_id*>& entities);
  caf::error read_heads();
  /// The answer for one append: its refusal, or its place (and its events queued for the COPY).
  caf::expected<append_result> place(const append_request& req, std::int64_t written_at_ms);
  /// The event's shard, epoch and owner columns: which owner wrote it, for `dca journal verify`.
  void write_fence(const std::optional<shard_fence>& fence);
  caf::error write_snapshots(const std::vector<journal_job>& jobs);

  PGconn* conn_;
  pg_stream_ids& ids_;
  bool read_all_heads_;
  std::uint64_t next_position_ = 0;
  std::uint64_t first_position_ = 0;
  std::unordered_map<std::uint32_t, std::uint64_t> epochs_; // of the fenced shards
  std::unordered_map<entity_id, stream_state, entity_id_hash> streams_;
  std::vector<caf::expected<append_result>> results_;
  pg::binary_copy copy_;
};

} // namespace dca::es
