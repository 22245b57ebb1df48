// Exercise 09's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge: its payment service (whose entity host is a relay to the judge's) and its
// ledger's decide and apply, each run when the judge asks.
#include "scenario.hpp"

#include "dca/bridge/entity_host_relay.hpp"
#include "dca/bridge/exercise_types.hpp"
#include "wire_types.hpp"

int main(int argc, char** argv) {
  using namespace at_least_once;
  dca::bridge::add_exercise_types(announce_wire_types);
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<payment_ledger>(functions);
  dca::bridge::serve_entity_hosts(functions);
  dca::bridge::factory_table kinds{{"payments", dca::bridge::over_judge_host(spawn_payments)}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
