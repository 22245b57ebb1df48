// Exercise 13's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge. It answers the judge's calls of event_seats' decide and apply, and spawns
// the learner's invocation actors when their stand-ins ask, with relays for the judge's event host
// and the caller.
#include "scenario.hpp"

#include "dca/bridge/entity_functions.hpp"

#include "judged_types.hpp"

int main(int argc, char** argv) {
  using namespace serverless_state;
  dca::bridge::add_exercise_types(announce_judged_types);
  dca::bridge::function_table functions;
  dca::bridge::serve_entity<event_seats>(functions);
  dca::bridge::factory_table kinds{
      {"invocation", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<caf::actor, std::string, std::string, std::string, caf::actor>())
           return caf::actor{};
         invocation call{args.get_as<std::string>(1), args.get_as<std::string>(2),
                         args.get_as<std::string>(3)};
         return spawn_invocation(sys, args.get_as<caf::actor>(0), std::move(call),
                                 args.get_as<caf::actor>(4));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
