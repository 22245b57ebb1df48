// How a statement and its answer cross between subject and judge: the statement relay's calls
// (statement_relay.cpp) and a relayed run space's connections (run_space_relay.cpp) send the
// same bytes, so the judge runs a learner's SQL one way whichever of them sent it. Private to the
// bridge.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "caf/message.hpp"

#include "dca/services/pg_connection.hpp"

namespace dca::bridge {

/// A learner's file name as the judge keeps it for its traces: interned (a trace holds a const
/// char*), and a placeholder past a bound, so a subject naming many files cannot make the judge
/// hold them all.
const char* interned_file(const std::string& file);

/// A statement the learner's code ran on its connection `connection`, as bytes.
std::vector<char> encode_statement(const std::string& connection, services::sql_text sql,
                                   const std::vector<services::sql_param>& params);

/// The judge's side: `bytes` run on `*on` (when they decode and `connection_of` names a
/// connection; `connection_of` is told the name the statement gave). Returns the answer frame,
/// (sqlanswer, BYTES): the rows and tag, or the server's refusal. Bytes that do not decode end
/// the judge with `who` in its line (fail).
caf::message run_statement(
    const std::string& who, const std::vector<char>& bytes,
    const std::function<services::pg_connection&(const std::string& connection)>& connection_of);

/// The subject's side: the judge's answer frame as the rows a libpq connection would return;
/// throws sql_error as it would on the judge's refusal, std::logic_error on a frame that is not an
/// answer.
services::pg_result result_of_answer(const caf::message& answer);

} // namespace dca::bridge
