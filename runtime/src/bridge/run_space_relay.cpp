// Both ends of the run space relay (dca/bridge/run_space_relay.hpp), a judge service of kind
// "run space". A request crosses as (OP, NUMBER, BYTES), encoded by CAF's binary serialiser: OP
// "name" (the judge's run space's name), "redis" (BYTES a command, redis_encoding.hpp), "primary"
// or "replica" (BYTES a statement, statement_wire.hpp); NUMBER is the subject's connection's
// number in its run space. Each side believes the other's bytes only once every one decodes.
#include "dca/bridge/run_space_relay.hpp"

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "caf/make_message.hpp"

#include "dca/assert.hpp"
#include "dca/bridge/statement_relay.hpp"
#include "dca/services/redis_encoding.hpp"
#include "statement_wire.hpp"

namespace dca::bridge {

namespace {

using services::redis_connection;
using services::redis_reply;

constexpr const char* kind = "run space";

// -- the judge's side ---------------------------------------------------------------------------

/// One connection the judge holds for the subject: to which server, under which name, and the
/// connection (or the judge's own, borrowed for a call).
struct held_connection {
  std::string server; // "redis", "primary", "replica"
  std::string name;
  std::optional<redis_connection> redis;
  redis_connection* borrowed = nullptr;
  std::optional<services::pg_connection> pg;
};

class lent_space {
public:
  lent_space(std::shared_ptr<const services::scratch> keep, const services::scratch& space)
      : keep_(std::move(keep)), space_(space) {}

  void borrow(redis_connection& connection) {
    auto& held = connections_[1];
    held.server = "redis";
    held.borrowed = &connection;
  }

  caf::message serve(const std::vector<char>& request) {
    std::string op;
    std::uint64_t number = 0;
    std::vector<char> bytes;
    if (dca::es::decode(request, op, number, bytes))
      fail_subject("the submission's actors sent a run space request that does not decode");
    if (op == "name")
      return caf::make_message(served_atom::value, encode_result(space_.name()));
    if (op == "redis")
      return command(number, bytes);
    if (op == "primary" || op == "replica")
      return run_statement("actors", bytes,
                           [&](const std::string& name) -> services::pg_connection& {
                             return *held(number, op, name).pg;
                           });
    fail_subject("the submission's actors sent a run space request the judge does not know");
  }

private:
  caf::message command(std::uint64_t number, const std::vector<char>& bytes) {
    services::redis_command c;
    if (auto why = services::decode(bytes, c))
      fail_subject("the submission's actors sent a Redis command that does not decode: " + *why);
    auto& h = held(number, "redis", c.connection);
    auto& connection = h.borrowed != nullptr ? *h.borrowed : *h.redis;
    auto reply = connection.command(c.argv, {interned_file(c.file), c.line});
    return caf::make_message(served_atom::value, services::encode(reply));
  }

  /// The judge's connection for the subject's `number`, made on first use.
  held_connection& held(std::uint64_t number, const std::string& server, const std::string& name) {
    if (number == 0 || number > relayed_connections_max)
      fail_subject("the submission's actors asked the judge's run space for connection number " +
                   std::to_string(number) + ": it makes at most " +
                   std::to_string(relayed_connections_max) + ", numbered from 1");
    auto& h = connections_[number];
    if (h.server.empty())
      h.server = server;
    if (h.name.empty())
      h.name = name;
    if (h.server != server || h.name != name)
      fail_subject("the submission's actors used connection " + std::to_string(number) +
                   " of the judge's run space as " + server + " \"" + name + "\" after " +
                   h.server + " \"" + h.name + "\"");
    if (server == "redis" && h.borrowed == nullptr && !h.redis)
      h.redis.emplace(space_.connect_redis(name));
    else if (server == "primary" && !h.pg)
      h.pg.emplace(space_.connect(name));
    else if (server == "replica" && !h.pg)
      h.pg.emplace(space_.connect_replica(name));
    return h;
  }

  std::shared_ptr<const services::scratch> keep_;
  const services::scratch& space_;
  std::map<std::uint64_t, held_connection> connections_;
};

std::shared_ptr<service_offer> offer(std::shared_ptr<lent_space> lent) {
  return std::make_shared<service_offer>(
      kind, [lent](const std::vector<char>& request) { return lent->serve(request); });
}

// -- the subject's side ---------------------------------------------------------------------------

caf::message ask(std::uint64_t id, const std::string& op, std::uint64_t number,
                 std::vector<char> bytes) {
  return ask_service(kind, id, encode_result(op, number, bytes));
}

std::vector<char> served_bytes(const caf::message& answer, const char* what) {
  if (!answer.match_elements<served_atom, std::vector<char>>())
    throw std::logic_error{std::string{"the judge's answer to "} + what + " is not one"};
  return answer.get_as<std::vector<char>>(1);
}

class redis_relay final : public services::redis_executor {
public:
  redis_relay(std::uint64_t id, services::relayed_connection asked)
      : id_(id), asked_(std::move(asked)) {}

  redis_reply command(const std::vector<std::string>& argv,
                      explore::source_location where) override {
    auto bytes =
        services::encode(services::redis_command{asked_.name, argv, where.file, where.line});
    auto answer =
        served_bytes(ask(id_, "redis", asked_.number, std::move(bytes)), "a Redis command");
    redis_reply reply;
    if (auto why = services::decode(answer, reply))
      throw std::logic_error{"the judge's answer to a Redis command does not decode: " + *why};
    return reply;
  }

private:
  std::uint64_t id_;
  services::relayed_connection asked_;
};

class statement_relay final : public services::statement_executor {
public:
  statement_relay(std::uint64_t id, std::string server, services::relayed_connection asked)
      : id_(id), server_(std::move(server)), asked_(std::move(asked)) {}

  services::pg_result exec(services::sql_text sql,
                           const std::vector<services::sql_param>& params) override {
    return result_of_answer(
        ask(id_, server_, asked_.number, encode_statement(asked_.name, sql, params)));
  }

private:
  std::uint64_t id_;
  std::string server_;
  services::relayed_connection asked_;
};

} // namespace

std::shared_ptr<service_offer> lend_run_space(std::shared_ptr<const services::scratch> space) {
  DCA_ASSERT(space);
  const auto& ref = *space;
  return offer(std::make_shared<lent_space>(std::move(space), ref));
}

std::shared_ptr<service_offer> lend_redis_connection(const services::scratch& space,
                                                     redis_connection& connection) {
  auto lent = std::make_shared<lent_space>(nullptr, space);
  lent->borrow(connection);
  return offer(std::move(lent));
}

std::shared_ptr<services::scratch> relayed_run_space(service_ref ref) {
  std::string name;
  if (dca::es::decode(served_bytes(ask(ref.id, "name", 0, {}), "a run space's name"), name))
    throw std::logic_error{"the judge's answer to a run space's name does not decode"};
  auto id = ref.id;
  services::connection_relay relay;
  relay.redis = [id](const services::relayed_connection& asked) {
    return std::make_unique<redis_relay>(id, asked);
  };
  relay.primary = [id](const services::relayed_connection& asked) {
    return std::make_unique<statement_relay>(id, "primary", asked);
  };
  relay.replica = [id](const services::relayed_connection& asked) {
    return std::make_unique<statement_relay>(id, "replica", asked);
  };
  return std::make_shared<services::scratch>(std::move(name), std::move(relay));
}

} // namespace dca::bridge
