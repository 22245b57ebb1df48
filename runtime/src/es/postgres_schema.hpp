// The PostgreSQL journal's schema in one place, private to the library: its version, the DDL, the
// check every opener runs before it trusts a database, and the SQL the journal, the shard leases
// and `dca journal --postgres` (postgres_journal_check.cpp) run.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dca::es::pg_schema {

/// The schema version this build writes (dca_journal_schema.version); newer ones are refused.
/// Version 2 added dca_events.shard and .epoch (the append's fence; NULL for an unfenced one),
/// version 3 dca_events.owner (the fence's node id).
constexpr std::int64_t version_current = 3;

/// Creates the schema when the database has none, checks it when it has one: errc::
/// journal_newer_schema for a newer one, errc::journal_not_dca for a database that has tables of
/// the journal's names but no version; migrates an older version in the same transaction (1: adds
/// the fence columns, 2: the owner column). Safe when several processes open at once (an advisory
/// lock serialises them).
caf::error create_or_check(PGconn* conn);

/// Checks without creating or migrating (a reader): the stored version, errc::journal_not_dca
/// when there is no journal.
caf::expected<std::int64_t> check_exists(PGconn* conn);

// -- the writer's statements ----------------------------------------------------------------------

/// One row, one column: the last position, locked until the transaction ends.
extern const char* const lock_positions_sql;
/// $1 the new last position; also notifies the other processes' listeners.
extern const char* const advance_positions_sql;
/// $1 int[] shards: (shard, epoch) of those leased, read under a share lock.
extern const char* const lease_epochs_sql;
/// $1 text[] types, $2 text[] keys: (id, type, key) of the streams that exist.
extern const char* const find_streams_sql;
/// $1 text[] types, $2 text[] keys: creates those streams.
extern const char* const create_streams_sql;
/// $1 bigint[] ids: (id, head seq) for each.
extern const char* const stream_heads_sql;
/// COPY of events, binary, columns in the order the writer sends them.
extern const char* const copy_events_sql;
/// $1 stream id, $2 seq, $3 position, $4 payload, $5 text.
extern const char* const upsert_snapshot_sql;

// -- the readers' statements ----------------------------------------------------------------------

/// $1 type, $2 key, $3 from seq, $4 limit.
extern const char* const read_stream_sql;
/// $1 after position, $2 limit.
extern const char* const read_all_sql;
/// $1 type, $2 key.
extern const char* const load_snapshot_sql;
extern const char* const last_position_sql;

/// $1 milliseconds. Ends the sessions of this database that have waited longer than that for the
/// data of a journal COPY: their process stopped (SIGSTOP, a debugger) between the COPY and its
/// data. The server cancels no statement while it waits for a client's COPY data
/// (statement_timeout does not fire there, and the session is not idle in a transaction), so
/// such a session would hold the positions lock and the lease rows' share locks, and stall every
/// writer and every lease change of the cluster, until its process resumed. One column: how many.
extern const char* const end_stalled_copies_sql;

/// The channel commits are announced on (payload: the last position).
extern const char* const notify_channel;

} // namespace dca::es::pg_schema
