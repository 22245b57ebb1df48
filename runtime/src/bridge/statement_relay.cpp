// Both ends of the statement relay (dca/bridge/statement_relay.hpp), a judge service of kind
// "statement" (judge_services.hpp), id 0: the current call's. A statement and its answer cross as
// statement_wire.hpp says.
#include "dca/bridge/statement_relay.hpp"

#include <memory>
#include <utility>

#include "caf/make_message.hpp"

#include "dca/bridge/judge_services.hpp"
#include "dca/bridge/wire.hpp"
#include "statement_wire.hpp"
#include "subject_link.hpp"

namespace dca::bridge {

namespace {

using services::pg_result;
using services::sql_param;
using services::sql_text;

/// The judge's side of one statement: run on the lent connection it names, answered as bytes.
caf::message run_lent(const std::string& function, const lent_connections& connections,
                      const std::vector<char>& bytes) {
  return run_statement(function, bytes, [&](const std::string& name) -> services::pg_connection& {
    auto lent = connections.find(name);
    if (lent == connections.end())
      fail_subject("the submission's " + function + " ran a statement on a connection \"" + name +
                   "\" it was not given");
    return *lent->second;
  });
}

/// The subject's side: a connection's statements, sent to the judge one at a time.
class relay_executor final : public services::statement_executor {
public:
  explicit relay_executor(std::string name) : name_(std::move(name)) {}

  pg_result exec(sql_text sql, const std::vector<sql_param>& params) override {
    // The call's own service (id 0): the judge lends its connections to one call at a time. A
    // statement the judge no longer answers throws judge_gave_up, which no catch of sql_error or
    // std::exception takes.
    return result_of_answer(ask_service("statement", 0, encode_statement(name_, sql, params)));
  }

private:
  std::string name_;
};

} // namespace

std::vector<char> call_with_connections(const std::string& function, const std::vector<char>& args,
                                        const lent_connections& connections) {
  return subject_link::instance().call(function, args, [&](const std::vector<char>& statement) {
    return run_lent(function, connections, statement);
  });
}

services::pg_connection relayed_connection(const std::string& name) {
  return services::pg_connection{std::make_unique<relay_executor>(name), name};
}

} // namespace dca::bridge
