// Reading a journal file from the outside, for `dca journal inspect` and `dca journal verify`:
// read-only (safe while a runtime has the journal open), and with a precise first problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "dca/es/decoder_registry.hpp"
#include "dca/es/journal.hpp"

namespace dca::es {

struct stream_head {
  entity_id entity;
  std::uint64_t seq = 0;           // the stream's last sequence number
  std::uint64_t last_position = 0; // the global position of that event
  /// The fence that event was appended under (its owner's node id, shard and epoch), where the
  /// journal records one (PostgreSQL); absent for an unfenced append and in SQLite.
  std::optional<shard_fence> fence;
};

struct journal_summary {
  std::int64_t schema_version = 0;
  std::uint64_t events = 0;
  std::uint64_t streams = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t last_position = 0;
  std::vector<stream_head> heads; // the most recently written streams first, at most heads_max
};

/// Counts, last position and per-entity heads.
caf::expected<journal_summary> inspect_journal(const std::string& path, std::size_t heads_max = 20);

struct verify_report {
  std::uint64_t events = 0;    // events checked for positions and sequences
  std::uint64_t decoded = 0;   // of those, payloads decoded and matched to their rendering
  std::uint64_t undecoded = 0; // of those, entity types without a registered decoder
  std::uint64_t snapshots = 0;
};

/// Checks page integrity, gap-free positions from 1, gap-free sequences from 1 per stream,
/// decodability (for types in `decoders`; the decoded rendering must equal the stored text) and
/// that snapshots are not ahead of their stream. Fails with the first problem, naming the file.
caf::expected<verify_report> verify_journal(const std::string& path,
                                            const decoder_registry& decoders);

/// Whether `path` names a PostgreSQL journal's database (a postgres:// or postgresql:// URL, or a
/// libpq key=value string) rather than a journal file: postgres_journal_check.hpp reads those.
bool is_postgres_conninfo(const std::string& path);

} // namespace dca::es
