// Exercise 06's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge. It answers the judge's calls of the price entity's decide and apply and of
// store_if_newer and load_cached (on the judge's connection, lent for the call), and spawns the
// learner's cache projection (on relays of the judge's journal and run space) and readers (with a
// relay for the judge's entity host and one for its run space) when their stand-ins ask.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/run_space_relay.hpp"
#include "dca/bridge/statement_relay.hpp"

#include "judged_types.hpp"

namespace {

using namespace cache_aside;
using dca::bridge::service_ref;

/// (ref, connection name, sku, cents, seq): the learner's store on the judge's connection.
std::vector<char> store(const std::vector<char>& args) {
  service_ref ref;
  std::string name, sku;
  cached_price value;
  dca::bridge::decode_arguments(args, ref.id, name, sku, value.cents, value.seq);
  auto space = dca::bridge::relayed_run_space(ref);
  auto cache = space->connect_redis(name);
  return dca::bridge::encode_result(store_if_newer(cache, *space, sku, value));
}

/// (ref, connection name, sku): the learner's load: whether it found a price, its cents and seq.
std::vector<char> load(const std::vector<char>& args) {
  service_ref ref;
  std::string name, sku;
  dca::bridge::decode_arguments(args, ref.id, name, sku);
  auto space = dca::bridge::relayed_run_space(ref);
  auto cache = space->connect_redis(name);
  auto got = load_cached(cache, *space, sku);
  return dca::bridge::encode_result(got.has_value(), got ? got->cents : std::int64_t{0},
                                    got ? got->seq : std::uint64_t{0});
}

caf::actor projection(caf::actor_system& sys, const caf::message& args) {
  if (!args.match_elements<service_ref, service_ref>())
    return caf::actor{};
  return spawn_cache_projection(sys, dca::bridge::relayed_journal(args.get_as<service_ref>(0)),
                                dca::bridge::relayed_run_space(args.get_as<service_ref>(1)));
}

caf::actor reader(caf::actor_system& sys, const caf::message& args) {
  if (!args.match_elements<caf::actor, service_ref>())
    return caf::actor{};
  return spawn_reader(sys, args.get_as<caf::actor>(0),
                      dca::bridge::relayed_run_space(args.get_as<service_ref>(1)));
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::add_exercise_types(announce_judged_types);
  dca::bridge::function_table functions{{"store_if_newer", store}, {"load_cached", load}};
  dca::bridge::serve_entity<price>(functions);
  dca::bridge::factory_table kinds{{"cache projection", projection}, {"reader", reader}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
