// `dca journal inspect` and `verify` on the PostgreSQL journal: the same summary and the same
// checks as the SQLite journal's (journal_check.hpp), read in one REPEATABLE READ, READ ONLY
// transaction, so the journal can be checked while nodes write to it: the snapshot holds a prefix
// of the positions (they commit in position order) and the positions row of that same moment.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "dca/es/journal_check.hpp"

namespace dca::es {

/// Counts, last position and the heads of the most recently written streams.
caf::expected<journal_summary> inspect_postgres_journal(const std::string& conninfo,
                                                        std::size_t heads_max = 20);

/// Gap-free positions from 1 up to the positions row, gap-free sequences per stream,
/// decodability (types in `decoders`), snapshots not ahead of their stream, and the owners: along
/// a stream its fenced events (schema version 2 stores each one's shard and epoch) stay in one
/// shard with epochs that never go back, none beyond its shard's lease. The first problem as
/// errc::journal_corrupt naming the server and database.
caf::expected<verify_report> verify_postgres_journal(const std::string& conninfo,
                                                     const decoder_registry& decoders);

} // namespace dca::es
