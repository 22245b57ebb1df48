// A subject for the run space relay's own test (run_space_relay_test.cpp): functions and one actor
// that use the run space the judge lends them, each exercising one part of the relay: Redis
// commands and statements during a call, Redis during an actor's start-up and handler, and the
// requests the judge refuses (sent as raw requests, as a hostile submission could).
#include "caf/event_based_actor.hpp"

#include "dca/bridge/run_space_relay.hpp"
#include "dca/bridge/statement_relay.hpp"
#include "dca/bridge/subject_host.hpp"
#include "dca/services/redis_encoding.hpp"

namespace {

using dca::bridge::decode_arguments;
using dca::bridge::encode_result;
using dca::bridge::relayed_run_space;
using dca::bridge::service_ref;

/// (id, key, argv...): runs argv on a relayed Redis connection, KEY replaced by the run space's
/// key for `key`; returns that key, whether the reply is an error, its text and integer.
std::vector<char> redis(const std::vector<char>& args) {
  std::uint64_t id = 0;
  std::string key;
  std::vector<std::string> argv;
  decode_arguments(args, id, key, argv);
  auto space = relayed_run_space(service_ref{id});
  auto cache = space->connect_redis("learner");
  for (auto& word : argv)
    if (word == "KEY")
      word = space->key(key);
  auto reply = cache.command(argv);
  return encode_result(space->key(key), reply.is_error(), reply.text, reply.integer);
}

/// (id, sql): runs sql on a relayed primary connection; returns the first cell, or the SQLSTATE
/// of the server's refusal (prefixed "refused ").
std::vector<char> sql(const std::vector<char>& args) {
  std::uint64_t id = 0;
  std::string text;
  decode_arguments(args, id, text);
  auto db = relayed_run_space(service_ref{id})->connect("learner db");
  try {
    auto r = db.exec(text.c_str());
    return encode_result(r.rows() > 0 ? r.at(0, 0).value_or("NULL") : std::string{"no rows"});
  } catch (const dca::services::sql_error& e) {
    return encode_result("refused " + e.sqlstate);
  }
}

/// (id, op, number): a raw request of the run space relay, as a submission could send it.
std::vector<char> raw(const std::vector<char>& args) {
  std::uint64_t id = 0, number = 0;
  std::string op;
  decode_arguments(args, id, op, number);
  auto command = dca::services::encode(dca::services::redis_command{"raw", {"PING"}, "raw.cpp", 1});
  std::vector<char> statement =
      encode_result(std::string{"raw"}, std::string{"SELECT 1"}, std::vector<std::string>{},
                    std::vector<std::uint8_t>{}, std::string{}, 1);
  dca::bridge::ask_service("run space", id,
                           encode_result(op, number, op == "redis" ? command : statement));
  return {};
}

using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// INCRs the run space's "counter" in its start-up and at each tick, and tells `report` the count.
caf::behavior counter(caf::event_based_actor* self, std::shared_ptr<dca::services::scratch> space,
                      caf::actor report) {
  auto cache = std::make_shared<dca::services::redis_connection>(space->connect_redis("counter"));
  auto incr = [=] { return cache->command({"INCR", space->key("counter")}).integer; };
  self->send(report, incr());
  return {[=](tick_atom) { self->send(report, incr()); }};
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::function_table functions{{"redis", redis}, {"sql", sql}, {"raw", raw}};
  dca::bridge::factory_table kinds{
      {"counter", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<service_ref, caf::actor>())
           return caf::actor{};
         return sys.spawn(counter, relayed_run_space(args.get_as<service_ref>(0)),
                          args.get_as<caf::actor>(1));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
