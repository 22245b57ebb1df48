// Exercise 07's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge. It answers the judge's calls of the order entity's decide and apply and of
// ship(), and spawns the learner's shipping and relay when their stand-ins ask, each on a relayed
// run space (its Redis commands run on the judge's connections) and the relay on a relayed journal.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/run_space_relay.hpp"

#include "ship_call.hpp"

namespace {

using namespace dual_write;
using dca::bridge::service_ref;

/// (space, stream key, position key)
caf::actor shipping(caf::actor_system& sys, const caf::message& args) {
  if (!args.match_elements<service_ref, std::string, std::string>())
    return caf::actor{};
  return spawn_shipping(sys, dca::bridge::relayed_run_space(args.get_as<service_ref>(0)),
                        {args.get_as<std::string>(1), args.get_as<std::string>(2)});
}

/// (journal, space, stream key, position key, shipping)
caf::actor relay(caf::actor_system& sys, const caf::message& args) {
  if (!args.match_elements<service_ref, service_ref, std::string, std::string, caf::actor>())
    return caf::actor{};
  return spawn_relay(sys, dca::bridge::relayed_journal(args.get_as<service_ref>(0)),
                     dca::bridge::relayed_run_space(args.get_as<service_ref>(1)),
                     {args.get_as<std::string>(2), args.get_as<std::string>(3)},
                     args.get_as<caf::actor>(4));
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<order>(functions);
  judged::serve_ship(functions);
  dca::bridge::factory_table kinds{{judged::shipping_kind, shipping}, {judged::relay_kind, relay}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
