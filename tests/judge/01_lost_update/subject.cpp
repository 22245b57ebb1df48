// Exercise 01's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and spawns the learner's counter and workers when the stand-ins ask.
#include "scenario.hpp"

#include "dca/bridge/subject_host.hpp"

int main(int argc, char** argv) {
  dca::bridge::factory_table kinds{
      {"counter",
       [](caf::actor_system& sys, const caf::message&) { return lost_update::spawn_counter(sys); }},
      {"worker", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<caf::actor, std::int64_t>())
           return caf::actor{};
         return sys.spawn(lost_update::worker, args.get_as<caf::actor>(0),
                          args.get_as<std::int64_t>(1));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds);
}
