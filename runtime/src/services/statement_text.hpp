// How a statement appears in the explorer's trace, in a column of 30 characters: a label that
// says what it is ("UPDATE items", "SELECT items (lock)", "BEGIN SERIALIZABLE") and a value that
// says what it read or wrote ("stock=100", "stock=99", "0 rows", "40001 conflict"). Private to
// dca::services.
#pragma once

#include <string>
#include <vector>

#include "dca/services/pg_connection.hpp"

namespace dca::services {

std::string statement_label(const char* sql);

/// SELECT: the first row as "column=value"; UPDATE: its SET clause with the parameters in it, or
/// "0 rows"; INSERT: its parameters; COMMIT: "rolled back" when the server rolled it back.
std::string statement_value(const char* sql, const std::vector<sql_param>& params,
                            const pg_result& result);

/// "40001 conflict", "40P01 deadlock", "23505 duplicate", or the SQLSTATE itself.
std::string error_value(const std::string& sqlstate);

/// The first line of a (libpq) message, without its trailing newline.
std::string first_line(const std::string& text);

} // namespace dca::services
