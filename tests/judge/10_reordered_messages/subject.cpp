// Exercise 10's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge: its profile service (whose entity host is a relay to the judge's) and the
// profile's decide and apply, each run when the judge asks.
#include "scenario.hpp"

#include "dca/bridge/entity_host_relay.hpp"
#include "dca/bridge/exercise_types.hpp"
#include "wire_types.hpp"

int main(int argc, char** argv) {
  using namespace reordered_messages;
  dca::bridge::add_exercise_types(announce_wire_types);
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<profile>(functions);
  dca::bridge::serve_entity_hosts(functions);
  dca::bridge::factory_table kinds{{"profiles", dca::bridge::over_judge_host(spawn_profiles)}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
