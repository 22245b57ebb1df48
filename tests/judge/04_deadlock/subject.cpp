// Exercise 04's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and spawns the learner's accounts when their stand-ins ask.
#include "scenario.hpp"

#include "dca/bridge/subject_host.hpp"

int main(int argc, char** argv) {
  dca::bridge::factory_table kinds{
      {"account", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<std::int64_t>())
           return caf::actor{};
         return deadlock::spawn_account(sys, args.get_as<std::int64_t>(0));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
