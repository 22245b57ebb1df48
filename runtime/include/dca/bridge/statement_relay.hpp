// The statement relay: a learner's function that runs SQL, judged. The judge holds the
// connections (the slot's role and password never reach the subject) and lends them to one call
// of the learner's function by name; in the subject, the function gets pg_connections built on a
// relay (dca::services::statement_executor): each exec sends one frame to the judge (the
// connection's name, the SQL text, its parameters, the learner's line) and blocks until the
// answer (the rows and command tag, or the SQLSTATE and message, thrown as sql_error as a libpq
// connection throws it). The judge runs each statement on its own connection on the thread that
// called, so under the explorer each is a step the judge's scheduler chose.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dca/bridge/subject_call.hpp"
#include "dca/es/codec.hpp"
#include "dca/services/pg_connection.hpp"

namespace dca::bridge {

/// The judge's connections one call lends the learner's function, by the names the subject's
/// side gives the function's pg_connections ("x", "y").
using lent_connections = std::map<std::string, services::pg_connection*>;

/// The judge's side: runs the learner's `function` on `args` (encoded) in the subject, each
/// statement it runs on the connection it names NAME run here on `*connections.at(NAME)`, in the
/// order it ran them. Returns the function's encoded result. A statement on a connection it was
/// not lent, or one that does not decode, ends the judge with its one line (fail).
std::vector<char> call_with_connections(const std::string& function, const std::vector<char>& args,
                                        const lent_connections& connections);

/// The subject's side: a connection with no server of its own, whose statements run on the
/// judge's connection `name` of the current call.
services::pg_connection relayed_connection(const std::string& name);

/// The judge's typed call: `args` encoded in, the result decoded as R (void: none).
template <class R, class... Args>
R call_relayed(const std::string& function, const lent_connections& connections,
               const Args&... args) {
  std::vector<char> in;
  if (auto err = dca::es::encode(in, args...))
    throw std::logic_error{"the arguments of " + function + " do not encode"};
  auto out = call_with_connections(function, in, connections);
  if constexpr (std::is_void_v<R>) {
    if (!out.empty())
      fail_subject("the submission's " + function + " returned a value where it returns none");
  } else {
    R result{};
    if (dca::es::decode(out, result))
      fail_subject("the submission's " + function + " returned a value of another type");
    return result;
  }
}

/// The subject's side of call_relayed: `args` decoded into `xs...`; throws when they do not.
template <class... Ts>
void decode_arguments(const std::vector<char>& args, Ts&... xs) {
  if (dca::es::decode(args, xs...))
    throw std::runtime_error{"the judge's arguments do not decode"};
}

/// The subject's side of call_relayed: what the learner's function returned, encoded.
template <class... Ts>
std::vector<char> encode_result(const Ts&... xs) {
  std::vector<char> out;
  if (auto err = dca::es::encode(out, xs...))
    throw std::runtime_error{"a result that does not encode"};
  return out;
}

} // namespace dca::bridge
