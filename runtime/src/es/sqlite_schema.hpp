// The SQLite journal's file format in one place, private to the library: the schema version, the
// DDL, the check every opener runs before it trusts a file, and the SQL the journal and
// `dca journal` (journal_check.cpp) both run. runtime/README.md ("The journal file") says why the
// schema is shaped this way.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace dca::es::schema {

/// The schema version this build writes (PRAGMA user_version); newer files are refused.
constexpr std::int64_t version_current = 1;

/// Creates the tables of an empty file; run inside a transaction.
extern const char* const create_sql;

/// What a file holds, as far as the schema check can tell.
enum class file_kind {
  empty,   // no tables and no version: a new journal (the writer creates the schema)
  journal, // a dca journal this build can read
};

/// Reads the schema version and refuses what this build must not touch: a newer schema
/// (errc::journal_newer_schema) or a SQLite database that is not a journal (errc::journal_not_dca).
caf::expected<file_kind> check(sqlite3* db, const std::string& path);

/// Runs `sql`, which returns one integer in one row (a pragma, a count); `doing` names it in an
/// error.
caf::expected<std::int64_t> query_int(sqlite3* db, const std::string& path, const char* sql,
                                      const char* doing);

// -- SQL shared by the journal's connections and journal_check ------------------------------------

/// One row: the last global position (0 when empty).
extern const char* const last_position_sql;
/// (id, type, key, head seq) for every stream: the writer's fences.
extern const char* const stream_heads_sql;

// The writer's statements.
extern const char* const insert_event_sql;
extern const char* const insert_stream_sql;
extern const char* const upsert_snapshot_sql;

// The readers' statements.
extern const char* const find_stream_sql;
extern const char* const read_stream_sql;
extern const char* const replay_stream_sql;
extern const char* const read_all_sql;
extern const char* const load_snapshot_sql;

} // namespace dca::es::schema
