// Exercise 05's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and answers the judge's calls of its entities' decide and apply. No actor
// of the learner's exists: there is none to spawn.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"

int main(int argc, char** argv) {
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<shared_database::sku>(functions);
  dca::bridge::serve_entity<shared_database::username>(functions);
  return dca::bridge::subject_main(argc, argv, {}, functions);
}
